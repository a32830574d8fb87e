// NOTIFY (RFC 1996) to the secondaries in `notify` after the zone changed: per target at most one
// NOTIFY in flight and at least `minIntervalMs` between two, so a burst of changes costs one
// NOTIFY carrying the newest serial; an unacknowledged NOTIFY is sent again with a doubling
// timeout (capped) until the target answers. A secondary that receives it asks for the SOA and
// transfers (IXFR) when the serial moved.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { Logger } from '../log.js';
import { ConfigError } from '../errors.js';
import { FLAG, HEADER_LEN, QCLASS, QTYPE } from './codec/constants.js';
import { encodeRR, questionDict, type SoaFields } from './codec/rr.js';

const OPCODE_NOTIFY = 4;

export interface NotifyTarget {
  host: string;
  port: number;
}

/** Parses `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address (port 53 by default). */
export function parseNotifyTarget(text: string, where = 'notify'): NotifyTarget {
  const bad = (why: string) =>
    new ConfigError(
      `${where}: "${text}" ${why}; expected "ip" or "ip:port" (IPv6 as "[addr]:port"), e.g. "10.0.0.5:53"`,
    );
  let host = text;
  let port = 53;
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (m6) {
    host = m6[1];
    if (m6[2] !== undefined) port = Number(m6[2]);
  } else if (net.isIPv6(text)) {
    host = text;
  } else {
    const i = text.lastIndexOf(':');
    if (i >= 0) {
      host = text.slice(0, i);
      if (!/^\d+$/.test(text.slice(i + 1))) throw bad('has a port that is not a number');
      port = Number(text.slice(i + 1));
    }
  }
  if (net.isIP(host) === 0) throw bad('is not an IP address');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('has a port outside 1-65535');
  return { host, port };
}

/** A NOTIFY message for `zone` (apex with trailing dot) carrying its SOA (RFC 1996 §3.7). */
export function encodeNotify(id: number, apex: string, ttl: number, soa: SoaFields): Buffer {
  const dict = questionDict(apex);
  const q = Buffer.alloc(apex === '.' ? 1 : apex.length + 1);
  let off = 0;
  for (const l of apex.split('.').filter((s) => s !== '')) {
    q[off++] = l.length;
    off += q.write(l, off, 'latin1');
  }
  q[off] = 0;
  const rr = encodeRR(apex, ttl, { type: 'SOA', soa }, dict);
  if (!rr) throw new RangeError('SOA cannot be encoded');
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE((OPCODE_NOTIFY << 11) | FLAG.AA, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(1, 6);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(QTYPE.SOA, 0);
  tail.writeUInt16BE(QCLASS.IN, 2);
  return Buffer.concat([head, q, tail, rr]);
}

/** NOTIFY counters, read by /metrics at scrape time. */
export class NotifyStats {
  sent = 0;
  acked = 0;
  retried = 0;
}

export interface NotifierOptions {
  targets: readonly NotifyTarget[];
  /** Least time between two NOTIFYs to one target, ms (`notifyMinIntervalMs`). */
  minIntervalMs: number;
  /** First wait for an answer before sending again, ms; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  log: Logger;
  stats: NotifyStats;
}

interface TargetState {
  t: NotifyTarget;
  /** The serial a NOTIFY should announce, undefined when the target is up to date. */
  want: number | undefined;
  inFlight: { id: number; serial: number; timer: NodeJS.Timeout } | undefined;
  lastSentAt: number;
  wait: number;
  scheduled: NodeJS.Timeout | undefined;
  /** The serial the target last acknowledged. */
  acked: number | undefined;
}

export class Notifier {
  private readonly states: TargetState[];
  private socks = new Map<4 | 6, dgram.Socket>();
  private zone: { apex: string; ttl: number; soa: SoaFields } | undefined;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private closed = false;

  constructor(private readonly o: NotifierOptions) {
    this.retryMs = o.retryMs ?? 1000;
    this.maxRetryMs = o.maxRetryMs ?? 30_000;
    this.states = o.targets.map((t) => ({
      t,
      want: undefined,
      inFlight: undefined,
      lastSentAt: -Infinity,
      wait: this.retryMs,
      scheduled: undefined,
      acked: undefined,
    }));
  }

  /** The serial each target last acknowledged (tests, status). */
  acknowledged(): { target: string; serial: number | undefined }[] {
    return this.states.map((s) => ({ target: `${s.t.host}:${s.t.port}`, serial: s.acked }));
  }

  /** The zone changed to `soa.serial`: every target gets a NOTIFY (coalesced, see above). */
  changed(apex: string, ttl: number, soa: SoaFields): void {
    if (this.closed) return;
    this.zone = { apex, ttl, soa };
    for (const s of this.states) {
      s.want = soa.serial;
      this.kick(s);
    }
  }

  private kick(s: TargetState): void {
    if (this.closed || s.want === undefined || s.inFlight || s.scheduled) return;
    const wait = s.lastSentAt + this.o.minIntervalMs - performance.now();
    if (wait > 0) {
      s.scheduled = setTimeout(() => {
        s.scheduled = undefined;
        this.kick(s);
      }, wait);
      return;
    }
    this.send(s);
  }

  private socket(family: 4 | 6): dgram.Socket {
    let sock = this.socks.get(family);
    if (sock) return sock;
    sock = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    sock.on('message', (msg, rinfo) => this.onReply(msg, rinfo));
    sock.on('error', (e) => this.o.log.debug({ err: e }, 'NOTIFY socket error'));
    sock.unref();
    this.socks.set(family, sock);
    return sock;
  }

  private send(s: TargetState): void {
    const z = this.zone;
    if (!z || s.want === undefined) return;
    const id = (Math.random() * 65536) | 0;
    const serial = s.want;
    const msg = encodeNotify(id, z.apex, z.ttl, { ...z.soa, serial });
    const sock = this.socket(net.isIPv6(s.t.host) ? 6 : 4);
    s.lastSentAt = performance.now();
    const timer = setTimeout(() => this.timedOut(s), s.wait);
    s.inFlight = { id, serial, timer };
    this.o.stats.sent++;
    sock.send(msg, s.t.port, s.t.host, (err) => {
      if (err) this.o.log.debug({ err, target: s.t }, 'NOTIFY send failed');
    });
  }

  private timedOut(s: TargetState): void {
    s.inFlight = undefined;
    if (this.closed) return;
    this.o.stats.retried++;
    this.o.log.debug({ target: s.t, waitMs: s.wait }, 'NOTIFY not acknowledged; sending again');
    s.wait = Math.min(s.wait * 2, this.maxRetryMs);
    this.kick(s);
  }

  private onReply(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < HEADER_LEN) return;
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    if (!(flags & FLAG.QR) || ((flags >> 11) & 0xf) !== OPCODE_NOTIFY) return;
    const s = this.states.find(
      (x) =>
        x.inFlight?.id === id &&
        x.t.port === rinfo.port &&
        normalize(x.t.host) === normalize(rinfo.address),
    );
    if (!s || !s.inFlight) return;
    const { serial, timer } = s.inFlight;
    clearTimeout(timer);
    s.inFlight = undefined;
    // Any answer ends the retries (RFC 1996 §4.7: an error rcode is an answer too).
    this.o.stats.acked++;
    s.acked = serial;
    s.wait = this.retryMs;
    if (s.want === serial) s.want = undefined;
    this.kick(s);
  }

  close(): void {
    this.closed = true;
    for (const s of this.states) {
      if (s.inFlight) clearTimeout(s.inFlight.timer);
      if (s.scheduled) clearTimeout(s.scheduled);
    }
    for (const sock of this.socks.values()) sock.close();
    this.socks.clear();
  }
}

function normalize(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
