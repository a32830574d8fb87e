// A real ZooKeeper session on node-zookeeper-client that closes the client's known gaps: it builds
// a new client after session expiry (and tells owners to restore ephemerals and watches), detects
// a silently dead connection with a liveness watchdog, reports "all servers unreachable" instead
// of retrying silently, and never deletes ephemeral nodes except on an explicit close().
import { EventEmitter } from 'node:events';
import zookeeper from 'node-zookeeper-client';
import { ZkAuthError, ZkClosedError, ZkError, type ZkReason } from '../errors.js';
import { logger } from '../log.js';
import { OPEN_ACL_UNSAFE } from './acl.js';
import { mkdirp, waitConnected } from './session-helpers.js';
import { normalizePath } from './paths.js';
import type {
  Acl,
  AuthInfo,
  Coordination,
  CreateMode,
  CreateOptions,
  NodeStat,
  SessionEvents,
  SessionState,
  WatchEvent,
  Watcher,
} from './types.js';

export interface ZkSessionOptions {
  /** Requested session timeout; the server clamps it to [2, 20] × its tickTime. Default 10000. */
  sessionTimeoutMs?: number;
  /** Credentials added to every session (digest `user:password`). Default none. */
  auth?: AuthInfo[];
  /** ACL of created nodes when an operation names none. Default world:anyone:ALL. */
  defaultAcl?: Acl[];
  /** Emit `unreachable` after no server answered for this long. Default: the session timeout. */
  unreachableAfterMs?: number;
  /** How often the watchdog probes a connection that looks healthy. Default sessionTimeout / 3. */
  watchdogIntervalMs?: number;
  /** A probe unanswered for this long means the connection is dead: drop it and move to the
   *  next server. Default sessionTimeout × 2/3 (before the server would expire the session). */
  watchdogTimeoutMs?: number;
  /** While disconnected, a reconnect attempt that has not completed its handshake in this long is
   *  dropped and started again. Default max(1000, sessionTimeout / 4). */
  handshakeTimeoutMs?: number;
  /** Upper bound of the random pause after every server was tried once. Default 500. */
  spinDelayMs?: number;
}

const log = logger('zk');

const REASONS: Record<number, ZkReason> = {
  [-101]: 'noNode',
  [-110]: 'nodeExists',
  [-111]: 'notEmpty',
  [-103]: 'badVersion',
  [-102]: 'noAuth',
  [-115]: 'authFailed',
  [-114]: 'invalidAcl',
  [-8]: 'badArguments',
  [-108]: 'noChildrenForEphemerals',
  [-4]: 'connectionLoss',
  [-7]: 'connectionLoss', // operation timeout
  [-112]: 'sessionExpired',
};

function toZkError(err: unknown, op: string, path: string): ZkError {
  if (err instanceof ZkError) return err;
  const code = (err as { code?: number } | null)?.code;
  const reason = (typeof code === 'number' && REASONS[code]) || 'other';
  const what = `ZooKeeper ${op} ${path}`;
  switch (reason) {
    case 'noAuth':
      return new ZkAuthError(
        'noAuth',
        `${what}: not authorised (NoAuth); add credentials with --auth digest:USER:PASSWORD or fix the node's ACL`,
        { cause: err },
      );
    case 'authFailed':
      return new ZkAuthError('authFailed', `${what}: authentication failed; check --auth`, {
        cause: err,
      });
    case 'noNode':
      return new ZkError(reason, `${what}: no such node`, { cause: err });
    case 'nodeExists':
      return new ZkError(reason, `${what}: node already exists`, { cause: err });
    case 'notEmpty':
      return new ZkError(reason, `${what}: node has children`, { cause: err });
    case 'badVersion':
      return new ZkError(reason, `${what}: version mismatch`, { cause: err });
    case 'invalidAcl':
      return new ZkError(reason, `${what}: invalid ACL (an "auth" ACL needs credentials)`, {
        cause: err,
      });
    case 'noChildrenForEphemerals':
      return new ZkError(reason, `${what}: the parent is ephemeral and cannot have children`, {
        cause: err,
      });
    case 'connectionLoss':
      return new ZkError(reason, `${what}: connection lost before ZooKeeper answered`, {
        cause: err,
      });
    case 'sessionExpired':
      return new ZkError(reason, `${what}: the session expired`, { cause: err });
    default:
      return new ZkError(reason, `${what}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
  }
}

const MODES: Record<CreateMode, number> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistentSequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeralSequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

const EVENT_TYPES: Record<number, WatchEvent['type']> = {
  1: 'created',
  2: 'deleted',
  3: 'dataChanged',
  4: 'childrenChanged',
};

function long(buf: Buffer | undefined): bigint {
  return buf && buf.length === 8 ? buf.readBigInt64BE(0) : 0n;
}

function toStat(s: zookeeper.Stat): NodeStat {
  const owner = (s.ephemeralOwner as unknown as Buffer | undefined) ?? Buffer.alloc(8);
  return {
    version: s.version,
    cversion: s.cversion,
    ephemeralOwner: owner.toString('hex'),
    numChildren: s.numChildren,
    dataLength: s.dataLength,
    ctime: Number(long(s.ctime as unknown as Buffer)),
    mtime: Number(long(s.mtime as unknown as Buffer)),
    czxid: long(s.czxid as unknown as Buffer).toString(),
  };
}

function toClientAcl(acl: Acl[]): zookeeper.ACL[] {
  return acl.map((a) => new zookeeper.ACL(a.perms, new zookeeper.Id(a.scheme, a.id)));
}

/** The internals of node-zookeeper-client we reach into, all for closing its documented gaps. */
interface ClientInternals {
  connectionManager: { socket?: { destroy(): void }; connect: () => void; state: number };
}
/** ConnectionManager's CLOSING state: a socket closing in this state is not reconnected. */
const CM_CLOSING = -1;
/** ConnectionManager's CONNECTING state: TCP connecting, or waiting for the handshake answer. */
const CM_CONNECTING = 1;

interface Pending {
  reject: (e: ZkError) => void;
}

export class ZkSession extends EventEmitter<SessionEvents> implements Coordination {
  readonly kind = 'zookeeper' as const;
  readonly target: string;
  readonly defaultAcl: Acl[];
  private readonly opts: Required<Omit<ZkSessionOptions, 'auth' | 'defaultAcl'>> & {
    auth: AuthInfo[];
  };
  private client: zookeeper.Client | undefined;
  private _state: SessionState = 'connecting';
  private _sessionId = '';
  private everConnected = false;
  private readonly pending = new Set<Pending>();
  private disconnectedSince: number | undefined = Date.now();
  private unreachableReported = false;
  private timer: NodeJS.Timeout | undefined;
  private probeInFlight: { since: number; client: zookeeper.Client } | undefined;

  constructor(connectString: string, options: ZkSessionOptions = {}) {
    super();
    this.setMaxListeners(0); // every announcer and watcher of the process listens here
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 10000;
    this.target = connectString;
    this.defaultAcl = options.defaultAcl ?? OPEN_ACL_UNSAFE;
    this.opts = {
      sessionTimeoutMs,
      auth: options.auth ?? [],
      unreachableAfterMs: options.unreachableAfterMs ?? sessionTimeoutMs,
      watchdogIntervalMs:
        options.watchdogIntervalMs ?? Math.max(100, Math.floor(sessionTimeoutMs / 3)),
      watchdogTimeoutMs:
        options.watchdogTimeoutMs ?? Math.max(200, Math.floor((sessionTimeoutMs * 2) / 3)),
      handshakeTimeoutMs:
        options.handshakeTimeoutMs ?? Math.max(1000, Math.floor(sessionTimeoutMs / 4)),
      spinDelayMs: options.spinDelayMs ?? 500,
    };
    this.openClient();
    this.timer = setInterval(() => this.tick(), Math.min(this.opts.watchdogIntervalMs, 250));
    this.timer.unref();
  }

  get state(): SessionState {
    return this._state;
  }
  get sessionId(): string {
    return this._sessionId;
  }

  /** The session id and password, e.g. to expire the session on purpose in tests. */
  credentials(): { id: Buffer; password: Buffer } | undefined {
    if (!this.client || !this.everConnected) return undefined;
    return { id: this.client.getSessionId(), password: this.client.getSessionPassword() };
  }

  /** The session timeout the server granted (ms). */
  negotiatedTimeoutMs(): number {
    return this.client?.getSessionTimeout() ?? this.opts.sessionTimeoutMs;
  }

  private openClient(): void {
    const client = zookeeper.createClient(this.target, {
      sessionTimeout: this.opts.sessionTimeoutMs,
      spinDelay: this.opts.spinDelayMs,
      retries: 0,
    });
    this.client = client;
    for (const a of this.opts.auth) client.addAuthInfo(a.scheme, Buffer.from(a.auth));
    client.on('state', (s: zookeeper.State) => {
      if (this.client !== client) return; // a replaced client's late events mean nothing now
      this.onClientState(client, s);
    });
    client.connect();
  }

  private onClientState(client: zookeeper.Client, s: zookeeper.State): void {
    const S = zookeeper.State;
    if (s === S.SYNC_CONNECTED || s === S.CONNECTED_READ_ONLY) {
      const id = client.getSessionId().toString('hex');
      const renewed = this.everConnected && id !== this._sessionId;
      this._sessionId = id;
      this.everConnected = true;
      this._state = 'connected';
      this.disconnectedSince = undefined;
      this.unreachableReported = false;
      this.probeInFlight = undefined;
      log.debug({ session: id, renewed }, 'connected');
      this.emit('connected');
      if (renewed) this.emit('sessionRenewed');
    } else if (s === S.DISCONNECTED) {
      if (this._state === 'closed') return;
      this._state = 'disconnected';
      this.disconnectedSince ??= Date.now();
      log.debug('disconnected');
      this.emit('disconnected');
    } else if (s === S.EXPIRED) {
      log.warn({ session: this._sessionId }, 'session expired; opening a new session');
      this.failPending('sessionExpired');
      this._state = 'connecting';
      this.disconnectedSince ??= Date.now();
      this.emit('expired');
      // The old client is dead for good after expiry; never close() it (that would be a no-op
      // at best) — just drop it and build a new one.
      this.client = undefined;
      try {
        client.removeAllListeners();
      } catch {
        /* ignore */
      }
      this.openClient();
    } else if (s === S.AUTH_FAILED) {
      this.emit('unreachable', 'authentication failed: check the --auth credentials');
    }
  }

  /** Watchdog and unreachable reporting; runs a few times per second. */
  private tick(): void {
    if (this._state === 'closed') return;
    const now = Date.now();
    if (this.disconnectedSince !== undefined) {
      if (
        !this.unreachableReported &&
        now - this.disconnectedSince >= this.opts.unreachableAfterMs
      ) {
        this.unreachableReported = true;
        const detail = `no ZooKeeper server of ${this.target} has answered for ${Math.round((now - this.disconnectedSince) / 1000)} s; still retrying`;
        log.warn(detail);
        this.emit('unreachable', detail);
      }
      this.kickStalledHandshake(now);
      return;
    }
    const client = this.client;
    if (!client || this._state !== 'connected') return;
    const probe = this.probeInFlight;
    if (probe && probe.client === client) {
      if (now - probe.since >= this.opts.watchdogTimeoutMs) {
        // The connection looks open but nothing comes back (frozen server, dropped packets):
        // destroy the socket so the client moves to the next server within the session timeout.
        log.warn(`no answer from ZooKeeper for ${now - probe.since} ms; reconnecting`);
        this.probeInFlight = undefined;
        (client as unknown as ClientInternals).connectionManager.socket?.destroy();
      }
      return;
    }
    if (probe) this.probeInFlight = undefined;
    if (!this.lastProbeAt || now - this.lastProbeAt >= this.opts.watchdogIntervalMs) {
      this.lastProbeAt = now;
      const p = { since: now, client };
      this.probeInFlight = p;
      client.exists('/', (_err) => {
        if (this.probeInFlight === p) this.probeInFlight = undefined;
      });
    }
  }
  private lastProbeAt = 0;
  private lastKickAt = 0;

  /**
   * node-zookeeper-client bounds the TCP connect but, once TCP is up, waits for the handshake's
   * answer without a bound: a server that accepts but does not answer (still starting, frozen)
   * would hold a reconnect forever. While disconnected, drop the attempt in progress every
   * `handshakeTimeoutMs` so the client starts a fresh one (at worst it retries a little early).
   */
  private kickStalledHandshake(now: number): void {
    const since = Math.max(this.disconnectedSince ?? now, this.lastKickAt);
    if (now - since < this.opts.handshakeTimeoutMs) return;
    this.lastKickAt = now;
    const cm = this.client && (this.client as unknown as ClientInternals).connectionManager;
    if (cm?.state === CM_CONNECTING) cm.socket?.destroy();
  }

  waitConnected(timeoutMs: number): Promise<void> {
    return waitConnected(
      this,
      timeoutMs,
      () =>
        `could not connect to ZooKeeper at ${this.target} within ${Math.round(timeoutMs / 1000)} s; check the connect string (host:port,…) and that the ensemble is up`,
    );
  }

  private failPending(reason: ZkReason): void {
    for (const p of this.pending) {
      p.reject(new ZkError(reason, `ZooKeeper operation failed: ${reason}`));
    }
    this.pending.clear();
  }

  /** Runs one client call; rejected on expiry/close too (the client would leave it hanging). */
  private call<T>(
    op: string,
    path: string,
    fn: (c: zookeeper.Client, done: (e: unknown, v?: T) => void) => void,
  ): Promise<T> {
    if (this._state === 'closed') return Promise.reject(new ZkClosedError());
    const client = this.client;
    if (!client) {
      return Promise.reject(
        new ZkError('connectionLoss', `ZooKeeper ${op} ${path}: reconnecting after session expiry`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { reject: (e) => reject(toZkError(e, op, path)) };
      this.pending.add(entry);
      try {
        fn(client, (err, v) => {
          if (!this.pending.delete(entry)) return;
          if (err) reject(toZkError(err, op, path));
          else resolve(v as T);
        });
      } catch (e) {
        this.pending.delete(entry);
        reject(toZkError(e, op, path));
      }
    });
  }

  private wrapWatch(watch: Watcher | undefined): ((e: zookeeper.Event) => void) | undefined {
    if (!watch) return undefined;
    // A fresh closure per call: the client de-duplicates identical watcher functions per path.
    return (e: zookeeper.Event) => {
      const type = EVENT_TYPES[e.type];
      if (type) watch({ type, path: e.path });
    };
  }

  create(
    path: string,
    data: Buffer = Buffer.alloc(0),
    options: CreateOptions = {},
  ): Promise<string> {
    const p = normalizePath(path);
    const acl = toClientAcl(options.acl ?? this.defaultAcl);
    const mode = MODES[options.mode ?? 'persistent'];
    return this.call<string>('create', p, (c, done) => c.create(p, data, acl, mode, done));
  }

  mkdirp(path: string, acl?: Acl[]): Promise<void> {
    return mkdirp(this, path, acl);
  }

  remove(path: string, version = -1): Promise<void> {
    const p = normalizePath(path);
    return this.call<void>('delete', p, (c, done) => c.remove(p, version, (e) => done(e)));
  }

  exists(path: string, watch?: Watcher): Promise<NodeStat | null> {
    const p = normalizePath(path);
    const w = this.wrapWatch(watch);
    return this.call<NodeStat | null>('exists', p, (c, done) => {
      const cb = (e: unknown, stat?: zookeeper.Stat) => done(e, stat ? toStat(stat) : null);
      if (w) c.exists(p, w, cb);
      else c.exists(p, cb);
    });
  }

  getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: NodeStat }> {
    const p = normalizePath(path);
    const w = this.wrapWatch(watch);
    return this.call('getData', p, (c, done) => {
      const cb = (e: unknown, data?: Buffer, stat?: zookeeper.Stat) =>
        done(e, e ? undefined : { data: data ?? Buffer.alloc(0), stat: toStat(stat!) });
      if (w) c.getData(p, w, cb);
      else c.getData(p, cb);
    });
  }

  setData(path: string, data: Buffer, version = -1): Promise<NodeStat> {
    const p = normalizePath(path);
    return this.call('setData', p, (c, done) =>
      c.setData(p, data, version, (e, stat) => done(e, e ? undefined : toStat(stat))),
    );
  }

  getChildren(path: string, watch?: Watcher): Promise<string[]> {
    const p = normalizePath(path);
    const w = this.wrapWatch(watch);
    return this.call('getChildren', p, (c, done) => {
      const cb = (e: unknown, children?: string[]) => done(e, children ?? []);
      if (w) c.getChildren(p, w, cb);
      else c.getChildren(p, cb);
    });
  }

  getAcl(path: string): Promise<Acl[]> {
    const p = normalizePath(path);
    return this.call('getACL', p, (c, done) =>
      c.getACL(p, (e, acls) =>
        done(
          e,
          (acls ?? []).map((a) => ({
            scheme: a.id.scheme,
            id: a.id.id,
            // The typings say `perms`; the library stores `permission`.
            perms: (a as unknown as { permission: number }).permission,
          })),
        ),
      ),
    );
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this._state = 'closed';
    if (this.timer) clearInterval(this.timer);
    const client = this.client;
    this.client = undefined;
    this.failPending('closed');
    if (client) {
      const cm = (client as unknown as ClientInternals).connectionManager;
      if (this.everConnected && client.getState() === zookeeper.State.SYNC_CONNECTED) {
        // Wait (bounded) for the close to reach the server so our ephemerals go at once.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          client.once('disconnected', () => {
            clearTimeout(t);
            resolve();
          });
          client.close();
        });
      }
      // Not connected (or the close is done): the client's close() would write to a socket it
      // may not have, so stop its reconnect loop by hand instead.
      cm.connect = () => undefined;
      cm.state = CM_CLOSING;
      cm.socket?.destroy();
    }
    this.emit('closed');
  }
}
