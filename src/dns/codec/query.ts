// Pure decoder for incoming DNS queries (bytes in, object out; no sockets). Reads the header, the
// single question (kept as raw bytes so the client's exact case can be echoed) and the EDNS OPT
// record. Hand-written because it runs once per packet and dns-packet's full decode was the
// bottleneck in bench/dns.ts; it never throws on bad input, it reports what is wrong.
import { FLAG, HEADER_LEN, QTYPE } from './constants.js';

export interface Edns {
  /** Requestor's UDP payload size (the OPT class field). */
  udpSize: number;
  version: number;
  /** DNSSEC OK bit: copied to the response (RFC 3225). */
  dnssecOk: boolean;
}

export interface Query {
  id: number;
  /** Raw second header word (flags, opcode, rcode). */
  flags: number;
  opcode: number;
  /** Offset just past the question name (start of QTYPE). */
  qnameEnd: number;
  /** Question name, lowercase presentation form with trailing dot (`a.b.mesos.`). */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question (QTYPE+QCLASS). */
  questionEnd: number;
  edns?: Edns;
}

/**
 * Why a packet cannot be answered normally:
 * - `drop`: not a query we can even reply to (too short, or a response: never answer answers);
 * - `notimp`: opcode other than QUERY;
 * - `formerr`: header readable but the rest is malformed (or qdcount ≠ 1).
 */
export type QueryProblem =
  { kind: 'drop' } | { kind: 'notimp' | 'formerr'; id: number; flags: number };

export type DecodeResult = { ok: true; query: Query } | ({ ok: false } & QueryProblem);

const MAX_NAME_WIRE = 255;

// Scratch space for building the lowercase name: one string allocation per query. Escapes can
// double a byte, so 2 × 255 bytes bound it.
const scratch = Buffer.allocUnsafe(2 * MAX_NAME_WIRE + 2);

/** Lowercase presentation form of the uncompressed name at `off`; `-1` end if malformed. */
function readQname(buf: Buffer, off: number): { name: string; end: number } {
  let j = 0;
  let wire = 0;
  for (;;) {
    if (off >= buf.length) return { name: '', end: -1 };
    const len = buf[off];
    // Compression pointers (0xC0) cannot be valid in the first question: they would point into
    // the header or forward. Extended label types (0x40, 0x80) are obsolete.
    if (len > 63) return { name: '', end: -1 };
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) return { name: '', end: -1 };
    off++;
    if (len === 0) break;
    if (off + len > buf.length) return { name: '', end: -1 };
    for (let i = 0; i < len; i++) {
      let c = buf[off + i];
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      // A literal dot or backslash inside a label is escaped so it cannot alias another name.
      else if (c === 0x2e || c === 0x5c) scratch[j++] = 0x5c;
      scratch[j++] = c;
    }
    scratch[j++] = 0x2e;
    off += len;
  }
  return { name: j === 0 ? '.' : scratch.toString('latin1', 0, j), end: off };
}

/** Skips a possibly compressed name in a record (we never follow pointers: a pointer ends it). */
function skipName(buf: Buffer, len: number, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= len) return -1;
    const l = buf[off];
    if (l === 0) return off + 1;
    if ((l & 0xc0) === 0xc0) return off + 2 <= len ? off + 2 : -1;
    if (l > 63) return -1;
    off += l + 1;
  }
  return -1;
}

/** decodeQueryInto's verdicts. */
export const DECODE = { OK: 0, DROP: 1, NOTIMP: 2, FORMERR: 3 } as const;

/**
 * A reusable Query for the server's hot path: decodeQueryInto fills it without allocating (the
 * EDNS fields live in one reused object; the name string is built only when `name` is read).
 * `hash` is FNV-1a over the lowercase wire name, for caches keyed by the wire bytes. Valid while
 * the message it was decoded from is unchanged: clone() it to keep it past that.
 */
export class QueryScratch implements Query {
  id = 0;
  flags = 0;
  opcode = 0;
  qnameEnd = 0;
  qtype = 0;
  qclass = 0;
  questionEnd = 0;
  edns: Edns | undefined = undefined;
  hash = 0;
  msg: Buffer = EMPTY;
  private text: string | undefined;
  private readonly ednsSlot: Edns = { udpSize: 0, version: 0, dnssecOk: false };

  get name(): string {
    this.text ??= readQname(this.msg, HEADER_LEN).name;
    return this.text;
  }

  /** A plain, independent copy (for work that outlives the message: forwarding). */
  clone(): Query {
    const q: Query = {
      id: this.id,
      flags: this.flags,
      opcode: this.opcode,
      qnameEnd: this.qnameEnd,
      name: this.name,
      qtype: this.qtype,
      qclass: this.qclass,
      questionEnd: this.questionEnd,
    };
    if (this.edns) q.edns = { ...this.edns };
    return q;
  }

  /** @internal */
  reset(msg: Buffer): void {
    this.msg = msg;
    this.text = undefined;
    this.edns = undefined;
  }

  /** @internal */
  setEdns(udpSize: number, version: number, dnssecOk: boolean): boolean {
    if (this.edns) return false;
    const e = this.ednsSlot;
    e.udpSize = udpSize;
    e.version = version;
    e.dnssecOk = dnssecOk;
    this.edns = e;
    return true;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Validates the uncompressed question name at HEADER_LEN of `buf[0, len)` and hashes its
 * lowercase wire form into `q.hash`; returns the offset past it, or -1 if malformed.
 */
function scanQname(buf: Buffer, len: number, q: QueryScratch): number {
  let off = HEADER_LEN;
  let wire = 0;
  let h = 0x811c9dc5;
  for (;;) {
    if (off >= len) return -1;
    const l = buf[off];
    if (l > 63) return -1;
    wire += l + 1;
    if (wire > MAX_NAME_WIRE) return -1;
    h = Math.imul(h ^ l, 0x01000193);
    off++;
    if (l === 0) break;
    if (off + l > len) return -1;
    for (let i = 0; i < l; i++) {
      let c = buf[off + i];
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      h = Math.imul(h ^ c, 0x01000193);
    }
    off += l;
  }
  q.hash = h >>> 0;
  return off;
}

/**
 * Decodes the query in `buf[0, len)` into `q` without allocating; returns a DECODE verdict. For
 * NOTIMP and FORMERR, `q.id` and `q.flags` are set (enough for a header-only reply).
 */
export function decodeQueryInto(buf: Buffer, len: number, q: QueryScratch): number {
  q.reset(buf);
  if (len < HEADER_LEN) return DECODE.DROP;
  q.id = buf.readUInt16BE(0);
  const flags = (q.flags = buf.readUInt16BE(2));
  if (flags & FLAG.QR) return DECODE.DROP;
  const opcode = (q.opcode = (flags >> 11) & 0xf);
  if (opcode !== 0) return DECODE.NOTIMP;
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (qd !== 1) return DECODE.FORMERR;
  const qnameEnd = scanQname(buf, len, q);
  if (qnameEnd < 0 || qnameEnd + 4 > len) return DECODE.FORMERR;
  q.qnameEnd = qnameEnd;
  q.qtype = buf.readUInt16BE(qnameEnd);
  q.qclass = buf.readUInt16BE(qnameEnd + 2);
  const questionEnd = (q.questionEnd = qnameEnd + 4);
  if (ar === 0) return DECODE.OK;
  // Walk past any answer/authority records (unusual in a query) to reach the OPT record.
  let off = questionEnd;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const nameStart = off;
    off = skipName(buf, len, off);
    if (off < 0 || off + 10 > len) return DECODE.FORMERR;
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const rdEnd = off + 10 + rdlen;
    if (rdEnd > len) return DECODE.FORMERR;
    if (type === QTYPE.OPT) {
      // RFC 6891: OPT only in Additional, at most once, owned by the root.
      if (i < an + ns || buf[nameStart] !== 0) return DECODE.FORMERR;
      const ttl = buf.readUInt32BE(off + 4);
      const udp = buf.readUInt16BE(off + 2);
      if (!q.setEdns(udp, (ttl >>> 16) & 0xff, (ttl & 0x8000) !== 0)) return DECODE.FORMERR;
    }
    off = rdEnd;
  }
  return DECODE.OK;
}

/** Decodes a query into a fresh object (tests, tools); the server uses decodeQueryInto. */
export function decodeQuery(buf: Buffer): DecodeResult {
  const q = new QueryScratch();
  const v = decodeQueryInto(buf, buf.length, q);
  if (v === DECODE.OK) return { ok: true, query: q.clone() };
  if (v === DECODE.DROP) return { ok: false, kind: 'drop' };
  return { ok: false, kind: v === DECODE.NOTIMP ? 'notimp' : 'formerr', id: q.id, flags: q.flags };
}
