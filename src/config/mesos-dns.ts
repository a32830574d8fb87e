// Mesos-DNS's config.json (same keys, same defaults, keys matched case-insensitively) plus
// Beacon's own keys, validated with one zod schema. Unknown keys are warnings; a bad value is a
// ConfigError naming the key and the expected form.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { LOOPBACK_NETWORKS, PRIVATE_NETWORKS, parseCidr } from '../dns/acl.js';
import { parseResolver } from '../dns/forward.js';
import { ConfigError } from '../errors.js';
import { scrubSecrets } from '../log.js';
import type { IpSource, RecordsConfig } from '../records/config.js';
import type { ServersetSourceConfig } from '../sources/serversets.js';

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

/** One field: schema, default and the "expected form" text used in error messages; `check`
 *  validates further with its own message (it receives the key as the user spelled it). */
interface Field {
  schema: z.ZodType;
  def: unknown;
  expect: string;
  check?: (value: unknown, where: string) => void;
}
const f = (schema: z.ZodType, def: unknown, expect: string, check?: Field['check']): Field => ({
  schema,
  def,
  expect,
  check,
});

/** A list of CIDRs: each entry parsed, so a bad one is named with its index and the reason. */
const networks = (def: readonly string[]): Field =>
  f(
    z.array(z.string()),
    [...def],
    'a list of networks such as ["10.0.0.0/8", "fc00::/7"]',
    (v, where) => (v as string[]).forEach((s, i) => parseCidr(s, `${where}[${i}]`)),
  );

/** Every key, with Mesos-DNS's spelling and default; Beacon's keys at the end. */
const FIELDS = {
  // Where state comes from (Mesos-DNS).
  zk: f(
    z.string().refine((s) => s === '' || s.startsWith('zk://')),
    '',
    'a zk:// URL such as "zk://10.0.0.1:2181/mesos", or ""',
  ),
  masters: f(z.array(z.string().min(1)), [], 'a list of "host:port" strings'),
  refreshSeconds: f(posInt, 60, 'a positive integer (seconds)'),
  stateTimeoutSeconds: f(posInt, 300, 'a positive integer (seconds)'),
  zkDetectionTimeout: f(z.number().int().min(0), 30, 'a non-negative integer (seconds)'),
  // Records.
  ttl: f(posInt, 60, 'a positive integer (seconds)'),
  srvRecordDefaultWeight: f(port, 1, 'an integer 0-65535'),
  domain: f(
    domainName.refine((s) => s !== ''),
    'mesos',
    'a domain name such as "mesos"',
  ),
  IPSources: f(
    z.array(z.enum(['netinfo', 'mesos', 'docker', 'host'])).min(1),
    ['netinfo', 'mesos', 'host'],
    'a non-empty list of "netinfo", "mesos", "docker", "host"',
  ),
  EnforceRFC952: f(z.boolean(), false, 'true or false'),
  // DNS server.
  port: f(port, 53, 'a port number 0-65535'),
  listener: f(ip, '0.0.0.0', 'an IP address'),
  dnson: f(z.boolean(), true, 'true or false'),
  externalon: f(z.boolean(), true, 'true or false'),
  recurseon: f(z.boolean(), true, 'true or false'),
  resolvers: f(
    z.array(z.string()),
    ['8.8.8.8'],
    'a list of IP addresses with optional ports, e.g. ["8.8.8.8", "10.0.0.2:5353"]',
    (v, where) =>
      (v as string[]).forEach((r, i) => {
        try {
          parseResolver(r);
        } catch {
          throw new ConfigError(
            `${where}[${i}]: "${r}" is not an IP address with an optional port (e.g. "8.8.8.8" or "10.0.0.2:5353")`,
          );
        }
      }),
  ),
  zoneResolvers: f(
    z.record(z.string(), z.array(ip)),
    {},
    'an object mapping a zone to a list of IP addresses',
  ),
  timeout: f(posInt, 5, 'a positive integer (seconds)'),
  SOAMname: f(
    domainName.refine((s) => s !== ''),
    'ns1.mesos',
    'a domain name',
  ),
  SOARname: f(
    domainName.refine((s) => s !== ''),
    'root.ns1.mesos',
    'a domain name (the mailbox, "root.ns1.mesos")',
  ),
  SOARefresh: f(posInt, 60, 'a positive integer (seconds)'),
  SOARetry: f(posInt, 600, 'a positive integer (seconds)'),
  SOAExpire: f(posInt, 86400, 'a positive integer (seconds)'),
  SOAMinttl: f(z.number().int().min(0), 60, 'a non-negative integer (seconds)'),
  SetTruncateBit: f(z.boolean(), true, 'true or false'),
  // HTTP API.
  HTTPListener: f(ip, '0.0.0.0', 'an IP address'),
  httpport: f(port, 8123, 'a port number 0-65535'),
  httpon: f(z.boolean(), true, 'true or false'),
  EnumerationOn: f(z.boolean(), true, 'true or false'),
  // Talking to masters.
  MesosHTTPSOn: f(z.boolean(), false, 'true or false'),
  CACertFile: f(str, '', 'a file path or ""'),
  CertFile: f(str, '', 'a file path or ""'),
  KeyFile: f(str, '', 'a file path or ""'),
  MesosAuthentication: f(z.enum(['', 'basic']), '', '"" or "basic"'),
  MesosCredentials: f(
    z.object({ Principal: str, Secret: str }),
    { Principal: '', Secret: '' },
    'an object {"Principal": "...", "Secret": "..."}',
  ),
  // Beacon's own keys.
  /** "poll" GETs /master/state every refreshSeconds; "stream" follows the v1 operator event stream. */
  stateSource: f(z.enum(['poll', 'stream']), 'poll', '"poll" or "stream"'),
  /** /healthz reports degraded when the last good state is older than this. Default 3 × refreshSeconds. */
  maxStateAgeSeconds: f(posInt, undefined, 'a positive integer (seconds)'),
  /** Largest UDP answer, whatever EDNS0 buffer a client offers. */
  ednsMaxUdp: f(z.number().int().min(512).max(65535), 1232, 'an integer 512-65535 (bytes)'),
  /** Out-of-domain forwarding: "sequential" tries resolvers in turn (Mesos-DNS), "parallel" asks all. */
  forwardMode: f(z.enum(['sequential', 'parallel']), 'sequential', '"sequential" or "parallel"'),
  /** true: HTTP API misses answer 200 with Mesos-DNS's empty entry instead of 404. */
  compat404: f(z.boolean(), false, 'true or false'),
  /** Generate PTR records for task and agent IPs. */
  ptr: f(z.boolean(), true, 'true or false'),
  healthFilter: f(z.boolean(), true, 'true or false'),
  healthFailOpen: f(z.boolean(), true, 'true or false'),
  lameduckSeconds: f(z.number().min(0).max(3600), 0, 'seconds from 0 to 3600'),
  /** Clients whose out-of-zone queries are forwarded; others get REFUSED (not an open resolver). */
  forwardAllowedNetworks: networks(PRIVATE_NETWORKS),
  /** UDP responses per second per client /24 (IPv4) or /56 (IPv6); 0 turns the limiter off. */
  rrlResponsesPerSecond: f(
    z.number().int().min(0).max(1_000_000),
    100,
    'an integer 0-1000000 (responses per second; 0 = off)',
  ),
  /** Every Nth rate-limited UDP response is a TC=1 "slip" instead of a drop; 0 = never. */
  rrlSlip: f(z.number().int().min(0).max(10), 2, 'an integer 0-10'),
  /** Clients never rate-limited. */
  rrlExemptNetworks: networks(LOOPBACK_NETWORKS),
  /** ServerSets to serve as records too: every ServerSet under each root, named like
   *  DiscoveryInfo records (`/aurora/role/env/job` → `job.env.role.aurora.<domain>`). */
  serversets: f(
    z.array(
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
    [],
    'a list of {"zk": "host:port,…", "root": "/aurora"} objects (optional "framework", "nameTemplate", "removalGraceSeconds", "auth": "digest:USER:PASSWORD")',
  ),
} satisfies Record<string, Field>;

type Fields = typeof FIELDS;
export type ConfigKey = keyof Fields;

/** The effective configuration (Mesos-DNS key spelling). */
export interface Config {
  zk: string;
  masters: string[];
  refreshSeconds: number;
  stateTimeoutSeconds: number;
  zkDetectionTimeout: number;
  ttl: number;
  srvRecordDefaultWeight: number;
  domain: string;
  IPSources: IpSource[];
  EnforceRFC952: boolean;
  port: number;
  listener: string;
  dnson: boolean;
  externalon: boolean;
  recurseon: boolean;
  resolvers: string[];
  zoneResolvers: Record<string, string[]>;
  timeout: number;
  SOAMname: string;
  SOARname: string;
  SOARefresh: number;
  SOARetry: number;
  SOAExpire: number;
  SOAMinttl: number;
  SetTruncateBit: boolean;
  HTTPListener: string;
  httpport: number;
  httpon: boolean;
  EnumerationOn: boolean;
  MesosHTTPSOn: boolean;
  CACertFile: string;
  CertFile: string;
  KeyFile: string;
  MesosAuthentication: '' | 'basic';
  MesosCredentials: { Principal: string; Secret: string };
  stateSource: 'poll' | 'stream';
  maxStateAgeSeconds: number;
  ednsMaxUdp: number;
  forwardMode: 'sequential' | 'parallel';
  compat404: boolean;
  ptr: boolean;
  healthFilter: boolean;
  healthFailOpen: boolean;
  lameduckSeconds: number;
  forwardAllowedNetworks: string[];
  rrlResponsesPerSecond: number;
  rrlSlip: number;
  rrlExemptNetworks: string[];
  serversets: ServersetSourceConfig[];
}

export interface ConfigResult {
  config: Config;
  /** Unknown keys and other non-fatal remarks, one line each. */
  warnings: string[];
}

const BY_LOWER = new Map<string, ConfigKey>(
  Object.keys(FIELDS).map((k) => [k.toLowerCase(), k as ConfigKey]),
);

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
  for (const key of Object.keys(FIELDS) as ConfigKey[]) {
    const field: Field = FIELDS[key];
    const g = given.get(key);
    if (!g || (g.value === undefined && field.def === undefined)) {
      out[key] = structuredClone(field.def);
      continue;
    }
    const r = field.schema.safeParse(g.value);
    if (!r.success)
      throw new ConfigError(
        `${source}: "${g.raw}" must be ${field.expect}, got ${show(hideSecrets(key, g.value))}`,
      );
    field.check?.(r.data, `${source}: "${g.raw}"`);
    out[key] = r.data;
  }
  const config = out as unknown as Config;
  config.maxStateAgeSeconds ??= 3 * config.refreshSeconds;
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
