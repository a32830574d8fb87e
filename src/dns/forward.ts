// Forwards out-of-zone queries to upstream resolvers (Mesos-DNS `resolvers`): UDP first, TCP when
// the upstream truncates and the client came over TCP; `sequential` tries resolvers in order of
// health (a resolver that timed out is tried last until its back-off expires), `parallel` asks all
// and takes the first good answer. Each attempt uses its own socket and a random ID, and the reply
// must match the ID and question, so spoofed or stray packets are ignored.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { ConfigError } from '../errors.js';
import { logger } from '../log.js';
import { FLAG, HEADER_LEN, RCODE } from './codec/constants.js';

export type ForwardMode = 'sequential' | 'parallel';

export interface Upstream {
  host: string;
  port: number;
  /** Consecutive failures (timeouts, socket errors); 0 when healthy. */
  failures: number;
  /** Epoch ms until which a failed resolver is tried only after the healthy ones. */
  downUntil: number;
}

/** Parses `ip`, `ip:port`, `[v6]:port` or a bare IPv6 address (port 53 by default). */
export function parseResolver(s: string): { host: string; port: number } {
  let host = s.trim();
  let port = 53;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if (net.isIPv4(host.split(':')[0]) && host.includes(':')) {
    const [h, p] = host.split(':');
    host = h;
    port = Number(p);
  }
  if (!net.isIP(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(
      `resolvers: '${s}' is not an IP address with an optional port (e.g. 8.8.8.8 or 10.0.0.2:5353)`,
    );
  }
  return { host, port };
}

const MAX_BACKOFF_MS = 30_000;
const log = logger('dns.forward');

class AttemptError extends Error {
  constructor(
    message: string,
    /** True when the resolver itself misbehaved (timeout, socket error), not just a bad rcode. */
    readonly unhealthy: boolean,
  ) {
    super(message);
  }
}

function sameQuestion(a: Buffer, b: Buffer, questionEnd: number): boolean {
  if (b.length < questionEnd) return false;
  for (let i = HEADER_LEN; i < questionEnd; i++) {
    let x = a[i];
    let y = b[i];
    if (x >= 0x41 && x <= 0x5a) x += 0x20;
    if (y >= 0x41 && y <= 0x5a) y += 0x20;
    if (x !== y) return false;
  }
  return true;
}

export interface ForwarderOptions {
  mode: ForwardMode;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
}

export class Forwarder {
  readonly upstreams: Upstream[];
  private readonly opts: ForwarderOptions;
  private readonly live = new Set<{ destroy(): void }>();

  constructor(resolvers: readonly string[], opts: ForwarderOptions) {
    this.upstreams = resolvers.map((r) => ({ ...parseResolver(r), failures: 0, downUntil: 0 }));
    this.opts = opts;
  }

  get size(): number {
    return this.upstreams.length;
  }

  /**
   * The upstream reply to `msg` with the client's ID restored, or undefined when every resolver
   * failed (the caller answers SERVFAIL). `questionEnd` bounds the question for matching replies.
   */
  async forward(msg: Buffer, questionEnd: number, clientTcp: boolean): Promise<Buffer | undefined> {
    const clientId = msg.readUInt16BE(0);
    let reply: Buffer | undefined;
    if (this.opts.mode === 'parallel') {
      try {
        reply = await Promise.any(
          this.upstreams.map((u) => this.tryOne(u, msg, questionEnd, clientTcp)),
        );
      } catch {
        reply = undefined;
      }
    } else {
      for (const u of this.ordered()) {
        try {
          reply = await this.tryOne(u, msg, questionEnd, clientTcp);
          break;
        } catch {
          // next resolver
        }
      }
    }
    if (!reply) return undefined;
    const out = Buffer.from(reply);
    out.writeUInt16BE(clientId, 0);
    return out;
  }

  /** Healthy resolvers in configured order, then the failed ones, soonest-to-recover first. */
  private ordered(): Upstream[] {
    const now = Date.now();
    const up = this.upstreams.filter((u) => u.downUntil <= now);
    const down = this.upstreams
      .filter((u) => u.downUntil > now)
      .sort((a, b) => a.downUntil - b.downUntil);
    return [...up, ...down];
  }

  private async tryOne(
    u: Upstream,
    msg: Buffer,
    questionEnd: number,
    clientTcp: boolean,
  ): Promise<Buffer> {
    try {
      let reply = await this.attempt(u, msg, questionEnd, false);
      if (clientTcp && reply.readUInt16BE(2) & FLAG.TC) {
        reply = await this.attempt(u, msg, questionEnd, true);
      }
      const rcode = reply[3] & 0xf;
      if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) {
        throw new AttemptError(`answered rcode ${rcode}`, false);
      }
      u.failures = 0;
      u.downUntil = 0;
      return reply;
    } catch (e) {
      const unhealthy = !(e instanceof AttemptError) || e.unhealthy;
      if (unhealthy) {
        u.failures++;
        u.downUntil =
          Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(u.failures - 1, 10));
      }
      if (log.isLevelEnabled('debug'))
        log.debug({ upstream: `${u.host}:${u.port}`, err: String(e) }, 'forward failed');
      throw e;
    }
  }

  private attempt(u: Upstream, msg: Buffer, questionEnd: number, tcp: boolean): Promise<Buffer> {
    const id = randomInt(0, 0x10000);
    const query = Buffer.from(msg);
    query.writeUInt16BE(id, 0);
    const valid = (r: Buffer) =>
      r.length >= HEADER_LEN &&
      r.readUInt16BE(0) === id &&
      (r.readUInt16BE(2) & FLAG.QR) !== 0 &&
      sameQuestion(query, r, questionEnd);
    return tcp ? this.viaTcp(u, query, valid) : this.viaUdp(u, query, valid);
  }

  private viaUdp(u: Upstream, query: Buffer, valid: (r: Buffer) => boolean): Promise<Buffer> {
    return this.exchange(
      () => dgram.createSocket(net.isIPv6(u.host) ? 'udp6' : 'udp4'),
      (sock) => sock.close(),
      (sock, done) => {
        sock.on('message', (r, rinfo) => {
          if (rinfo.port === u.port && valid(r)) done(undefined, r);
        });
        sock.send(query, u.port, u.host, (e) => {
          if (e) done(new AttemptError(e.message, true));
        });
      },
    );
  }

  private viaTcp(u: Upstream, query: Buffer, valid: (r: Buffer) => boolean): Promise<Buffer> {
    return this.exchange(
      () => net.connect({ host: u.host, port: u.port }),
      (sock) => sock.destroy(),
      (sock, done) => {
        let buf = Buffer.alloc(0);
        sock.on('close', () => done(new AttemptError('connection closed before a reply', true)));
        sock.on('connect', () => {
          const len = Buffer.allocUnsafe(2);
          len.writeUInt16BE(query.length);
          sock.write(Buffer.concat([len, query]));
        });
        sock.on('data', (chunk) => {
          buf = Buffer.concat([buf, chunk]);
          if (buf.length < 2) return;
          const n = buf.readUInt16BE(0);
          if (buf.length < 2 + n) return;
          const r = buf.subarray(2, 2 + n);
          if (valid(r)) done(undefined, Buffer.from(r));
          else done(new AttemptError('mismatched TCP reply', true));
        });
      },
    );
  }

  /** One attempt on a socket from `open`: settles once — with what `wire` reports through
   *  `done`, on a socket error, on the timeout or on close() — then `release`s the socket. */
  private exchange<S extends EventEmitter>(
    open: () => S,
    release: (sock: S) => void,
    wire: (sock: S, done: (err: Error | undefined, r?: Buffer) => void) => void,
  ): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const sock = open();
      let settled = false;
      const done = (err: Error | undefined, r?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.live.delete(handle);
        release(sock);
        if (err) reject(err);
        else resolve(r as Buffer);
      };
      const handle = { destroy: () => done(new AttemptError('forwarder closed', false)) };
      this.live.add(handle);
      const timer = setTimeout(
        () => done(new AttemptError('timed out', true)),
        this.opts.timeoutMs,
      );
      sock.on('error', (e: Error) => done(new AttemptError(e.message, true)));
      wire(sock, done);
    });
  }

  /** Abandons every in-flight attempt (their queries get SERVFAIL). */
  close(): void {
    for (const h of [...this.live]) h.destroy();
  }
}
