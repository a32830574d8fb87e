// Member validation shared by the JSON and Thrift readers (Finagle zk2's rules), and the check both
// writers run so Beacon never puts a member on the wire that another reader would reject.
import { InputError } from '../errors.js';
import {
  isInt32,
  isWirePort,
  Status,
  statusFromName,
  type Endpoint,
  type ServiceInstance,
} from '../model/service-instance.js';

/** What a reader gets for one member node. `warnings` lists parts that were dropped (an invalid
 *  additional endpoint, a non-integer shard…) while the member itself stayed usable. */
export type DecodeResult =
  { ok: true; instance: ServiceInstance; warnings: string[] } | { ok: false; reason: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why `v` is not an endpoint, or undefined when it is one. */
function endpointProblem(v: unknown): string | undefined {
  if (!isPlainObject(v)) return `is ${describe(v)}, not an object {host, port}`;
  if (typeof v.host !== 'string') return `has host ${describe(v.host)}, expected a string`;
  // An empty host resolves to nothing useful (the local machine, at best): reject it.
  if (v.host.length === 0) return 'has an empty host';
  if (!isWirePort(v.port)) return `has port ${describe(v.port)}, expected an integer 0..65535`;
  return undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `a ${typeof v}`;
}

/**
 * Turns a decoded member (JSON-shaped: what JSON.parse or the Thrift reader produced) into a
 * ServiceInstance. Rules, after Finagle's zk2 reader:
 * - the member must be an object with a valid `serviceEndpoint` (string host, integer port
 *   0..65535); otherwise it is rejected — the commons reader requires it too;
 * - each `additionalEndpoints` entry is checked on its own: an invalid entry is dropped (Finagle
 *   parses each endpoint independently), the rest of the member stays;
 * - `status` missing or unknown → UNKNOWN (the caller keeps only ALIVE);
 * - `shard` kept only when an i32 integer; `metadata` keeps only string values;
 * - unknown keys are ignored.
 */
export function toServiceInstance(raw: unknown): DecodeResult {
  if (!isPlainObject(raw))
    return { ok: false, reason: `member is ${describe(raw)}, not an object` };
  const problem = endpointProblem(raw.serviceEndpoint);
  if (problem !== undefined) return { ok: false, reason: `serviceEndpoint ${problem}` };
  const se = raw.serviceEndpoint as Endpoint;
  const warnings: string[] = [];

  // Entries are collected and turned into objects with Object.fromEntries, which defines own
  // properties: a member naming an endpoint "__proto__" cannot change an object's prototype.
  const endpoints: [string, Endpoint][] = [];
  const ae = raw.additionalEndpoints;
  if (isPlainObject(ae)) {
    for (const [name, ep] of Object.entries(ae)) {
      const p = endpointProblem(ep);
      if (p === undefined) {
        const e = ep as Endpoint;
        endpoints.push([name, { host: e.host, port: e.port }]);
      } else {
        warnings.push(`additionalEndpoints[${JSON.stringify(name)}] ${p}; dropped`);
      }
    }
  } else if (ae !== undefined) {
    warnings.push(`additionalEndpoints is ${describe(ae)}, not an object; ignored`);
  }

  const instance: ServiceInstance = {
    serviceEndpoint: { host: se.host, port: se.port },
    additionalEndpoints: Object.fromEntries(endpoints),
    status: statusFromName(raw.status),
  };
  if (raw.status !== undefined && instance.status === Status.UNKNOWN) {
    warnings.push(`status ${describe(raw.status)} is not a known status; read as UNKNOWN`);
  }

  if (isInt32(raw.shard)) instance.shard = raw.shard;
  else if (raw.shard !== undefined && raw.shard !== null) {
    warnings.push(`shard ${describe(raw.shard)} is not an integer; ignored`);
  }

  const md = raw.metadata;
  if (isPlainObject(md)) {
    const metadata: [string, string][] = [];
    for (const [k, v] of Object.entries(md)) {
      if (typeof v === 'string') metadata.push([k, v]);
      else warnings.push(`metadata[${JSON.stringify(k)}] is ${describe(v)}, not a string; dropped`);
    }
    if (metadata.length > 0) instance.metadata = Object.fromEntries(metadata);
  } else if (md !== undefined && md !== null) {
    warnings.push(`metadata is ${describe(md)}, not an object; ignored`);
  }
  return { ok: true, instance, warnings };
}

/** Throws InputError when `instance` cannot be written so that every reader accepts it. */
export function assertWritable(instance: ServiceInstance): void {
  const fail = (what: string): never => {
    throw new InputError(`cannot announce this member: ${what}`);
  };
  const p = endpointProblem(instance.serviceEndpoint);
  if (p !== undefined) fail(`serviceEndpoint ${p}`);
  if (!isPlainObject(instance.additionalEndpoints)) fail('additionalEndpoints must be an object');
  for (const [name, ep] of Object.entries(instance.additionalEndpoints)) {
    const q = endpointProblem(ep);
    if (q !== undefined) fail(`additionalEndpoints[${JSON.stringify(name)}] ${q}`);
  }
  if (instance.status === Status.UNKNOWN || statusFromName(instance.status) === Status.UNKNOWN) {
    fail(`status ${describe(instance.status)} cannot be written (use ALIVE)`);
  }
  if (instance.shard !== undefined && !isInt32(instance.shard)) {
    fail(`shard ${describe(instance.shard)} must be an integer in the i32 range`);
  }
  if (instance.metadata !== undefined) {
    if (!isPlainObject(instance.metadata)) fail('metadata must be an object of strings');
    for (const [k, v] of Object.entries(instance.metadata)) {
      if (typeof v !== 'string') fail(`metadata[${JSON.stringify(k)}] must be a string`);
    }
  }
}
