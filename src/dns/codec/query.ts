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
function skipName(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const len = buf[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if (len > 63) return -1;
    off += len + 1;
  }
  return -1;
}

export function decodeQuery(buf: Buffer): DecodeResult {
  if (buf.length < HEADER_LEN) return { ok: false, kind: 'drop' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & FLAG.QR) return { ok: false, kind: 'drop' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { ok: false, kind: 'notimp', id, flags };
  const formerr = { ok: false as const, kind: 'formerr' as const, id, flags };
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (qd !== 1) return formerr;
  const { name, end: qnameEnd } = readQname(buf, HEADER_LEN);
  if (qnameEnd < 0 || qnameEnd + 4 > buf.length) return formerr;
  const qtype = buf.readUInt16BE(qnameEnd);
  const qclass = buf.readUInt16BE(qnameEnd + 2);
  const questionEnd = qnameEnd + 4;
  const query: Query = { id, flags, opcode, qnameEnd, name, qtype, qclass, questionEnd };
  if (ar === 0) return { ok: true, query };
  // Walk past any answer/authority records (unusual in a query) to reach the OPT record.
  let off = questionEnd;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const nameStart = off;
    off = skipName(buf, off);
    if (off < 0 || off + 10 > buf.length) return formerr;
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const rdEnd = off + 10 + rdlen;
    if (rdEnd > buf.length) return formerr;
    if (type === QTYPE.OPT) {
      // RFC 6891: OPT only in Additional, at most once, owned by the root.
      if (i < an + ns || query.edns || buf[nameStart] !== 0) return formerr;
      const ttl = buf.readUInt32BE(off + 4);
      query.edns = {
        udpSize: buf.readUInt16BE(off + 2),
        version: (ttl >>> 16) & 0xff,
        dnssecOk: (ttl & 0x8000) !== 0,
      };
    }
    off = rdEnd;
  }
  return { ok: true, query };
}
