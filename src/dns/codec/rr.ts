// Pure encoder for resource records as position-independent byte chunks. Names are compressed only
// against the question name (always at offset 12 of a response), so a chunk's bytes do not depend
// on where it lands in the message: the answer cache can store chunks once per RecordSet and the
// server can shuffle them per query. SRV targets are never compressed (RFC 2782).
import { HEADER_LEN, QCLASS, QTYPE } from './constants.js';

/** Lowercase name suffix (presentation, trailing dot) → its offset in the response. */
export type NameDict = ReadonlyMap<string, number>;

/** Growable byte buffer for building chunks (only on cache misses, so simplicity wins). */
class Bytes {
  buf = Buffer.allocUnsafe(64);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  ascii(s: string): void {
    this.room(s.length);
    this.buf.write(s, this.len, 'latin1');
    this.len += s.length;
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** Splits a presentation name (`a.b.c.` or `a.b.c`) into labels; root → []. */
function labels(name: string): string[] {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === '' ? [] : n.split('.');
}

/** The compression dictionary of a question name: each of its suffixes and where it starts. */
export function questionDict(lowerName: string): NameDict {
  const dict = new Map<string, number>();
  // Escaped labels (a literal dot in a label) are too rare to be worth compressing against.
  if (lowerName.includes('\\')) return dict;
  const ls = labels(lowerName);
  let off = HEADER_LEN;
  for (let i = 0; i < ls.length; i++) {
    dict.set(ls.slice(i).join('.') + '.', off);
    off += ls[i].length + 1;
  }
  return dict;
}

function writeName(out: Bytes, name: string, dict: NameDict | undefined): void {
  const ls = labels(name.toLowerCase());
  for (let i = 0; i < ls.length; i++) {
    const ptr = dict?.get(ls.slice(i).join('.') + '.');
    if (ptr !== undefined) {
      out.u16(0xc000 | ptr);
      return;
    }
    const l = ls[i];
    if (l.length === 0 || l.length > 63) throw new RangeError(`invalid label in ${name}`);
    out.u8(l.length);
    out.ascii(l);
  }
  out.u8(0);
}

export function parseIPv4(ip: string): Uint8Array | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const v = Number(parts[i]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

export function parseIPv6(ip: string): Uint8Array | undefined {
  let s = ip;
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    tail = parseIPv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const groups = h.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

export interface SoaFields {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minttl: number;
}

/** The record payloads the server emits. */
export type RData =
  | { type: 'A' | 'AAAA'; ip: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'PTR' | 'NS'; target: string }
  | { type: 'SOA'; soa: SoaFields };

/**
 * Encodes one record. `owner` is a presentation name, compressed against `dict` (pass the question
 * name itself to get the 0xC00C pointer, which echoes the client's case). Returns undefined when
 * the data cannot be encoded (a malformed IP in the record set): that record is skipped.
 */
export function encodeRR(
  owner: string,
  ttl: number,
  rd: RData,
  dict: NameDict,
): Buffer | undefined {
  const out = new Bytes();
  writeName(out, owner, dict);
  out.u16(QTYPE[rd.type]);
  out.u16(QCLASS.IN);
  out.u32(ttl);
  const rdlenAt = out.len;
  out.u16(0);
  switch (rd.type) {
    case 'A': {
      const b = parseIPv4(rd.ip);
      if (!b) return undefined;
      out.bytes(b);
      break;
    }
    case 'AAAA': {
      const b = parseIPv6(rd.ip);
      if (!b) return undefined;
      out.bytes(b);
      break;
    }
    case 'SRV':
      out.u16(rd.priority);
      out.u16(rd.weight);
      out.u16(rd.port);
      writeName(out, rd.target, undefined);
      break;
    case 'PTR':
    case 'NS':
      writeName(out, rd.target, dict);
      break;
    case 'SOA':
      writeName(out, rd.soa.mname, dict);
      writeName(out, rd.soa.rname, dict);
      out.u32(rd.soa.serial);
      out.u32(rd.soa.refresh);
      out.u32(rd.soa.retry);
      out.u32(rd.soa.expire);
      out.u32(rd.soa.minttl);
      break;
  }
  out.buf.writeUInt16BE(out.len - rdlenAt - 2, rdlenAt);
  return out.done();
}
