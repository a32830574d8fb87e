// The DNS server's sockets: UDP and TCP listeners on one host:port, TCP framing and limits, and
// dispatch of each message to the pure query pipeline (decode → Answerer → encode) or to the
// forwarder. Holds the current Answerer (one per RecordSet); setRecords swaps it synchronously, so
// a query is answered entirely from one RecordSet.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { PortInUseError } from '../errors.js';
import { logger, type Logger } from '../log.js';
import type { RecordSet } from '../records/types.js';
import { Answerer } from './answer.js';
import { CLASSIC_UDP_MAX, QCLASS, QTYPE, RCODE, qtypeName, rcodeName } from './codec/constants.js';
import { decodeQuery, type Query } from './codec/query.js';
import {
  encodeEmpty,
  encodeHeaderOnly,
  encodeResponse,
  type EncodeOptions,
} from './codec/response.js';
import { Forwarder, type ForwardMode, type Upstream } from './forward.js';

export type Transport = 'udp' | 'tcp';

/** What the server reports for every answered query (wire it to metrics; keep it cheap). */
export interface QueryInfo {
  /** Query type name (`A`, `SRV`, …; `OTHER` for rare types, `NONE` when no question was read). */
  qtype: string;
  /** Response code name (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, `FORMERR`, `NOTIMP`, …). */
  rcode: string;
  transport: Transport;
  /** True when the answer came from an upstream resolver. */
  forwarded: boolean;
  durationSeconds: number;
}

export interface DnsServerOptions {
  /** Address to listen on (UDP and TCP). Default `127.0.0.1` (Mesos-DNS `listener`). */
  host?: string;
  /** Port for UDP and TCP; 0 picks a free one (see address()). Default 53 (Mesos-DNS `port`). */
  port?: number;
  /** Initial records; until the first RecordSet is set every query gets SERVFAIL. */
  records?: RecordSet;
  /** Recursion Available bit in responses (Mesos-DNS `recurseon`). Default true. */
  recurse?: boolean;
  /** Forward out-of-zone queries to `resolvers` (Mesos-DNS `externalon`). Default true. */
  externalOn?: boolean;
  /** Upstream resolvers, `ip`, `ip:port` or `[v6]:port` (Mesos-DNS `resolvers`). Default []. */
  resolvers?: readonly string[];
  /** `sequential` (in order of health, default) or `parallel` (all at once, first good answer). */
  forwardMode?: ForwardMode;
  /** Timeout of one upstream attempt, ms (Mesos-DNS `timeout` × 1000). Default 5000. */
  forwardTimeoutMs?: number;
  /** Most queries being forwarded at once; beyond it, SERVFAIL at once. Default 1024. */
  maxForwardsInFlight?: number;
  /** Largest UDP response we send to an EDNS client (their buffer is respected below it). Default 1232. */
  ednsMaxUdp?: number;
  /** Set TC on a UDP answer that had to be cut (Mesos-DNS `SetTruncateBit`). Default true. */
  setTruncateBit?: boolean;
  /** Close a TCP connection idle this long, ms. Default 10000. */
  tcpIdleTimeoutMs?: number;
  /** Most concurrent TCP connections; further ones are refused by the kernel backlog. Default 1000. */
  maxTcpConnections?: number;
  /** Largest query accepted, bytes (UDP and TCP); a larger TCP message closes the connection. Default 4096. */
  maxMessageBytes?: number;
  /** Encoded answers cached per RecordSet (entries). Default 100000. */
  answerCacheSize?: number;
  /** Called once per answered query (not for dropped packets). */
  onQuery?: (info: QueryInfo) => void;
  logger?: Logger;
}

export interface DnsServer {
  /** Binds UDP and TCP; rejects with PortInUseError (naming the port) when it is taken. */
  listen(): Promise<void>;
  close(): Promise<void>;
  /** Atomically replaces the records (also call it after mutating a RecordSet in place). */
  setRecords(rs: RecordSet): void;
  /** The bound address (after listen()). */
  address(): { host: string; port: number };
  /** Forwarding resolvers and their health, for /healthz or debugging. */
  upstreams(): readonly Readonly<Upstream>[];
}

const MAX_TCP_WRITE_BUFFER = 1 << 20;
const UDP_RECV_BUFFER = 4 << 20;
const TCP_MAX_MESSAGE = 65535;

class Server implements DnsServer {
  private answerer: Answerer | undefined;
  private readonly o: Required<Omit<DnsServerOptions, 'records' | 'onQuery' | 'logger'>>;
  private readonly onQuery: ((info: QueryInfo) => void) | undefined;
  private readonly log: Logger;
  private readonly forwarder: Forwarder;
  private forwardsInFlight = 0;
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();
  private bound: { host: string; port: number } | undefined;

  constructor(opts: DnsServerOptions) {
    this.o = {
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 53,
      recurse: opts.recurse ?? true,
      externalOn: opts.externalOn ?? true,
      resolvers: opts.resolvers ?? [],
      forwardMode: opts.forwardMode ?? 'sequential',
      forwardTimeoutMs: opts.forwardTimeoutMs ?? 5000,
      maxForwardsInFlight: opts.maxForwardsInFlight ?? 1024,
      ednsMaxUdp: Math.max(CLASSIC_UDP_MAX, Math.min(65535, opts.ednsMaxUdp ?? 1232)),
      setTruncateBit: opts.setTruncateBit ?? true,
      tcpIdleTimeoutMs: opts.tcpIdleTimeoutMs ?? 10_000,
      maxTcpConnections: opts.maxTcpConnections ?? 1000,
      maxMessageBytes: opts.maxMessageBytes ?? 4096,
      answerCacheSize: opts.answerCacheSize ?? 100_000,
    };
    this.onQuery = opts.onQuery;
    this.log = opts.logger ?? logger('dns');
    this.forwarder = new Forwarder(this.o.resolvers, {
      mode: this.o.forwardMode,
      timeoutMs: this.o.forwardTimeoutMs,
    });
    if (opts.records) this.setRecords(opts.records);
  }

  setRecords(rs: RecordSet): void {
    // One reference assignment: queries already being encoded hold the old Answerer.
    this.answerer = new Answerer(rs, this.o.answerCacheSize);
  }

  address(): { host: string; port: number } {
    if (!this.bound) throw new Error('the DNS server is not listening');
    return this.bound;
  }

  upstreams(): readonly Readonly<Upstream>[] {
    return this.forwarder.upstreams;
  }

  // ---- query pipeline -------------------------------------------------------------------------

  private encodeOptions(q: Query, transport: Transport): EncodeOptions {
    let limit = TCP_MAX_MESSAGE;
    if (transport === 'udp') {
      limit = q.edns
        ? Math.min(Math.max(q.edns.udpSize, CLASSIC_UDP_MAX), this.o.ednsMaxUdp)
        : CLASSIC_UDP_MAX;
    }
    return {
      limit,
      ra: this.o.recurse,
      setTruncateBit: transport === 'tcp' || this.o.setTruncateBit,
      ednsUdp: this.o.ednsMaxUdp,
      shuffle: true,
    };
  }

  private report(
    qtype: string,
    rcode: number,
    transport: Transport,
    forwarded: boolean,
    t0: bigint,
  ): void {
    if (!this.onQuery) return;
    try {
      this.onQuery({
        qtype,
        rcode: rcodeName(rcode),
        transport,
        forwarded,
        durationSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
      });
    } catch (e) {
      this.log.warn({ err: e }, 'onQuery observer threw');
    }
  }

  /** The reply to one message: bytes, nothing (drop), or a promise of either (forwarding). */
  handle(msg: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    const t0 = this.onQuery ? process.hrtime.bigint() : 0n;
    try {
      return this.answer(msg, transport, t0);
    } catch (e) {
      // A bug must cost one query, never the process.
      this.log.error({ err: e }, 'DNS query handling failed');
      if (msg.length < 12) return undefined;
      this.report('NONE', RCODE.SERVFAIL, transport, false, t0);
      return encodeHeaderOnly(
        msg.readUInt16BE(0),
        msg.readUInt16BE(2),
        RCODE.SERVFAIL,
        this.o.recurse,
      );
    }
  }

  private answer(
    msg: Buffer,
    transport: Transport,
    t0: bigint,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    if (msg.length > this.o.maxMessageBytes) return undefined;
    const d = decodeQuery(msg);
    if (!d.ok) {
      if (d.kind === 'drop') return undefined;
      const rcode = d.kind === 'notimp' ? RCODE.NOTIMP : RCODE.FORMERR;
      this.report('NONE', rcode, transport, false, t0);
      return encodeHeaderOnly(d.id, d.flags, rcode, this.o.recurse);
    }
    const q = d.query;
    const enc = this.encodeOptions(q, transport);
    const qtype = this.onQuery ? qtypeName(q.qtype) : '';
    const fail = (rcode: number) => {
      this.report(qtype, rcode, transport, false, t0);
      return encodeEmpty(msg, q, rcode, enc);
    };
    if (q.edns && q.edns.version > 0) return fail(RCODE.BADVERS);
    const ans = this.answerer;
    // Never serve before the first successful load.
    if (!ans) return fail(RCODE.SERVFAIL);
    if (q.qclass !== QCLASS.IN && q.qclass !== QCLASS.ANY) return fail(RCODE.REFUSED);
    if (q.qtype === QTYPE.AXFR || q.qtype === QTYPE.IXFR || q.qtype === QTYPE.OPT)
      return fail(RCODE.REFUSED);
    const plan = ans.lookup(q);
    if (plan !== 'forward') {
      const out = encodeResponse(msg, q, plan, enc);
      this.report(qtype, plan.rcode, transport, false, t0);
      if (this.log.isLevelEnabled('debug'))
        this.log.debug({ name: q.name, qtype: q.qtype, rcode: plan.rcode }, 'query');
      return out;
    }
    if (!this.o.externalOn || this.forwarder.size === 0) return fail(RCODE.REFUSED);
    if (this.forwardsInFlight >= this.o.maxForwardsInFlight) return fail(RCODE.SERVFAIL);
    this.forwardsInFlight++;
    return this.forwarder.forward(msg, q.questionEnd, transport === 'tcp').then(
      (reply) => {
        this.forwardsInFlight--;
        if (!reply) return fail(RCODE.SERVFAIL);
        this.report(qtype, reply[3] & 0xf, transport, true, t0);
        return reply;
      },
      (e: unknown) => {
        this.forwardsInFlight--;
        this.log.warn({ err: e }, 'forwarding failed');
        return fail(RCODE.SERVFAIL);
      },
    );
  }

  // ---- sockets --------------------------------------------------------------------------------

  async listen(): Promise<void> {
    const { host, port } = this.o;
    // With port 0 the kernel picks a UDP port that may be taken for TCP: retry a bounded number of times.
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(host, port);
      const udpPort = udp.address().port;
      try {
        this.tcp = await this.bindTcp(host, udpPort);
        this.udp = udp;
        this.bound = { host, port: udpPort };
        this.log.info({ host, port: udpPort }, 'DNS server listening (udp+tcp)');
        return;
      } catch (e) {
        udp.close();
        if (port !== 0 || attempt >= 20 || !(e instanceof PortInUseError)) throw e;
      }
    }
  }

  private bindUdp(host: string, port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const type = net.isIPv6(host) ? 'udp6' : 'udp4';
      const sock = dgram.createSocket({ type, lookup: literalLookup });
      const onError = (e: NodeJS.ErrnoException) => {
        sock.close();
        reject(e.code === 'EADDRINUSE' ? new PortInUseError('DNS server (UDP)', host, port) : e);
      };
      sock.once('error', onError);
      sock.on('message', (msg, rinfo) => {
        const r = this.handle(msg, 'udp');
        if (r === undefined) return;
        // No send callback: with one, node cannot use its synchronous try-send path and UDP
        // throughput halves (measured in bench/dns.ts). Send errors arrive as 'error' events.
        if (!(r instanceof Promise)) sock.send(r, rinfo.port, rinfo.address);
        else r.then((out) => out && sock.send(out, rinfo.port, rinfo.address), noop);
      });
      sock.bind(port, host, () => {
        sock.off('error', onError);
        // A larger receive buffer absorbs bursts (cold cache after a swap); the kernel may cap it.
        try {
          sock.setRecvBufferSize(UDP_RECV_BUFFER);
          sock.setSendBufferSize(UDP_RECV_BUFFER);
        } catch {
          // keep the system default
        }
        // After bind, errors are per-datagram send failures (e.g. an unreachable client): one
        // query lost, not worth more than a debug line each.
        sock.on('error', (e) => this.log.debug({ err: e }, 'DNS UDP send failed'));
        resolve(sock);
      });
    });
  }

  private bindTcp(host: string, port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const srv = net.createServer((s) => this.onConnection(s));
      srv.maxConnections = this.o.maxTcpConnections;
      srv.once('error', (e: NodeJS.ErrnoException) => {
        reject(e.code === 'EADDRINUSE' ? new PortInUseError('DNS server (TCP)', host, port) : e);
      });
      srv.listen({ host, port }, () => {
        srv.removeAllListeners('error');
        srv.on('error', (e) => this.log.warn({ err: e }, 'DNS TCP server error'));
        resolve(srv);
      });
    });
  }

  private onConnection(sock: net.Socket): void {
    this.conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.o.tcpIdleTimeoutMs, () => sock.destroy());
    sock.on('error', noop);
    sock.on('close', () => this.conns.delete(sock));
    let pending: Buffer | undefined;
    const send = (out: Buffer | undefined) => {
      if (!out || sock.destroyed) return;
      // A client that sends without reading must not make us buffer without bound.
      if (sock.writableLength > MAX_TCP_WRITE_BUFFER) {
        sock.destroy();
        return;
      }
      const frame = Buffer.allocUnsafe(2 + out.length);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      sock.write(frame);
    };
    sock.on('data', (chunk: Buffer) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      // Bounded by the data received: each pass consumes one whole message.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len > this.o.maxMessageBytes || len < 12) {
          sock.destroy();
          return;
        }
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const r = this.handle(msg, 'tcp');
        if (r instanceof Promise) r.then(send, noop);
        else send(r);
      }
      pending = buf.length ? buf : undefined;
    });
  }

  async close(): Promise<void> {
    this.forwarder.close();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const c of this.conns) c.destroy();
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }
}

function noop(): void {}

/**
 * dgram resolves the destination of every send() through `lookup` (dns.lookup by default: a
 * process.nextTick and option checks per datagram). Replies always go to an IP literal, so answer
 * synchronously; measured +50% UDP throughput. Hostnames (a `host` option like `localhost`) still
 * go through dns.lookup.
 */
function literalLookup(
  hostname: string,
  options: dns.LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = net.isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
}

/** Creates a DNS server answering from a RecordSet (see DnsServerOptions for every default). */
export function createDnsServer(options: DnsServerOptions = {}): DnsServer {
  return new Server(options);
}
