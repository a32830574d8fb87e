// ServerSet names users type (spec/serverset.md "Names users type"): Finagle's `zk!` and `zk2!`
// resolver strings and its `/$/com.twitter.serverset/…` namer paths, parsed into one shape, with
// errors that quote the offending part and list the accepted forms.
import { isIPv6 } from 'node:net';
import { NameError } from '../errors.js';

export interface ServersetName {
  /** One ZooKeeper connect string per ensemble (`h1:2181,h2:2181`); several are merged. */
  ensembles: string[];
  /** The ServerSet's group path: absolute, no duplicate or trailing slashes. */
  path: string;
  /** Select `additionalEndpoints[endpoint]` instead of `serviceEndpoint`. */
  endpoint?: string;
  /** Keep only members with this shard (Aurora: instance id). */
  shard?: number;
}

export interface HostPort {
  /** Host name or address; IPv6 without brackets. */
  host: string;
  port: number;
}

export const DEFAULT_ZK_PORT = 2181;
const NAMER_PREFIX = '/$/com.twitter.serverset/';
const MAX_SHARD = 0x7fffffff;

/** Appended to every name error so the user sees what would have worked. */
export const ACCEPTED_NAME_FORMS =
  'accepted forms: zk!HOSTS!/path[!endpoint], zk!HOSTS!/path!shard!endpoint, ' +
  'zk2!HOSTS[#HOSTS…]!/path[!endpoint], ' +
  '/$/com.twitter.serverset/HOSTS/path…/job[:endpoint][#shard]; ' +
  'HOSTS is host[:port][,host[:port]…] (port 2181 when omitted, IPv6 as [addr]:port)';

class Fail {
  constructor(readonly problem: string) {}
}
/** Internal: thrown by the part parsers, turned into one NameError naming the whole input. */
function fail(problem: string): never {
  throw new Fail(problem);
}
function wrap<T>(subject: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Fail) throw new NameError(`${subject}: ${e.problem}; ${ACCEPTED_NAME_FORMS}`);
    throw e;
  }
}
const q = (s: string) => JSON.stringify(s);

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

function parseHost(entry: string, list: string): HostPort {
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (!isIPv6(host)) fail(`${q(entry)} in ${q(list)} is not an IPv6 address in brackets`);
  } else {
    const colons = entry.split(':').length - 1;
    if (colons > 1) {
      fail(`${q(entry)} in ${q(list)} has several ":"; write an IPv6 address as [addr]:port`);
    }
    [host, portText] = colons === 1 ? (entry.split(':') as [string, string]) : [entry, undefined];
    if (host.length === 0) fail(`${q(entry)} in ${q(list)} has no host before the port`);
    if (host.length > 253 || !host.split('.').every((l) => LABEL.test(l))) {
      fail(`host ${q(host)} in ${q(list)} is not a valid host name or IPv4 address`);
    }
  }
  let port = DEFAULT_ZK_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      fail(`port ${q(portText)} of ${q(entry)} is not a port number from 1 to 65535`);
    }
  }
  return { host, port };
}

function parseHostsInternal(list: string): HostPort[] {
  if (list.length === 0) fail('the ZooKeeper host list is empty');
  if (list.includes('/')) {
    fail(`host list ${q(list)} contains "/"; a chroot is not supported, put it in the path`);
  }
  return list.split(',').map((entry) => {
    if (entry.length === 0) fail(`host list ${q(list)} has an empty entry (stray ",")`);
    return parseHost(entry, list);
  });
}

function connectString(hosts: HostPort[]): string {
  return hosts
    .map((h) => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`))
    .join(',');
}

/** Parses one ensemble's host list `host[:port][,…]` (2181 when omitted). Throws NameError. */
export function parseHostList(list: string): HostPort[] {
  return wrap(`ZooKeeper hosts ${q(list)}`, () => parseHostsInternal(list));
}

/** `#` separates ensembles; identical ensembles are merged into one. */
function parseEnsembles(text: string, allowSeveral: boolean): string[] {
  const parts = text.split('#');
  if (parts.length > 1 && !allowSeveral) {
    fail(
      `${q(text)} names several ensembles ("#"), which only zk2! names and the namer form accept`,
    );
  }
  const out: string[] = [];
  for (const part of parts) {
    const cs = connectString(parseHostsInternal(part));
    if (!out.includes(cs)) out.push(cs);
  }
  return out;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function normalizePathInternal(path: string): string {
  if (!path.startsWith('/')) fail(`path ${q(path)} must be absolute (start with "/")`);
  const segs = path.split('/').filter((s) => s.length > 0);
  if (segs.length === 0) fail(`path ${q(path)} must name a node below "/"`);
  for (const s of segs) {
    if (s === '.' || s === '..') fail(`path ${q(path)} must not contain "." or ".." segments`);
    if (hasControl(s)) fail(`path ${q(path)} contains a control character`);
  }
  return '/' + segs.join('/');
}

function checkEndpoint(endpoint: string): string {
  if (endpoint.length === 0) fail('the endpoint name after the path is empty');
  if (/[\s!/#:\\]/.test(endpoint) || hasControl(endpoint)) {
    fail(`endpoint ${q(endpoint)} must not contain whitespace or any of ! / # : \\`);
  }
  return endpoint;
}

function parseShard(text: string): number {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(n <= MAX_SHARD)) fail(`shard ${q(text)} is not an integer from 0 to ${MAX_SHARD}`);
  return n;
}

function build(
  ensembles: string[],
  path: string,
  endpoint?: string,
  shard?: number,
): ServersetName {
  const name: ServersetName = { ensembles, path };
  if (endpoint !== undefined) name.endpoint = endpoint;
  if (shard !== undefined) name.shard = shard;
  return name;
}

/** Finagle Path labels escape bytes outside [0-9A-Za-z_:.#$%-] as \xHH; decode them. */
function unescapeLabel(label: string): string {
  if (!label.includes('\\')) return label;
  const bytes: number[] = [];
  for (let i = 0; i < label.length;) {
    if (label[i] === '\\') {
      const m = /^\\x([0-9a-fA-F]{2})/.exec(label.slice(i));
      if (!m) fail(`${q(label)} has a "\\" that is not a \\xHH escape`);
      bytes.push(parseInt(m[1]!, 16));
      i += 4;
    } else {
      const cp = label.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return fail(`${q(label)} has \\x escapes that are not valid UTF-8`);
  }
}

const SHOWABLE = /^[0-9A-Za-z_:.#$%-]$/;
function escapeLabel(label: string, alsoEscape = ''): string {
  let out = '';
  for (const ch of label) {
    if (SHOWABLE.test(ch) && !alsoEscape.includes(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** `/$/com.twitter.serverset/HOSTS/seg…/job[:endpoint][#shard]` (Finagle's ServersetPath). */
function parseNamer(rest: string): ServersetName {
  const labels = rest.split('/').filter((l) => l.length > 0);
  if (labels.length < 2) fail('the namer form needs the hosts and then at least one path segment');
  const ensembles = parseEnsembles(unescapeLabel(labels[0]!), true);
  // The last label is job(:endpoint)?(#shard)?; its separators are matched before unescaping,
  // so an escaped \x3a or \x23 stays part of the name.
  const last = labels[labels.length - 1]!;
  const m = /^([^:#]+)(?::([^:#]+))?(?:#([^:#]+))?$/.exec(last);
  if (!m) fail(`last segment ${q(last)} must be job[:endpoint][#shard]`);
  const segs = [...labels.slice(1, -1), m[1]!].map(unescapeLabel);
  if (segs.some((s) => s.includes('/')))
    fail(`a path segment in ${q(rest)} hides a "/" in an escape`);
  const path = normalizePathInternal('/' + segs.join('/'));
  const endpoint = m[2] === undefined ? undefined : checkEndpoint(unescapeLabel(m[2]));
  const shard = m[3] === undefined ? undefined : parseShard(m[3]);
  return build(ensembles, path, endpoint, shard);
}

function parseBang(text: string, announcer: boolean): ServersetName {
  const parts = text.split('!');
  const scheme = parts[0]!;
  if (scheme !== 'zk' && scheme !== 'zk2') {
    fail(`unknown scheme ${q(scheme)}; expected zk! or zk2! or the /$/com.twitter.serverset/ form`);
  }
  const fields = parts.slice(1);
  if (announcer) {
    if (scheme !== 'zk' || fields.length < 3 || fields.length > 4) {
      fail('an announce name is zk!HOSTS!/path!shard[!endpoint]');
    }
  } else if (fields.length < 2 || fields.length > (scheme === 'zk' ? 4 : 3)) {
    fail(
      `${scheme}! expects ${scheme === 'zk' ? '2 to 4' : '2 or 3'} "!"-separated parts after the scheme, got ${fields.length}`,
    );
  }
  const ensembles = parseEnsembles(fields[0]!, scheme === 'zk2');
  const path = normalizePathInternal(fields[1]!);
  if (fields.length === 3 && !announcer) return build(ensembles, path, checkEndpoint(fields[2]!));
  if (fields.length === 2) return build(ensembles, path);
  const shard = parseShard(fields[2]!);
  return build(
    ensembles,
    path,
    fields[3] === undefined ? undefined : checkEndpoint(fields[3]),
    shard,
  );
}

/**
 * Parses a name to resolve:
 * - `zk!HOSTS!/path` and `zk!HOSTS!/path!endpoint` (Finagle's legacy resolver; a third part is an
 *   endpoint, as there), and `zk!HOSTS!/path!shard!endpoint` (the announcer form; the shard
 *   filters members);
 * - `zk2!HOSTS!/path[!endpoint]`, HOSTS may list several ensembles separated by `#` (merged);
 * - `/$/com.twitter.serverset/HOSTS/path…/job[:endpoint][#shard]` (Finagle's namer; labels may
 *   use Finagle's `\xHH` escapes, e.g. `\x2c` for the comma between hosts).
 * Surrounding whitespace is ignored. Throws NameError quoting the bad part.
 */
export function parseServersetName(text: string): ServersetName {
  const t = text.trim();
  return wrap(`bad ServerSet name ${q(text)}`, () => {
    if (t.length === 0) fail('the name is empty');
    if (/\s/.test(t)) fail('the name contains whitespace');
    if (t.startsWith(NAMER_PREFIX)) return parseNamer(t.slice(NAMER_PREFIX.length));
    if (t.startsWith('/'))
      fail(`a path alone is not a name; prefix the hosts, e.g. zk2!localhost:2181!${t}`);
    if (!t.includes('!'))
      fail('expected "!"-separated parts, e.g. zk2!localhost:2181!/aurora/role/env/job');
    return parseBang(t, false);
  });
}

/** Parses Finagle's announcer form `zk!HOSTS!/path!shard[!endpoint]` (the shard is required). */
export function parseAnnouncerName(text: string): ServersetName & { shard: number } {
  const t = text.trim();
  return wrap(`bad ServerSet announce name ${q(text)}`, () => {
    if (!t.startsWith('zk!')) fail('an announce name is zk!HOSTS!/path!shard[!endpoint]');
    return parseBang(t, true) as ServersetName & { shard: number };
  });
}

/** Builds a name from separate flags (`--zk HOSTS --path /path`); HOSTS may hold `#`-separated
 *  ensembles. Throws NameError naming the bad flag value. */
export function serversetNameFrom(
  hosts: string,
  path: string,
  endpoint?: string,
  shard?: number,
): ServersetName {
  const ensembles = wrap(`bad ZooKeeper hosts ${q(hosts)}`, () =>
    parseEnsembles(hosts.trim(), true),
  );
  const p = wrap(`bad ServerSet path ${q(path)}`, () => normalizePathInternal(path.trim()));
  const e =
    endpoint === undefined
      ? undefined
      : wrap(`bad endpoint ${q(endpoint)}`, () => checkEndpoint(endpoint));
  if (shard !== undefined && !(Number.isInteger(shard) && shard >= 0 && shard <= MAX_SHARD)) {
    throw new NameError(`bad shard ${shard}: expected an integer from 0 to ${MAX_SHARD}`);
  }
  return build(ensembles, p, e, shard);
}

/**
 * The canonical text of a name, which parseServersetName reads back to the same value:
 * `zk2!HOSTS[#HOSTS…]!/path[!endpoint]`, or the namer form when a shard is set (only it carries
 * a shard filter) or the path holds whitespace or "!", with Finagle's `\xHH` escapes where its
 * paths need them.
 */
export function formatServersetName(name: ServersetName): string {
  // The `!` form cannot carry a shard, nor a path with whitespace or "!"; the namer form escapes.
  if (name.shard === undefined && !/[\s!]/.test(name.path)) {
    return `zk2!${name.ensembles.join('#')}!${name.path}${name.endpoint === undefined ? '' : '!' + name.endpoint}`;
  }
  const segs = name.path.split('/').filter((s) => s.length > 0);
  const last = segs.pop()!;
  const labels = [
    escapeLabel(name.ensembles.join('#')),
    ...segs.map((s) => escapeLabel(s)),
    escapeLabel(last, ':#') +
      (name.endpoint === undefined ? '' : ':' + escapeLabel(name.endpoint, ':#')) +
      (name.shard === undefined ? '' : `#${name.shard}`),
  ];
  return NAMER_PREFIX + labels.join('/');
}
