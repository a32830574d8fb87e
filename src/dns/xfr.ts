// Zone transfers over TCP: AXFR (RFC 5936) and IXFR (RFC 1995) of the served zone, streamed from
// the zone journal (records/journal.ts) in messages of up to MESSAGE_BYTES, waiting for the
// socket to drain between them, so memory stays bounded whatever the zone's size. Clients must
// be in `allowTransfer`; everyone else gets REFUSED (logged and counted). Every transfer reads
// one journal snapshot: it is the content of exactly one serial, however long it streams.
import type * as net from 'node:net';
import type { Logger } from '../log.js';
import {
  recordsOf,
  type ZoneJournal,
  type ZoneSnapshot,
  type ZoneStep,
} from '../records/journal.js';
import type { NameRecords, ZoneInfo } from '../records/types.js';
import { ClientAddress, type NetworkSet } from './acl.js';
import { FLAG, HEADER_LEN, QCLASS, QTYPE, RCODE } from './codec/constants.js';
import { decodeQuery, type Query } from './codec/query.js';
import {
  encodeRR,
  parseIPv4,
  parseIPv6,
  questionDict,
  type NameDict,
  type RData,
  type SoaFields,
} from './codec/rr.js';

/** Largest transfer message we build (RFC 5936 allows up to 65535; leave room for the header). */
export const MESSAGE_BYTES = 60_000;
const RCODE_NOTAUTH = 9;
/** How long a transfer waits for the zone's first serial after the first load (it comes within a
 *  tenth of a second; see ZoneJournal.whenFirst). */
const FIRST_SERIAL_WAIT_MS = 1000;

/** Transfer counters, read by /metrics at scrape time. */
export class XfrStats {
  /** `${axfr|ixfr}|${result}` → count. Results: full (AXFR, or IXFR answered with the whole
   *  zone), incremental, uptodate, refused, notauth, servfail, formerr, aborted. */
  readonly requests = new Map<string, number>();
  bytes = 0;
  messages = 0;
  count(type: 'axfr' | 'ixfr', result: string): void {
    const k = `${type}|${result}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }
  forEach(visit: (type: string, result: string, n: number) => void): void {
    for (const [k, n] of this.requests) {
      const [t, r] = k.split('|');
      visit(t, r, n);
    }
  }
}

/** What a transfer needs: the journal, the zone parameters (SOA, TTL) and who may transfer. */
export interface TransferContext {
  journal: ZoneJournal;
  /** The served zone's parameters (SOA fields other than the serial, TTL); undefined before the
   *  first load. */
  zone(): ZoneInfo | undefined;
  allow: NetworkSet;
  stats: XfrStats;
  log: Logger;
}

/** The server's hook: serves one transfer request on `sock`; resolves with the rcode sent. */
export interface TransferHandler {
  serve(req: Buffer, sock: net.Socket): Promise<number>;
}

/** QTYPE.AXFR or QTYPE.IXFR when `msg` is a QUERY for a transfer, else 0 (checked before the
 *  normal query path). */
export function transferQtype(msg: Buffer): number {
  if (msg.length < HEADER_LEN + 5) return 0;
  const flags = msg.readUInt16BE(2);
  if (flags & FLAG.QR || ((flags >> 11) & 0xf) !== 0 || msg.readUInt16BE(4) !== 1) return 0;
  let off = HEADER_LEN;
  for (let guard = 0; guard < 128; guard++) {
    if (off >= msg.length) return 0;
    const l = msg[off];
    if (l > 63) return 0;
    off += l + 1;
    if (l === 0) break;
  }
  if (off + 2 > msg.length) return 0;
  const t = msg.readUInt16BE(off);
  return t === QTYPE.AXFR || t === QTYPE.IXFR ? t : 0;
}

/** Skips a possibly compressed name; -1 when malformed. */
function skipName(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const l = buf[off];
    if (l === 0) return off + 1;
    if ((l & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if (l > 63) return -1;
    off += l + 1;
  }
  return -1;
}

/** The serial of the SOA in an IXFR query's Authority section (RFC 1995 §3), or undefined. */
export function ixfrClientSerial(msg: Buffer, questionEnd: number): number | undefined {
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  let off = questionEnd;
  for (let i = 0; i < an + ns; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) return undefined;
    const type = msg.readUInt16BE(off);
    const rdlen = msg.readUInt16BE(off + 8);
    const rd = off + 10;
    if (rd + rdlen > msg.length) return undefined;
    if (i >= an && type === QTYPE.SOA) {
      let p = skipName(msg, rd);
      if (p >= 0) p = skipName(msg, p);
      if (p < 0 || p + 4 > rd + rdlen) return undefined;
      return msg.readUInt32BE(p);
    }
    off = rd + rdlen;
  }
  return undefined;
}

/** The RData of one journal rr line (`A ip`, `AAAA ip`, `SRV prio weight port target`). */
export function lineRData(line: string): RData | undefined {
  const p = line.split(' ');
  if (p[0] === 'A' || p[0] === 'AAAA') return { type: p[0], ip: p[1] };
  if (p[0] === 'SRV' && p.length === 5)
    return { type: 'SRV', priority: +p[1], weight: +p[2], port: +p[3], target: p[4] };
  return undefined;
}

function fqdn(n: string): string {
  const l = n.toLowerCase();
  return l.endsWith('.') ? l : `${l}.`;
}

/** A name's wire form, uncompressed (`a.b.` → 1a1b0); undefined for names with escapes. */
function nameWire(name: string, tail?: Buffer): Buffer | undefined {
  if (name.includes('\\')) return undefined;
  const ls = name.split('.').filter((l) => l !== '');
  let len = tail ? tail.length : 1;
  for (const l of ls) {
    if (l.length === 0 || l.length > 63) return undefined;
    len += l.length + 1;
  }
  const b = Buffer.allocUnsafe(len);
  let o = 0;
  for (const l of ls) {
    b[o++] = l.length;
    o += b.write(l, o, 'latin1');
  }
  if (tail) tail.copy(b, o);
  else b[o] = 0;
  return b;
}

const APEX_POINTER = Buffer.from([0xc0, HEADER_LEN]);

/**
 * Builds transfer messages straight into a frame buffer and writes each full one to the socket,
 * waiting for it to drain. Owner names are written once per name, compressed against the question
 * (the apex, at offset 12 of every message); SRV targets uncompressed (RFC 2782).
 */
class Stream {
  private frame!: Buffer;
  private off = 0;
  private count = 0;
  private readonly head: Buffer;
  private readonly apexLen: number;
  private readonly targets = new Map<string, Buffer | undefined>();
  bytes = 0;
  messages = 0;

  constructor(
    private readonly sock: net.Socket,
    req: Buffer,
    q: Query,
    readonly dict: NameDict,
    private readonly apex: string,
  ) {
    // Every message repeats the question (RFC 5936 §2.2.1 allows it): owner names compress
    // against it, and a message's bytes do not depend on which message it is.
    const question = req.subarray(HEADER_LEN, q.questionEnd);
    this.head = Buffer.alloc(HEADER_LEN + question.length);
    this.head.writeUInt16BE(q.id, 0);
    this.head.writeUInt16BE(FLAG.QR | FLAG.AA | (q.flags & FLAG.RD), 2);
    this.head.writeUInt16BE(1, 4);
    question.copy(this.head, HEADER_LEN);
    this.apexLen = apex.length;
    this.fresh();
  }

  private fresh(): void {
    this.frame = Buffer.allocUnsafe(2 + MESSAGE_BYTES);
    this.head.copy(this.frame, 2);
    this.off = 2 + this.head.length;
    this.count = 0;
  }

  get closed(): boolean {
    return this.sock.destroyed || !this.sock.writable;
  }

  private full(n: number): boolean {
    return this.off + n > 2 + MESSAGE_BYTES && this.count > 0;
  }

  /** One pre-encoded record (SOA, NS, IXFR lines). */
  async add(rr: Buffer | undefined): Promise<void> {
    if (!rr) return;
    if (this.full(rr.length)) await this.flush();
    this.off += rr.copy(this.frame, this.off);
    this.count++;
  }

  private owner(name: string): Buffer | undefined {
    if (name === this.apex) return APEX_POINTER;
    if (!name.endsWith(`.${this.apex}`)) return undefined;
    return nameWire(name.slice(0, name.length - this.apexLen - 1), APEX_POINTER);
  }

  private target(t: string): Buffer | undefined {
    let w = this.targets.get(t);
    if (w === undefined && !this.targets.has(t)) {
      if (this.targets.size >= 50_000) this.targets.clear();
      w = nameWire(t.toLowerCase());
      this.targets.set(t, w);
    }
    return w;
  }

  private fixed(owner: Buffer, type: number, ttl: number, rdlen: number): void {
    const f = this.frame;
    let o = this.off + owner.copy(f, this.off);
    f.writeUInt16BE(type, o);
    f.writeUInt16BE(QCLASS.IN, o + 2);
    f.writeUInt32BE(ttl >>> 0, o + 4);
    f.writeUInt16BE(rdlen, o + 8);
    o += 10;
    this.off = o;
    this.count++;
  }

  /** Every A/AAAA/SRV record of one name (records that cannot be encoded are skipped, as in
   *  answers). */
  async records(name: string, r: NameRecords, ttl: number): Promise<void> {
    const owner = this.owner(name);
    if (!owner) {
      // A name the fast path cannot write (escapes): the general encoder.
      for (const ip of r.a) await this.add(encodeRR(name, ttl, { type: 'A', ip }, this.dict));
      for (const ip of r.aaaa) await this.add(encodeRR(name, ttl, { type: 'AAAA', ip }, this.dict));
      for (const v of r.srv) await this.add(encodeRR(name, ttl, { type: 'SRV', ...v }, this.dict));
      return;
    }
    for (const ip of r.a) {
      const b = parseIPv4(ip);
      if (!b) continue;
      if (this.full(owner.length + 14)) await this.flush();
      this.fixed(owner, QTYPE.A, ttl, 4);
      this.frame.set(b, this.off);
      this.off += 4;
    }
    for (const ip of r.aaaa) {
      const b = parseIPv6(ip);
      if (!b) continue;
      if (this.full(owner.length + 26)) await this.flush();
      this.fixed(owner, QTYPE.AAAA, ttl, 16);
      this.frame.set(b, this.off);
      this.off += 16;
    }
    for (const v of r.srv) {
      const t = this.target(v.target);
      if (!t) continue;
      if (this.full(owner.length + 16 + t.length)) await this.flush();
      this.fixed(owner, QTYPE.SRV, ttl, 6 + t.length);
      const f = this.frame;
      f.writeUInt16BE(v.priority, this.off);
      f.writeUInt16BE(v.weight, this.off + 2);
      f.writeUInt16BE(v.port, this.off + 4);
      this.off += 6 + t.copy(f, this.off + 6);
    }
  }

  async flush(): Promise<void> {
    if (this.count === 0) return;
    if (this.closed) throw new Error('the client closed the connection');
    const frame = this.frame.subarray(0, this.off);
    frame.writeUInt16BE(this.off - 2, 0);
    frame.writeUInt16BE(this.count, 2 + 6);
    this.bytes += frame.length;
    this.messages++;
    this.fresh();
    if (!this.sock.write(frame)) await drained(this.sock);
    // Let queries and other transfers run between messages even when the socket never backs up.
    else await new Promise<void>((r) => setImmediate(r));
  }
}

function drained(sock: net.Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      sock.off('drain', done);
      sock.off('close', closed);
      resolve();
    };
    const closed = () => {
      sock.off('drain', done);
      reject(new Error('the client closed the connection'));
    };
    sock.once('drain', done);
    sock.once('close', closed);
  });
}

export function createTransferHandler(ctx: TransferContext): TransferHandler {
  return { serve: (req, sock) => serve(ctx, req, sock) };
}

async function serve(ctx: TransferContext, req: Buffer, sock: net.Socket): Promise<number> {
  const d = decodeQuery(req);
  if (!d.ok) return RCODE.FORMERR; // transferQtype passed: malformed beyond the question
  const q = d.query;
  const type = q.qtype === QTYPE.AXFR ? 'axfr' : 'ixfr';
  const client = sock.remoteAddress ?? '';
  const reply = (rcode: number, result: string): number => {
    ctx.stats.count(type, result);
    const out = Buffer.alloc(q.questionEnd);
    req.copy(out, 0, 0, q.questionEnd);
    out.writeUInt16BE(FLAG.QR | (q.flags & FLAG.RD) | rcode, 2);
    out.writeUInt32BE(0x00010000, 4); // qd 1, an 0
    out.writeUInt32BE(0, 8); // ns 0, ar 0
    if (!sock.destroyed) {
      const frame = Buffer.allocUnsafe(2 + out.length);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      sock.write(frame);
    }
    return rcode;
  };
  const addr = new ClientAddress();
  addr.parse(client);
  if (!ctx.allow.has(addr)) {
    ctx.log.warn(
      { client, zone: q.name, type },
      'zone transfer refused: client not in allowTransfer',
    );
    return reply(RCODE.REFUSED, 'refused');
  }
  const zone = ctx.zone();
  const journal = ctx.journal;
  if (q.qclass !== QCLASS.IN) return reply(RCODE.REFUSED, 'refused');
  if (q.name !== `${journal.domain}.`) {
    ctx.log.info({ client, zone: q.name, type }, 'zone transfer refused: not our zone');
    return reply(RCODE_NOTAUTH, 'notauth');
  }
  // Records are loaded but the first serial is at most a tenth of a second away (the journal
  // waits for the clock to pass its predecessor's last serial): wait for it rather than fail.
  if (zone && journal.serial === undefined) await journal.whenFirst(FIRST_SERIAL_WAIT_MS);
  if (!zone || journal.serial === undefined) return reply(RCODE.SERVFAIL, 'servfail');
  let steps: ZoneStep[] | undefined;
  let clientSerial: number | undefined;
  if (type === 'ixfr') {
    clientSerial = ixfrClientSerial(req, q.questionEnd);
    if (clientSerial === undefined) return reply(RCODE.FORMERR, 'formerr');
    steps = journal.stepsSince(clientSerial);
  }
  // Take the snapshot (or the steps) synchronously with the serial they belong to.
  const snap = steps ? undefined : journal.snapshot();
  const serial = snap ? snap.serial : journal.serial;
  const t0 = performance.now();
  const out = new Stream(sock, req, q, questionDict(q.name), q.name);
  const soaFields: SoaFields = {
    ...zone.soa,
    mname: fqdn(zone.soa.mname),
    rname: fqdn(zone.soa.rname),
    serial,
  };
  const apex = q.name;
  const soa = (s: number) =>
    encodeRR(apex, zone.ttl, { type: 'SOA', soa: { ...soaFields, serial: s } }, out.dict);
  let result: string;
  try {
    if (snap) {
      await full(out, snap, apex, zone.ttl, soaFields.mname, soa(serial));
      result = 'full';
    } else if (steps!.length === 0) {
      await out.add(soa(serial));
      result = 'uptodate';
    } else {
      await incremental(out, steps!, apex, zone.ttl, soa);
      result = 'incremental';
    }
    await out.flush();
  } catch (e) {
    ctx.stats.count(type, 'aborted');
    ctx.log.warn({ client, type, serial, err: (e as Error).message }, 'zone transfer aborted');
    sock.destroy();
    return RCODE.SERVFAIL;
  } finally {
    snap?.release();
    ctx.stats.bytes += out.bytes;
    ctx.stats.messages += out.messages;
  }
  ctx.stats.count(type, result);
  ctx.log.info(
    {
      client,
      type,
      result,
      serial,
      ...(clientSerial !== undefined ? { clientSerial } : {}),
      bytes: out.bytes,
      messages: out.messages,
      ms: Math.round(performance.now() - t0),
    },
    'zone transfer',
  );
  return RCODE.NOERROR;
}

/** AXFR form (also IXFR's fallback): SOA, apex NS, every record, SOA. */
async function full(
  out: Stream,
  snap: ZoneSnapshot,
  apex: string,
  ttl: number,
  mname: string,
  soa: Buffer | undefined,
): Promise<void> {
  await out.add(soa);
  await out.add(encodeRR(apex, ttl, { type: 'NS', target: mname }, out.dict));
  for (const name of snap.names) {
    const c = snap.get(name);
    if (c !== undefined) await out.records(name, recordsOf(c), ttl);
  }
  await out.add(soa);
}

/** IXFR form: SOA(new), then per step SOA(old) deletions SOA(new) additions, SOA(new). */
async function incremental(
  out: Stream,
  steps: ZoneStep[],
  apex: string,
  ttl: number,
  soa: (serial: number) => Buffer | undefined,
): Promise<void> {
  const last = steps[steps.length - 1].to;
  await out.add(soa(last));
  for (const s of steps) {
    await out.add(soa(s.from));
    for (const [name, line] of s.del) {
      const rd = lineRData(line);
      if (rd) await out.add(encodeRR(name, ttl, rd, out.dict));
    }
    await out.add(soa(s.to));
    for (const [name, line] of s.add) {
      const rd = lineRData(line);
      if (rd) await out.add(encodeRR(name, ttl, rd, out.dict));
    }
  }
  await out.add(soa(last));
}
