// The JSON member encoding (spec/serverset.md): the one Beacon writes and every reader understands.
// Compact, UTF-8, starting with exactly `{"` — the Java reader picks its codec from those bytes.
import { DecodeError } from '../errors.js';
import type { Endpoint, ServiceInstance } from '../model/service-instance.js';
import { assertWritable, toServiceInstance, type DecodeResult } from './validate.js';

/** Copies only host and port: extra properties on an endpoint object must not leak to the wire. */
function wireEndpoint(e: Endpoint): Endpoint {
  return { host: e.host, port: e.port };
}

/**
 * Encodes a member as compact JSON with the key order of the commons writer:
 * serviceEndpoint, additionalEndpoints (always, `{}` when empty), status, shard (when set),
 * metadata (when non-empty). Throws InputError for an instance other readers would reject.
 */
export function encodeJson(instance: ServiceInstance): Buffer {
  assertWritable(instance);
  const additional = Object.fromEntries(
    Object.entries(instance.additionalEndpoints).map(([k, e]) => [k, wireEndpoint(e)]),
  );
  // Property order of this literal is the order on the wire (all keys are non-numeric).
  const doc: Record<string, unknown> = {
    serviceEndpoint: wireEndpoint(instance.serviceEndpoint),
    additionalEndpoints: additional,
    status: instance.status,
  };
  if (instance.shard !== undefined) doc.shard = instance.shard;
  if (instance.metadata !== undefined && Object.keys(instance.metadata).length > 0) {
    doc.metadata = { ...instance.metadata };
  }
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when the bytes start with `{"`, the test the Java reader uses to pick JSON. */
export function looksLikeJson(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x7b && buf[1] === 0x22;
}

/** Reads a JSON member; never throws for bad bytes. */
export function tryDecodeJson(buf: Uint8Array): DecodeResult {
  if (!looksLikeJson(buf)) {
    return {
      ok: false,
      reason: 'JSON member must start with {" (compact JSON, no BOM or whitespace)',
    };
  }
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { ok: false, reason: 'JSON member is not valid UTF-8' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `JSON member does not parse: ${(e as Error).message}` };
  }
  return toServiceInstance(raw);
}

/** Reads a JSON member; throws DecodeError with the reason when it is unusable. */
export function decodeJson(buf: Uint8Array): ServiceInstance {
  const r = tryDecodeJson(buf);
  if (!r.ok) throw new DecodeError(r.reason);
  return r.instance;
}
