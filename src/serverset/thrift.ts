// The legacy Thrift member encoding (TBinaryProtocol struct, no message header; spec/serverset.md).
// Beacon reads it from older estates and writes it only for tests and legacy tooling. The reader is
// bounds-checked everywhere: hostile bytes give a DecodeError, never a RangeError or a hang.
import { DecodeError } from '../errors.js';
import {
  STATUS_THRIFT_VALUE,
  statusFromThrift,
  type Endpoint,
  type ServiceInstance,
  type WritableStatus,
} from '../model/service-instance.js';
import { assertWritable, toServiceInstance, type DecodeResult } from './validate.js';

/** TBinaryProtocol type ids. */
export const TType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;

/** Nesting bound for skipping unknown fields: deeper input is hostile, not a real member. */
export const MAX_DEPTH = 64;

const FIXED_WIDTH: Readonly<Record<number, number>> = {
  [TType.BOOL]: 1,
  [TType.BYTE]: 1,
  [TType.DOUBLE]: 8,
  [TType.I16]: 2,
  [TType.I32]: 4,
  [TType.I64]: 8,
};

const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(TType).map(([k, v]) => [v, k]),
);
const typeName = (t: number) => TYPE_NAMES[t] ?? `unknown type ${t}`;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A cursor over the bytes; every read checks the remaining length first. */
class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  get offset(): number {
    return this.pos;
  }
  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(
        `Thrift member truncated: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
    }
  }
  skipBytes(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  i16(what: string): number {
    this.need(2, what);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  /** A container or string size: negative sizes and sizes the rest of the buffer cannot hold
   *  (each element takes at least `minBytes`) are rejected before any loop runs. */
  size(what: string, minBytes: number): number {
    const at = this.pos;
    const n = this.i32(what);
    if (n < 0) throw new DecodeError(`Thrift member: negative ${what} ${n} at offset ${at}`);
    if (n * minBytes > this.remaining) {
      throw new DecodeError(
        `Thrift member: ${what} ${n} at offset ${at} exceeds the ${this.remaining} bytes left`,
      );
    }
    return n;
  }
  string(what: string): string {
    const n = this.size(`${what} length`, 1);
    const bytes = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return utf8.decode(bytes);
    } catch {
      throw new DecodeError(`Thrift member: ${what} is not valid UTF-8`);
    }
  }
}

/** Skips one value of any TBinaryProtocol type. Every element consumes at least one byte, so the
 *  work is bounded by the buffer length; the depth bound stops stack exhaustion. */
function skip(r: Reader, type: number, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new DecodeError(`Thrift member nests deeper than ${MAX_DEPTH} levels`);
  }
  const width = FIXED_WIDTH[type];
  if (width !== undefined) {
    r.skipBytes(width, typeName(type));
    return;
  }
  switch (type) {
    case TType.STRING:
      r.skipBytes(r.size('string length', 1), 'string');
      return;
    case TType.STRUCT:
      for (;;) {
        const ft = r.u8('field type');
        if (ft === TType.STOP) return;
        r.i16('field id');
        skip(r, ft, depth + 1);
      }
    case TType.MAP: {
      const kt = r.u8('map key type');
      const vt = r.u8('map value type');
      const n = r.size('map size', 2);
      if (n > 0) {
        checkType(kt, r);
        checkType(vt, r);
      }
      for (let i = 0; i < n; i++) {
        skip(r, kt, depth + 1);
        skip(r, vt, depth + 1);
      }
      return;
    }
    case TType.SET:
    case TType.LIST: {
      const et = r.u8('element type');
      const n = r.size(`${typeName(type).toLowerCase()} size`, 1);
      if (n > 0) checkType(et, r);
      for (let i = 0; i < n; i++) skip(r, et, depth + 1);
      return;
    }
    default:
      throw new DecodeError(`Thrift member: ${typeName(type)} at offset ${r.offset - 1}`);
  }
}

function checkType(t: number, r: Reader): void {
  if (t === TType.STOP || TYPE_NAMES[t] === undefined) {
    throw new DecodeError(`Thrift member: container of ${typeName(t)} near offset ${r.offset}`);
  }
}

/** Reads struct fields, handing known (id, type) pairs to `onField`; everything else is skipped,
 *  as generated Thrift code does for unknown ids and for known ids with an unexpected type. */
function readStruct(
  r: Reader,
  depth: number,
  onField: (id: number, type: number) => boolean,
): void {
  if (depth > MAX_DEPTH)
    throw new DecodeError(`Thrift member nests deeper than ${MAX_DEPTH} levels`);
  for (;;) {
    const type = r.u8('field type');
    if (type === TType.STOP) return;
    const id = r.i16('field id');
    if (!onField(id, type)) skip(r, type, depth + 1);
  }
}

/** Endpoint: 1 host STRING | 2 port I32 | 3 inet, 4 inet6 (optional, ignored). Missing fields stay
 *  missing so validation reports them. */
function readEndpoint(r: Reader, depth: number): Record<string, unknown> {
  const ep: Record<string, unknown> = {};
  readStruct(r, depth, (id, type) => {
    if (id === 1 && type === TType.STRING) ep.host = r.string('host');
    else if (id === 2 && type === TType.I32) ep.port = r.i32('port');
    else return false;
    return true;
  });
  return ep;
}

function readMapHeader(r: Reader, key: number, value: number, what: string): number {
  const kt = r.u8(`${what} key type`);
  const vt = r.u8(`${what} value type`);
  const n = r.size(`${what} size`, 2);
  if (n > 0 && (kt !== key || vt !== value)) {
    throw new DecodeError(
      `Thrift member: ${what} is MAP<${typeName(kt)},${typeName(vt)}>, expected MAP<${typeName(key)},${typeName(value)}>`,
    );
  }
  return n;
}

/** Decodes the ServiceInstance struct into the JSON-shaped object the validator takes. */
function readMember(buf: Uint8Array): Record<string, unknown> {
  const r = new Reader(buf);
  const raw: Record<string, unknown> = {};
  readStruct(r, 0, (id, type) => {
    switch (`${id}:${type}`) {
      case `1:${TType.STRUCT}`:
        raw.serviceEndpoint = readEndpoint(r, 1);
        return true;
      case `2:${TType.MAP}`: {
        const n = readMapHeader(r, TType.STRING, TType.STRUCT, 'additionalEndpoints');
        const entries: [string, unknown][] = [];
        for (let i = 0; i < n; i++) entries.push([r.string('endpoint name'), readEndpoint(r, 2)]);
        raw.additionalEndpoints = Object.fromEntries(entries);
        return true;
      }
      case `3:${TType.I32}`: {
        const v = r.i32('status');
        const s = statusFromThrift(v);
        // An unknown enum value is passed on as the number so the validator can name it.
        raw.status = s === 'UNKNOWN' ? v : s;
        return true;
      }
      case `4:${TType.I32}`:
        raw.shard = r.i32('shard');
        return true;
      case `5:${TType.MAP}`: {
        const n = readMapHeader(r, TType.STRING, TType.STRING, 'metadata');
        const entries: [string, string][] = [];
        for (let i = 0; i < n; i++)
          entries.push([r.string('metadata key'), r.string('metadata value')]);
        raw.metadata = Object.fromEntries(entries);
        return true;
      }
      default:
        return false;
    }
  });
  // Bytes after the final STOP are ignored, as Thrift's TDeserializer does.
  return raw;
}

/** Reads a Thrift member; never throws for bad bytes (a DecodeError becomes `ok: false`). */
export function tryDecodeThrift(buf: Uint8Array): DecodeResult {
  let raw: Record<string, unknown>;
  try {
    raw = readMember(buf);
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, reason: e.message };
    throw e;
  }
  return toServiceInstance(raw);
}

/** Reads a Thrift member; throws DecodeError when the bytes or the member are unusable. */
export function decodeThrift(buf: Uint8Array): ServiceInstance {
  const r = tryDecodeThrift(buf);
  if (!r.ok) throw new DecodeError(r.reason);
  return r.instance;
}

/** Appends TBinaryProtocol values to a list of chunks. */
class Writer {
  private readonly chunks: Buffer[] = [];
  u8(v: number): void {
    this.chunks.push(Buffer.of(v));
  }
  i16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.i32(bytes.length);
    this.chunks.push(bytes);
  }
  field(type: number, id: number): void {
    this.u8(type);
    this.i16(id);
  }
  stop(): void {
    this.u8(TType.STOP);
  }
  endpoint(e: Endpoint): void {
    this.field(TType.STRING, 1);
    this.string(e.host);
    this.field(TType.I32, 2);
    this.i32(e.port);
    this.stop();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Encodes a member as the commons Thrift struct: fields 1, 2 (always, possibly empty), 3, then 4
 *  when a shard is set and 5 when metadata is non-empty. Throws InputError for invalid instances. */
export function encodeThrift(instance: ServiceInstance): Buffer {
  assertWritable(instance);
  const w = new Writer();
  w.field(TType.STRUCT, 1);
  w.endpoint(instance.serviceEndpoint);
  const additional = Object.entries(instance.additionalEndpoints);
  w.field(TType.MAP, 2);
  w.u8(TType.STRING);
  w.u8(TType.STRUCT);
  w.i32(additional.length);
  for (const [name, e] of additional) {
    w.string(name);
    w.endpoint(e);
  }
  w.field(TType.I32, 3);
  w.i32(STATUS_THRIFT_VALUE[instance.status as WritableStatus]);
  if (instance.shard !== undefined) {
    w.field(TType.I32, 4);
    w.i32(instance.shard);
  }
  const metadata = Object.entries(instance.metadata ?? {});
  if (metadata.length > 0) {
    w.field(TType.MAP, 5);
    w.u8(TType.STRING);
    w.u8(TType.STRING);
    w.i32(metadata.length);
    for (const [k, v] of metadata) {
      w.string(k);
      w.string(v);
    }
  }
  w.stop();
  return w.bytes();
}
