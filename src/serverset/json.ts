// The JSON member encoding (spec/serverset.md): the one Beacon writes and every reader understands.
// Written compact, UTF-8, starting with exactly `{"` — the Java reader picks its codec from those
// bytes. Read leniently: any JSON object (whitespace around and inside it), as the Python commons
// reader and Finagle's zk2 resolver read it.
import { DecodeError } from '../errors.js';
import type { Endpoint, ServiceInstance } from '../model/service-instance.js';
import { isJsonSpace } from '../model/json-text.js';
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

/** True when the first byte after any JSON whitespace is `{`: a JSON object, compact (`{"`, what
 *  the Java reader requires) or pretty-printed (what the Python and Finagle readers accept too).
 *  A byte-order mark is not whitespace: such data is refused. None of JSON's whitespace is 0x0C,
 *  the first byte of a Thrift member, so the choice of codec stays unambiguous. */
export function looksLikeJson(buf: Uint8Array): boolean {
  let i = 0;
  while (i < buf.length && isJsonSpace(buf[i])) i++;
  return buf[i] === 0x7b;
}

/** Reads a JSON member; never throws for bad bytes. */
export function tryDecodeJson(buf: Uint8Array): DecodeResult {
  if (!looksLikeJson(buf)) {
    return { ok: false, reason: 'JSON member must be a JSON object (starting with {)' };
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
