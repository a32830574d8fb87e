// Mesos-DNS's config.json (same keys, same defaults, keys matched case-insensitively) plus
// Beacon's own keys, validated with one zod schema. Unknown keys are warnings; a bad value is a
// ConfigError naming the key and the expected form.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { LOOPBACK_NETWORKS, PRIVATE_NETWORKS, parseCidr } from '../dns/acl.js';
import { parseResolver } from '../dns/forward.js';
import { parseNotifyTarget } from '../dns/notify.js';
import { ConfigError } from '../errors.js';
import { scrubSecrets } from '../log.js';
import { normalizeIp } from '../model/mesos-addr.js';
import type { RecordsConfig } from '../records/config.js';
import { parseMasterAddress } from '../sources/master-address.js';

const posInt = z.number().int().positive();
const port = z.number().int().min(0).max(65535);
const str = z.string();
const ip = z.string().refine((s) => isIP(s) !== 0);
const domainName = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/\.+$/, ''))
  .refine(
    (s) =>
      s === '' ||
      /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(s),
  );

/** A domain name as Mesos-DNS's validateDomainName accepts it (labels of letters, digits and
 *  `-` joined by single dots: no empty label, no trailing dot, no `_`), within DNS limits (labels
 *  of at most 63 bytes, not starting or ending in `-`; at most 253 bytes). */
function isDomainName(s: string): boolean {
  return (
    s.length <= 253 &&
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(s)
  );
}

/** Mesos-DNS's validateMasters: every entry `host:port` with a port 1-65535 (Beacon also allows
 *  an `http://` or `https://` prefix), and no master twice (IP hosts compared in canonical form). */
function checkMasters(masters: readonly string[], where: string): void {
  const seen = new Map<string, string>();
  masters.forEach((m, i) => {
    const at = `${where}[${i}]`;
    const a = parseMasterAddress(m, at);
    if (!hasExplicitPort(m))
      throw new ConfigError(
        `${at}: "${m}" has no port (expected "host:port", e.g. "10.0.0.1:5050")`,
      );
    const key = `${normalizeIp(a.host) ?? a.host.toLowerCase()}|${a.port}`;
    const prev = seen.get(key);
    if (prev !== undefined)
      throw new ConfigError(`${at}: "${m}" is the same master as "${prev}" (each master once)`);
    seen.set(key, m);
  });
}

/** True when a masters entry ends in `:PORT` (after an optional scheme and a bracketed IPv6). */
function hasExplicitPort(m: string): boolean {
  const rest = m
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/+$/, '');
  if (rest.startsWith('[')) return /^\[[^\]]+\]:\d+$/.test(rest);
  return rest.split(':').length === 2;
}

/** Mesos-DNS's validateResolvers: each an IP with an optional port 1-65535; with `unique`, no
 *  resolver twice (IP and port compared in canonical form, port 53 when absent). */
function checkResolvers(resolvers: readonly string[], where: string, unique: boolean): void {
  const seen = new Map<string, string>();
  resolvers.forEach((r, i) => {
    let a: { host: string; port: number };
    try {
      a = parseResolver(r);
    } catch {
      throw new ConfigError(
        `${where}[${i}]: "${r}" is not an IP address with an optional port (e.g. "8.8.8.8" or "10.0.0.2:5353")`,
      );
    }
    const key = `${normalizeIp(a.host) ?? a.host}|${a.port}`;
    const prev = seen.get(key);
    if (unique && prev !== undefined)
      throw new ConfigError(`${where}[${i}]: "${r}" is the same resolver as "${prev}" (each once)`);
    seen.set(key, r);
  });
}

/** Mesos-DNS's validateZoneResolvers: each zone a valid domain name with a non-empty list of
 *  valid, distinct resolvers; no zone equal to the served domain, and no zone inside another zone
 *  or the domain (or holding it): one would mask the other. */
function checkZoneResolvers(
  zones: Readonly<Record<string, readonly string[]>>,
  domain: string,
  where: string,
): void {
  const names = new Map<string, string>();
  for (const [zone, list] of Object.entries(zones)) {
    const at = `${where}."${zone}"`;
    const z = zone.toLowerCase();
    if (!isDomainName(z))
      throw new ConfigError(
        `${at}: "${zone}" is not a zone name (expected a domain name such as "corp.example", no trailing dot)`,
      );
    if (list.length === 0)
      throw new ConfigError(`${at}: the resolver list is empty (expected at least one IP address)`);
    checkResolvers(list, at, true);
    if (z === domain)
      throw new ConfigError(
        `${at}: "${zone}" is the served domain ("domain": "${domain}"); its names are Beacon's own`,
      );
    const prev = names.get(z);
    if (prev !== undefined) throw new ConfigError(`${at}: "${zone}" is the same zone as "${prev}"`);
    names.set(z, zone);
  }
  const all: [string, string][] = [...names].map(([z, raw]) => [z, `zone "${raw}"`]);
  all.push([domain, `the served domain "${domain}"`]);
  for (const [a, aText] of all) {
    for (const [b, bText] of all) {
      if (a !== b && a.endsWith(`.${b}`))
        throw new ConfigError(
          `${where}: ${aText} is inside ${bText}; one would mask the other (zones must not nest)`,
        );
    }
  }
}

// Every key, with Mesos-DNS's spelling: one zod schema for the whole file, so `Config` is
// derived from it (z.output) and nothing restates it. Per key, `META` adds the default, the
// "expected form" used in error messages and an optional further check.
const CONFIG_SCHEMA = z.object({
  // Where state comes from (Mesos-DNS).
  zk: z.string().refine((s) => s === '' || s.startsWith('zk://')),
  masters: z.array(z.string().min(1)),
  refreshSeconds: posInt,
  stateTimeoutSeconds: posInt,
  zkDetectionTimeout: z.number().int().min(0),
  // Records.
  ttl: posInt,
  srvRecordDefaultWeight: port,
  domain: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .refine((s) => s !== '' && isDomainName(s)),
  IPSources: z.array(z.enum(['netinfo', 'mesos', 'docker', 'host'])).min(1),
  EnforceRFC952: z.boolean(),
  // DNS server.
  port,
  listener: ip,
  dnson: z.boolean(),
  externalon: z.boolean(),
  recurseon: z.boolean(),
  resolvers: z.array(z.string()),
  zoneResolvers: z.record(z.string(), z.array(z.string())),
  timeout: posInt,
  SOAMname: domainName.refine((s) => s !== ''),
  SOARname: domainName.refine((s) => s !== ''),
  SOARefresh: posInt,
  SOARetry: posInt,
  SOAExpire: posInt,
  SOAMinttl: z.number().int().min(0),
  SetTruncateBit: z.boolean(),
  // HTTP API.
  HTTPListener: ip,
  httpport: port,
  httpon: z.boolean(),
  EnumerationOn: z.boolean(),
  // Talking to masters.
  MesosHTTPSOn: z.boolean(),
  CACertFile: str,
  CertFile: str,
  KeyFile: str,
  MesosAuthentication: z.enum(['', 'basic']),
  MesosCredentials: z.object({ Principal: str, Secret: str }),
  // Beacon's own keys.
  /** "poll" GETs /master/state every refreshSeconds; "stream" follows the v1 operator event stream. */
  stateSource: z.enum(['poll', 'stream']),
  /** /healthz reports degraded when the last good state is older than this. Default 3 × refreshSeconds. */
  maxStateAgeSeconds: posInt,
  /** Largest UDP answer, whatever EDNS0 buffer a client offers. */
  ednsMaxUdp: z.number().int().min(512).max(65535),
  /** Out-of-domain forwarding: "sequential" tries resolvers in turn (Mesos-DNS), "parallel" asks all. */
  forwardMode: z.enum(['sequential', 'parallel']),
  /** true: HTTP API misses answer 200 with Mesos-DNS's empty entry instead of 404. */
  compat404: z.boolean(),
  /** Generate PTR records for task and agent IPs. */
  ptr: z.boolean(),
  /** Leave tasks whose latest health check failed out of the job-level names. */
  healthFilter: z.boolean(),
  /** When every task behind a name is unhealthy, answer with all of them. */
  healthFailOpen: z.boolean(),
  /** On SIGTERM/SIGINT: /readyz fails at once, DNS and HTTP answer this long, then exit. */
  lameduckSeconds: z.number().min(0).max(3600),
  /** Clients whose out-of-zone queries are forwarded; others get REFUSED (not an open resolver). */
  forwardAllowedNetworks: z.array(z.string()),
  /** UDP responses per second per client /24 (IPv4) or /56 (IPv6); 0 turns the limiter off. */
  rrlResponsesPerSecond: z.number().int().min(0).max(1_000_000),
  /** Every Nth rate-limited UDP response is a TC=1 "slip" instead of a drop; 0 = never. */
  rrlSlip: z.number().int().min(0).max(10),
  /** Clients never rate-limited. */
  rrlExemptNetworks: z.array(z.string()),
  /** Zone transfers (AXFR/IXFR over TCP) are answered for these networks; empty: none. */
  allowTransfer: z.array(z.string()),
  /** Serials of differences kept for IXFR; older clients get the whole zone. */
  ixfrHistory: z.number().int().min(0).max(100_000),
  /** Secondaries sent a NOTIFY after each zone change (`ip` or `ip:port`). */
  notify: z.array(z.string()),
  /** Least time between two NOTIFYs to one secondary, ms. */
  notifyMinIntervalMs: z.number().int().min(0).max(3_600_000),
  /** ServerSets to serve as records too: every ServerSet under each root, named like
   *  DiscoveryInfo records (`/aurora/role/env/job` → `job.env.role.aurora.<domain>`). */
  serversets: z.array(
    z
      .object({
        zk: z.string().min(1),
        root: z.string().startsWith('/'),
        framework: z.string().optional(),
        nameTemplate: z.string().optional(),
        removalGraceSeconds: z.number().min(0).optional(),
        auth: z
          .string()
          .regex(/^digest:[^:]+:.+$/)
          .optional(),
      })
      .strict(),
  ),
});

/** The effective configuration (Mesos-DNS key spelling), as the schema gives it. */
export type Config = z.output<typeof CONFIG_SCHEMA>;
export type ConfigKey = keyof Config;

/** What a key adds to its schema: the default (undefined: computed from other keys), the
 *  "expected form" of error messages, and a further check with its own message (it receives the
 *  key as the user spelled it). */
interface Meta<T> {
  def: T | undefined;
  expect: string;
  check?: (value: T, where: string) => void;
}

/** A list of CIDRs: each entry parsed, so a bad one is named with its index and the reason. */
const networks = (def: readonly string[]): Meta<string[]> => ({
  def: [...def],
  expect: 'a list of networks such as ["10.0.0.0/8", "fc00::/7"]',
  check: (v, where) => v.forEach((s, i) => parseCidr(s, `${where}[${i}]`)),
});

const BOOL = 'true or false';
const SECONDS = 'a positive integer (seconds)';

const META: { [K in ConfigKey]: Meta<Config[K]> } = {
  zk: { def: '', expect: 'a zk:// URL such as "zk://10.0.0.1:2181/mesos", or ""' },
  masters: {
    def: [],
    expect: 'a list of "host:port" strings',
    check: (v, where) => checkMasters(v, where),
  },
  refreshSeconds: { def: 60, expect: SECONDS },
  stateTimeoutSeconds: { def: 300, expect: SECONDS },
  zkDetectionTimeout: { def: 30, expect: 'a non-negative integer (seconds)' },
  ttl: { def: 60, expect: SECONDS },
  srvRecordDefaultWeight: { def: 1, expect: 'an integer 0-65535' },
  domain: {
    def: 'mesos',
    expect:
      'a domain name such as "mesos" (labels of letters, digits and "-", separated by single dots, no trailing dot)',
  },
  IPSources: {
    def: ['netinfo', 'mesos', 'host'],
    expect: 'a non-empty list of "netinfo", "mesos", "docker", "host"',
  },
  EnforceRFC952: { def: false, expect: BOOL },
  port: { def: 53, expect: 'a port number 0-65535' },
  listener: { def: '0.0.0.0', expect: 'an IP address' },
  dnson: { def: true, expect: BOOL },
  externalon: { def: true, expect: BOOL },
  recurseon: { def: true, expect: BOOL },
  resolvers: {
    def: ['8.8.8.8'],
    expect: 'a list of IP addresses with optional ports, e.g. ["8.8.8.8", "10.0.0.2:5353"]',
    check: (v, where) => checkResolvers(v, where, false),
  },
  zoneResolvers: {
    def: {},
    expect: 'an object mapping a zone to a list of resolvers, e.g. {"corp.example": ["10.1.0.2"]}',
  },
  timeout: { def: 5, expect: SECONDS },
  SOAMname: { def: 'ns1.mesos', expect: 'a domain name' },
  SOARname: { def: 'root.ns1.mesos', expect: 'a domain name (the mailbox, "root.ns1.mesos")' },
  SOARefresh: { def: 60, expect: SECONDS },
  SOARetry: { def: 600, expect: SECONDS },
  SOAExpire: { def: 86400, expect: SECONDS },
  SOAMinttl: { def: 60, expect: 'a non-negative integer (seconds)' },
  SetTruncateBit: { def: true, expect: BOOL },
  HTTPListener: { def: '0.0.0.0', expect: 'an IP address' },
  httpport: { def: 8123, expect: 'a port number 0-65535' },
  httpon: { def: true, expect: BOOL },
  EnumerationOn: { def: true, expect: BOOL },
  MesosHTTPSOn: { def: false, expect: BOOL },
  CACertFile: { def: '', expect: 'a file path or ""' },
  CertFile: { def: '', expect: 'a file path or ""' },
  KeyFile: { def: '', expect: 'a file path or ""' },
  MesosAuthentication: { def: '', expect: '"" or "basic"' },
  MesosCredentials: {
    def: { Principal: '', Secret: '' },
    expect: 'an object {"Principal": "...", "Secret": "..."}',
  },
  stateSource: { def: 'poll', expect: '"poll" or "stream"' },
  maxStateAgeSeconds: { def: undefined, expect: SECONDS },
  ednsMaxUdp: { def: 1232, expect: 'an integer 512-65535 (bytes)' },
  forwardMode: { def: 'sequential', expect: '"sequential" or "parallel"' },
  compat404: { def: false, expect: BOOL },
  ptr: { def: true, expect: BOOL },
  healthFilter: { def: true, expect: BOOL },
  healthFailOpen: { def: true, expect: BOOL },
  lameduckSeconds: { def: 0, expect: 'seconds from 0 to 3600' },
  forwardAllowedNetworks: networks(PRIVATE_NETWORKS),
  rrlResponsesPerSecond: {
    def: 100,
    expect: 'an integer 0-1000000 (responses per second; 0 = off)',
  },
  rrlSlip: { def: 2, expect: 'an integer 0-10' },
  rrlExemptNetworks: networks(LOOPBACK_NETWORKS),
  allowTransfer: networks([]),
  ixfrHistory: { def: 100, expect: 'an integer 0-100000 (serials)' },
  notify: {
    def: [],
    expect:
      'a list of secondaries\' addresses, "ip" or "ip:port", e.g. ["10.0.0.5", "10.0.0.6:5353"]',
    check: (v, where) => v.forEach((s, i) => parseNotifyTarget(s, `${where}[${i}]`)),
  },
  notifyMinIntervalMs: { def: 250, expect: 'an integer 0-3600000 (milliseconds)' },
  serversets: {
    def: [],
    expect:
      'a list of {"zk": "host:port,…", "root": "/aurora"} objects (optional "framework", "nameTemplate", "removalGraceSeconds", "auth": "digest:USER:PASSWORD")',
  },
};

export interface ConfigResult {
  config: Config;
  /** Unknown keys and other non-fatal remarks, one line each. */
  warnings: string[];
}

const KEYS: readonly ConfigKey[] = CONFIG_SCHEMA.keyof().options;
const BY_LOWER = new Map<string, ConfigKey>(KEYS.map((k) => [k.toLowerCase(), k]));

/** Runs a key's further check on its parsed value. */
function check<K extends ConfigKey>(key: K, config: Config, where: string): void {
  const meta: Meta<Config[K]> = META[key];
  meta.check?.(config[key], where);
}

function show(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    // BigInt or a cycle (a programmatic caller, not JSON): describe it instead of crashing.
    s = undefined;
  }
  if (s === undefined) {
    if (typeof v === 'bigint') s = `${v}n`;
    else if (typeof v === 'symbol') s = 'a symbol';
    else if (typeof v === 'function') s = 'a function';
    else if (typeof v === 'object' && v !== null) s = Array.isArray(v) ? 'an array' : 'an object';
    else s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Validates a parsed config.json object; `source` names it in messages (`config.json`). */
export function parseConfig(obj: unknown, source = 'config.json'): ConfigResult {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ConfigError(`${source}: must be a JSON object of settings, got ${show(obj)}`);
  }
  const warnings: string[] = [];
  const given = new Map<ConfigKey, { raw: string; value: unknown }>();
  for (const [raw, value] of Object.entries(obj)) {
    const key = BY_LOWER.get(raw.toLowerCase());
    if (!key) {
      warnings.push(`${source}: unknown key "${raw}" ignored`);
      continue;
    }
    const prev = given.get(key);
    if (prev)
      warnings.push(
        `${source}: "${raw}" and "${prev.raw}" are the same key (case-insensitive); "${raw}" wins`,
      );
    given.set(key, {
      raw,
      value: key === 'MesosCredentials' ? credentials(value, raw, source) : value,
    });
  }
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const meta = META[key];
    const g = given.get(key);
    if (!g || (g.value === undefined && meta.def === undefined)) {
      out[key] = structuredClone(meta.def);
      continue;
    }
    const schema: z.ZodType = CONFIG_SCHEMA.shape[key];
    const r = schema.safeParse(g.value);
    if (!r.success)
      throw new ConfigError(
        `${source}: "${g.raw}" must be ${meta.expect}, got ${show(hideSecrets(key, g.value))}`,
      );
    out[key] = r.data;
  }
  if (out.maxStateAgeSeconds === undefined && typeof out.refreshSeconds === 'number')
    out.maxStateAgeSeconds = 3 * out.refreshSeconds;
  // Every value passed its own schema: the whole-file schema gives the typed Config.
  const parsed = CONFIG_SCHEMA.safeParse(out);
  if (!parsed.success)
    throw new ConfigError(`${source}: invalid settings (${parsed.error.issues[0]?.message})`);
  const config = parsed.data;
  const where = (key: ConfigKey) => `${source}: "${given.get(key)?.raw ?? key}"`;
  for (const key of KEYS) check(key, config, where(key));
  // Mesos-DNS validateEnabledServices: a server that serves nothing is a mistake.
  if (!config.dnson && !config.httpon)
    throw new ConfigError(
      `${where('dnson')} and ${where('httpon')} are both false: nothing would be served (set one to true)`,
    );
  if (config.externalon) checkResolvers(config.resolvers, where('resolvers'), true);
  checkZoneResolvers(config.zoneResolvers, config.domain, where('zoneResolvers'));
  if (config.MesosAuthentication === 'basic' && config.MesosCredentials.Principal === '') {
    throw new ConfigError(
      `${source}: "MesosAuthentication" is "basic" but "MesosCredentials".Principal is empty`,
    );
  }
  return { config, warnings };
}

/** A rejected value as it may be shown in an error: never the Mesos secret or a URL password. */
function hideSecrets(key: ConfigKey, v: unknown): unknown {
  if (key === 'MesosCredentials' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
    return { ...v, Secret: '******' };
  }
  if (key === 'zk' && typeof v === 'string') return redactUrlPasswords(v);
  if (key === 'serversets' && Array.isArray(v)) {
    return v.map((e: unknown) =>
      typeof e === 'object' && e !== null && typeof (e as { auth?: unknown }).auth === 'string'
        ? { ...e, auth: scrubSecrets((e as { auth: string }).auth) }
        : e,
    );
  }
  return v;
}

/** Replaces the userinfo of any `scheme://user:password@` in `s` (zk://, http://…). */
export function redactUrlPasswords(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, '$1******@');
}

// MesosCredentials' inner keys are matched case-insensitively too.
function credentials(v: unknown, raw: string, source: string): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = { Principal: '', Secret: '' };
  for (const [k, val] of Object.entries(v)) {
    const lk = k.toLowerCase();
    if (lk === 'principal') out.Principal = val;
    else if (lk === 'secret') out.Secret = val;
    else
      throw new ConfigError(
        `${source}: "${raw}" has an unknown key "${k}" (expected Principal and Secret)`,
      );
  }
  return out;
}

/** Reads and validates a config.json file. */
export async function loadConfig(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(`${path}: cannot read the config file (${code})`, { cause: e });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path}: not JSON (${(e as Error).message})`, { cause: e });
  }
  return parseConfig(obj, path);
}

/** A copy safe to show (`/v1/config`, logs): the Mesos secret and zk:// passwords replaced. */
export function redactConfig(config: Config): Config {
  const c = structuredClone(config);
  if (c.MesosCredentials.Secret !== '') c.MesosCredentials.Secret = '******';
  c.zk = redactUrlPasswords(c.zk);
  c.masters = c.masters.map(redactUrlPasswords);
  c.serversets = c.serversets.map((e) => (e.auth ? { ...e, auth: scrubSecrets(e.auth) } : e));
  return c;
}

/** The addresses Mesos-DNS gives the SOAMname record: the listener, or with 0.0.0.0 every
 *  non-loopback interface address. */
export function listenerAddresses(listener: string): string[] {
  if (listener !== '0.0.0.0') return [listener];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? [])
      if (!a.internal && !a.address.startsWith('fe80:')) out.push(a.address);
  }
  return out.sort();
}

/** What the record generator needs. `selfAddresses` overrides the listener-derived addresses
 *  (tests, previews that must not depend on the machine). */
export function recordsConfig(config: Config, selfAddresses?: string[]): RecordsConfig {
  return {
    domain: config.domain,
    ttl: config.ttl,
    spec: config.EnforceRFC952 ? 'RFC952' : 'RFC1123',
    ipSources: [...config.IPSources],
    srvWeight: config.srvRecordDefaultWeight,
    masters: [...config.masters],
    soaMname: `${config.SOAMname}.`,
    soaRname: `${config.SOARname}.`,
    soaRefresh: config.SOARefresh,
    soaRetry: config.SOARetry,
    soaExpire: config.SOAExpire,
    soaMinttl: config.SOAMinttl,
    selfAddresses: selfAddresses ?? listenerAddresses(config.listener),
    ptr: config.ptr,
    serial: 1,
    healthFilter: config.healthFilter,
    healthFailOpen: config.healthFailOpen,
  };
}

/** Defaults only (no file). */
export function defaultConfig(): Config {
  return parseConfig({}).config;
}
