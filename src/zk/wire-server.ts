// Serves an EmbeddedStore over the ZooKeeper client wire protocol (jute over TCP), so `beacon`,
// Finagle, Aurora, kazoo and zkCli.sh in other processes can use the devcluster's in-process
// store as if it were a one-node ZooKeeper. Each wire session owns one EmbeddedSession (which
// never renews itself: expiry ends the session for the remote client). Sessions belong to the
// store, not to one server instance, so a server restarted on the same store resumes them.
// Codec: zk/wire/*; the op subset served is documented in docs/embedded-zookeeper.md.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { DecodeError, InputError, PortInUseError, ZkError } from '../errors.js';
import { logger } from '../log.js';
import type { EmbeddedSession, EmbeddedStore } from './embedded.js';
import type { Acl, CreateMode, NodeStat, WatchEvent } from './types.js';
import {
  CreateFlags,
  DEFAULT_MAX_PACKET,
  Err,
  EventType,
  KeeperState,
  Xid,
} from './wire/constants.js';
import { FrameDecoder } from './wire/frame.js';
import {
  decodeConnectRequest,
  decodeRequest,
  encodeConnectResponse,
  encodeNotification,
  encodeReply,
  Responses,
  type WireStat,
  type ZkRequest,
} from './wire/records.js';
import { validAclEntries, validPath } from './wire/validate.js';

const log = logger('zk-wire');

export interface ZkWireServerOptions {
  /** The store to serve. Sessions live with the store, so a restarted server resumes them. */
  store: EmbeddedStore;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Requested session timeouts are clamped to [min, max], as ZooKeeper clamps them to
   *  [2, 20] × tickTime. Defaults 4000 and 40000 (ZooKeeper's with tickTime 2000). */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  /** Largest packet accepted; a longer one closes the connection. Default 1 MiB (jute.maxbuffer). */
  maxPacketBytes?: number;
  /** Replies queued for a client that does not read them, before it is disconnected. Default 16 MiB. */
  maxPendingWriteBytes?: number;
}

export interface ZkWireServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for ZooKeeper clients (`zk!127.0.0.1:PORT!/path`, zkCli.sh -server …). */
  readonly connectString: string;
  /** Stops listening and drops every connection. Sessions stay with the store and expire after
   *  their timeout unless a client resumes them on a new server for the same store. */
  close(): Promise<void>;
}

type WatchKind = 'data' | 'child' | 'exist';

const EVENT_TYPES: Record<WatchEvent['type'], number> = {
  created: EventType.nodeCreated,
  deleted: EventType.nodeDeleted,
  dataChanged: EventType.nodeDataChanged,
  childrenChanged: EventType.nodeChildrenChanged,
};

const REASON_CODES: Partial<Record<ZkError['reason'], number>> = {
  noNode: Err.noNode,
  nodeExists: Err.nodeExists,
  notEmpty: Err.notEmpty,
  badVersion: Err.badVersion,
  noAuth: Err.noAuth,
  authFailed: Err.authFailed,
  invalidAcl: Err.invalidAcl,
  badArguments: Err.badArguments,
  noChildrenForEphemerals: Err.noChildrenForEphemerals,
};

const MODES: Record<number, CreateMode> = {
  [CreateFlags.persistent]: 'persistent',
  [CreateFlags.ephemeral]: 'ephemeral',
  [CreateFlags.persistentSequential]: 'persistentSequential',
  [CreateFlags.ephemeralSequential]: 'ephemeralSequential',
};

/** Thrown by a request handler to answer with a specific error code. */
class ReplyError extends Error {
  constructor(readonly code: number) {
    super(`ZooKeeper error ${code}`);
  }
}

const SWEEP_MS = 100;

// ---- sessions: one registry per store, shared by every server started on it --------------------

class WireSession {
  readonly idHex: string;
  readonly id: bigint;
  conn: Connection | undefined;
  lastHeard = Date.now();
  ended = false;
  /** Watches armed on the EmbeddedSession, one per kind and path (a ZooKeeper server keeps a
   *  set per connection, so repeated reads never pile up watchers). */
  readonly armed = new Set<string>();

  constructor(
    readonly registry: Registry,
    readonly embedded: EmbeddedSession,
    readonly password: Buffer,
    public timeoutMs: number,
  ) {
    this.idHex = embedded.sessionId;
    this.id = BigInt(`0x${this.idHex}`);
  }

  /** Arms a one-shot watch (if not armed yet) that notifies whichever connection is current. */
  arm(kind: WatchKind, path: string): void {
    const key = `${kind}\u0000${path}`;
    if (this.armed.has(key)) return;
    this.armed.add(key);
    this.embedded._watch(path, kind, (ev) => {
      this.armed.delete(key);
      // With no connection the event is dropped: the client's setWatches on reconnect compares
      // its last zxid with the node's and is told then (ZooKeeper's own recovery path).
      this.conn?.notify(ev);
    });
  }
}

class Registry {
  readonly sessions = new Map<string, WireSession>();
  private timer: NodeJS.Timeout | undefined;
  private wasDown = false;

  constructor(readonly store: EmbeddedStore) {}

  add(s: WireSession): void {
    this.sessions.set(s.idHex, s);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
  }

  remove(s: WireSession): void {
    this.sessions.delete(s.idHex);
    if (this.sessions.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Expires sessions not heard from within their timeout, as a ZooKeeper leader does. While the
   *  store is stopped (a simulated outage) nothing expires here: the store decides on start(). */
  private sweep(): void {
    const now = Date.now();
    if (this.store.isDown) {
      this.wasDown = true;
      return;
    }
    if (this.wasDown) {
      this.wasDown = false;
      for (const s of this.sessions.values()) s.lastHeard = now;
      return;
    }
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastHeard > s.timeoutMs) {
        log.info(
          { session: s.idHex, timeoutMs: s.timeoutMs },
          'session expired: no client heard from within its timeout',
        );
        this.store.expire(s.idHex);
      }
    }
  }
}

const registries = new WeakMap<EmbeddedStore, Registry>();

function registryOf(store: EmbeddedStore): Registry {
  let r = registries.get(store);
  if (!r) {
    r = new Registry(store);
    registries.set(store, r);
  }
  return r;
}

// ---- connections ------------------------------------------------------------------------------

interface ServerContext {
  readonly store: EmbeddedStore;
  readonly registry: Registry;
  readonly minTimeout: number;
  readonly maxTimeout: number;
  readonly maxPacket: number;
  readonly maxPendingWrite: number;
  readonly connections: Set<Connection>;
  readonly counters: { received: number; sent: number };
  readonly listening: () => string;
}

function zeroes(n: number): Buffer {
  return Buffer.alloc(n);
}

function microtaskFlush(): Promise<void> {
  // Watch notifications are delivered on a microtask queued by the store during the operation;
  // waiting for one more microtask lets them go out before the reply, as ZooKeeper orders them.
  return new Promise((resolve) => queueMicrotask(resolve));
}

class Connection {
  private readonly decoder: FrameDecoder;
  private session: WireSession | undefined;
  private readonly queue: Buffer[] = [];
  private running = false;
  private closed = false;
  /** Notifications sent for the current store event: a delete fires data and child watches of
   *  the same path, and ZooKeeper sends the client one NodeDeleted for both. */
  private readonly justNotified = new Set<string>();
  private readonly remote: string;

  constructor(
    private readonly ctx: ServerContext,
    private readonly socket: Socket,
  ) {
    this.decoder = new FrameDecoder(ctx.maxPacket);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (e) => log.debug({ remote: this.remote, err: e.message }, 'socket error'));
    socket.on('close', () => this.onClosed());
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let out;
    try {
      out = this.decoder.push(chunk);
    } catch (e) {
      this.drop('malformed packet', e);
      return;
    }
    if (out.word) {
      this.answerFourLetterWord(out.word);
      return;
    }
    this.ctx.counters.received += out.frames.length;
    this.queue.push(...out.frames);
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        if (this.session) await this.handleRequest(this.session, frame);
        else this.handleConnect(frame);
      }
    } catch (e) {
      if (e instanceof DecodeError) this.drop('malformed packet', e);
      else this.drop('internal error while serving a request', e);
    } finally {
      this.running = false;
    }
  }

  private send(buf: Buffer): void {
    if (this.closed) return;
    if (this.socket.writableLength + buf.length > this.ctx.maxPendingWrite) {
      this.drop('the client does not read its replies', undefined);
      return;
    }
    this.ctx.counters.sent++;
    this.socket.write(buf);
  }

  /** Closes this connection after a protocol problem; the server and other clients go on. */
  drop(why: string, err: unknown): void {
    if (this.closed) return;
    log.warn(
      { remote: this.remote, err: err instanceof Error ? err.message : err },
      `closing ZooKeeper client connection: ${why}`,
    );
    this.close();
  }

  /** Closes at once (server shutdown, superseded by a newer connection, session gone). */
  close(): void {
    this.closed = true;
    this.socket.destroy();
    this.detach();
  }

  /** Sends what is queued, then closes (after closeSession or a refused handshake). */
  private finish(text?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (text === undefined) this.socket.end();
    else this.socket.end(text);
    // A peer that never closes its side must not keep the socket (and its buffers) forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.detach();
  }

  private onClosed(): void {
    this.closed = true;
    this.detach();
    this.ctx.connections.delete(this);
  }

  private detach(): void {
    const s = this.session;
    if (s && s.conn === this) s.conn = undefined;
  }

  notify(ev: WatchEvent): void {
    const key = `${ev.type}\u0000${ev.path}`;
    if (this.justNotified.has(key)) return;
    if (this.justNotified.size === 0) queueMicrotask(() => this.justNotified.clear());
    this.justNotified.add(key);
    this.send(encodeNotification(EVENT_TYPES[ev.type], KeeperState.syncConnected, ev.path));
  }

  private answerFourLetterWord(word: string): void {
    const { store, registry, connections, counters } = this.ctx;
    let text: string;
    switch (word) {
      case 'ruok':
        text = 'imok';
        break;
      case 'isro':
        text = 'rw';
        break;
      case 'srvr':
      case 'stat':
        text = [
          'Zookeeper version: 3.8.0-beacon-embedded (Beacon embedded store over the ZooKeeper wire protocol)',
          'Latency min/avg/max: 0/0.0/0',
          `Received: ${counters.received}`,
          `Sent: ${counters.sent}`,
          `Connections: ${connections.size}`,
          'Outstanding: 0',
          `Zxid: 0x${store.lastZxid.toString(16)}`,
          'Mode: standalone',
          `Sessions: ${registry.sessions.size}`,
          `Listening: ${this.ctx.listening()}`,
          '',
        ].join('\n');
        break;
      default:
        text = `${word} is not executed because it is not in the whitelist.\n`;
    }
    this.finish(text);
  }

  // ---- handshake ------------------------------------------------------------------------------

  private handleConnect(frame: Buffer): void {
    const req = decodeConnectRequest(frame);
    const { store, registry } = this.ctx;
    if (store.isDown) {
      // A stopped store is an unreachable ensemble: refuse, the client tries again.
      this.close();
      return;
    }
    const timeout = Math.min(this.ctx.maxTimeout, Math.max(this.ctx.minTimeout, req.timeOut));
    let s: WireSession | undefined;
    if (req.sessionId === 0n) {
      const embedded = store.connect({ sessionTimeoutMs: timeout, renewOnExpiry: false });
      s = new WireSession(registry, embedded, randomBytes(16), timeout);
      const session = s;
      embedded.on('expired', () => endSession(session, 'expired'));
      // The store stopped (simulated outage): drop the connection, as a dead ensemble would.
      embedded.on('disconnected', () => session.conn?.close());
      registry.add(s);
      log.debug({ session: s.idHex, timeout, remote: this.remote }, 'new session');
    } else {
      const idHex = BigInt.asUintN(64, req.sessionId).toString(16).padStart(16, '0');
      const found = registry.sessions.get(idHex);
      const passwordOk =
        found !== undefined &&
        req.passwd.length === found.password.length &&
        timingSafeEqual(req.passwd, found.password);
      if (!found || found.ended || !passwordOk) {
        // Unknown, expired or wrong password: timeOut 0 tells the client its session expired.
        log.debug(
          { session: idHex, known: !!found, remote: this.remote },
          'refusing to resume a session',
        );
        this.send(
          encodeConnectResponse({
            protocolVersion: 0,
            timeOut: 0,
            sessionId: 0n,
            passwd: zeroes(16),
            readOnly: req.readOnly === undefined ? undefined : false,
          }),
        );
        this.finish();
        return;
      }
      s = found;
      if (s.conn && s.conn !== this) s.conn.close();
      s.timeoutMs = timeout;
      log.debug({ session: s.idHex, timeout, remote: this.remote }, 'session resumed');
    }
    s.conn = this;
    s.lastHeard = Date.now();
    this.session = s;
    this.send(
      encodeConnectResponse({
        protocolVersion: 0,
        timeOut: timeout,
        sessionId: s.id,
        passwd: s.password,
        readOnly: req.readOnly === undefined ? undefined : false,
      }),
    );
  }

  // ---- requests -------------------------------------------------------------------------------

  private reply(xid: number, err: number, body?: Parameters<typeof encodeReply>[3]): void {
    this.send(encodeReply(xid, this.ctx.store.lastZxid, err, body));
  }

  private async handleRequest(s: WireSession, frame: Buffer): Promise<void> {
    const req = decodeRequest(frame);
    s.lastHeard = Date.now();
    switch (req.op) {
      case 'ping':
        this.send(encodeReply(Xid.ping, this.ctx.store.lastZxid, 0));
        return;
      case 'auth':
        this.handleAuth(s, req.scheme, req.auth);
        return;
      case 'setWatches':
        this.handleSetWatches(
          s,
          req.relativeZxid,
          req.dataWatches,
          req.existWatches,
          req.childWatches,
        );
        this.reply(req.xid, 0);
        return;
      case 'closeSession':
        endSession(s, 'closed by the client');
        await s.embedded.close();
        await microtaskFlush();
        this.reply(req.xid, 0);
        this.finish();
        return;
      case 'unsupported':
        this.reply(req.xid, Err.unimplemented);
        return;
    }
    let body: Parameters<typeof encodeReply>[3];
    try {
      body = this.perform(s, req);
    } catch (e) {
      this.reply(req.xid, errorCode(e, req));
      return;
    }
    if (req.op === 'create' || req.op === 'delete' || req.op === 'setData') await microtaskFlush();
    this.reply(req.xid, 0, body);
  }

  /** Runs one tree operation synchronously on the store, so the Stat read with it is exact. */
  private perform(s: WireSession, req: ZkRequest): Parameters<typeof encodeReply>[3] {
    const { store } = this.ctx;
    const es = s.embedded;
    switch (req.op) {
      case 'create': {
        const mode = MODES[req.flags];
        if (mode === undefined) {
          // Containers and TTL nodes are ZooKeeper 3.5+/3.6+ extras this server does not keep.
          throw new ReplyError(
            req.flags >= CreateFlags.container &&
              req.flags <= CreateFlags.persistentSequentialWithTtl
              ? Err.unimplemented
              : Err.badArguments,
          );
        }
        const sequential = mode === 'persistentSequential' || mode === 'ephemeralSequential';
        checkPath(req.path, sequential);
        if (!validAclEntries(req.acl)) throw new ReplyError(Err.invalidAcl);
        const acl: Acl[] = req.acl.map((a) => ({ scheme: a.scheme, id: a.id, perms: a.perms }));
        const actual = store._create(es, req.path, req.data, { mode, acl });
        if (!req.withStat) return Responses.create(actual);
        return Responses.create2(actual, this.statOf(es, actual));
      }
      case 'delete':
        checkPath(req.path);
        store._remove(es, req.path, req.version);
        return undefined;
      case 'exists': {
        checkPath(req.path);
        const exists = store._zxids(req.path) !== undefined;
        if (req.watch) s.arm(exists ? 'data' : 'exist', req.path);
        const st = store._exists(es, req.path);
        if (!st) throw new ReplyError(Err.noNode);
        return Responses.stat(this.wireStat(req.path, st));
      }
      case 'getData': {
        checkPath(req.path);
        const { data, stat } = store._getData(es, req.path);
        if (req.watch) s.arm('data', req.path);
        return Responses.getData(data, this.wireStat(req.path, stat));
      }
      case 'setData': {
        checkPath(req.path);
        const st = store._setData(es, req.path, req.data, req.version);
        return Responses.stat(this.wireStat(req.path, st));
      }
      case 'getACL': {
        checkPath(req.path);
        const acl = store._getAcl(req.path);
        return Responses.getACL(acl, this.statOf(es, req.path));
      }
      case 'getChildren':
      case 'getChildren2': {
        checkPath(req.path);
        const children = store._getChildren(es, req.path);
        if (req.watch) s.arm('child', req.path);
        if (req.op === 'getChildren') return Responses.getChildren(children);
        return Responses.getChildren2(children, this.statOf(es, req.path));
      }
      case 'sync':
        checkPath(req.path);
        return Responses.sync(req.path);
      default:
        throw new ReplyError(Err.unimplemented);
    }
  }

  private statOf(es: EmbeddedSession, path: string): WireStat {
    const st = this.ctx.store._exists(es, path);
    if (!st) throw new ReplyError(Err.noNode);
    return this.wireStat(path, st);
  }

  private wireStat(path: string, st: NodeStat): WireStat {
    const czxid = BigInt(st.czxid);
    const z = this.ctx.store._zxids(path) ?? { czxid, mzxid: czxid, pzxid: czxid };
    return {
      czxid: z.czxid,
      mzxid: z.mzxid,
      ctime: BigInt(st.ctime),
      mtime: BigInt(st.mtime),
      version: st.version,
      cversion: st.cversion,
      aversion: 0,
      ephemeralOwner: BigInt.asIntN(64, BigInt(`0x${st.ephemeralOwner}`)),
      dataLength: st.dataLength,
      numChildren: st.numChildren,
      pzxid: z.pzxid,
    };
  }

  private handleAuth(s: WireSession, scheme: string, auth: Buffer): void {
    if (scheme !== 'digest') {
      // ZooKeeper answers AuthFailed for a scheme it has no provider for, then hangs up.
      log.warn({ session: s.idHex, scheme }, 'authentication with an unsupported scheme refused');
      this.send(encodeReply(Xid.auth, 0n, Err.authFailed));
      this.finish();
      return;
    }
    // digest: the identity is "user:base64(sha1(user:password))", as ZooKeeper's provider makes it.
    const text = auth.toString('utf8');
    const colon = text.indexOf(':');
    const user = colon < 0 ? text : text.slice(0, colon);
    const id = `${user}:${createHash('sha1').update(text).digest('base64')}`;
    if (!s.embedded._ids.some((i) => i.scheme === 'digest' && i.id === id)) {
      s.embedded._ids.push({ scheme: 'digest', id });
    }
    this.send(encodeReply(Xid.auth, 0n, 0));
  }

  /** Re-registers a reconnecting client's watches. Like ZooKeeper: a change after the client's
   *  last seen zxid fires at once, otherwise the watch is armed again. */
  private handleSetWatches(
    s: WireSession,
    rel: bigint,
    data: string[],
    exist: string[],
    child: string[],
  ): void {
    const { store } = this.ctx;
    const fire = (type: WatchEvent['type'], path: string) => this.notify({ type, path });
    for (const path of data) {
      const z = store._zxids(path);
      if (!z) fire('deleted', path);
      else if (z.mzxid > rel) fire('dataChanged', path);
      else s.arm('data', path);
    }
    for (const path of exist) {
      if (store._zxids(path)) fire('created', path);
      else s.arm('exist', path);
    }
    for (const path of child) {
      const z = store._zxids(path);
      if (!z) fire('deleted', path);
      else if (z.pzxid > rel) fire('childrenChanged', path);
      else s.arm('child', path);
    }
  }
}

function checkPath(path: string, sequential = false): void {
  if (!validPath(path, sequential)) throw new ReplyError(Err.badArguments);
}

function errorCode(e: unknown, req: ZkRequest): number {
  if (e instanceof ReplyError) return e.code;
  if (e instanceof ZkError) {
    const code = REASON_CODES[e.reason];
    if (code !== undefined) return code;
  }
  if (e instanceof InputError) return Err.badArguments;
  log.warn(
    { op: req.op, err: e instanceof Error ? e.message : String(e) },
    'unexpected error serving a ZooKeeper request',
  );
  return Err.systemError;
}

/** Ends a session for its remote client (expired or closed); its connection is dropped. */
function endSession(s: WireSession, why: string): void {
  if (s.ended) return;
  s.ended = true;
  s.registry.remove(s);
  s.armed.clear();
  log.debug({ session: s.idHex }, `session ended: ${why}`);
  if (why === 'expired') s.conn?.close();
}

// ---- the server -------------------------------------------------------------------------------

/** Starts serving `store` over the ZooKeeper client protocol. */
export async function startZkWireServer(options: ZkWireServerOptions): Promise<ZkWireServer> {
  const host = options.host ?? '127.0.0.1';
  const minTimeout = options.minSessionTimeoutMs ?? 4000;
  const maxTimeout = Math.max(minTimeout, options.maxSessionTimeoutMs ?? 40000);
  const connections = new Set<Connection>();
  let address = '';
  const ctx: ServerContext = {
    store: options.store,
    registry: registryOf(options.store),
    minTimeout,
    maxTimeout,
    maxPacket: options.maxPacketBytes ?? DEFAULT_MAX_PACKET,
    maxPendingWrite: options.maxPendingWriteBytes ?? 16 * 1024 * 1024,
    connections,
    counters: { received: 0, sent: 0 },
    listening: () => address,
  };
  const server: Server = createServer((socket) => {
    connections.add(new Connection(ctx, socket));
  });
  server.on('error', (e) => log.warn({ err: e.message }, 'ZooKeeper wire server error'));
  const port = await new Promise<number>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE')
        reject(new PortInUseError('the ZooKeeper wire server', host, options.port ?? 0));
      else reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port: options.port ?? 0, exclusive: true });
  });
  const connectString = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  address = connectString;
  log.info({ connectString }, 'serving the embedded store over the ZooKeeper protocol');
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    connectString,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of [...connections]) c.close();
      });
      return closing;
    },
  };
}
