// The embedded in-process coordination store: a ZooKeeper-like tree with persistent, ephemeral
// and sequential nodes, one-shot data/child/exists watches, digest ACLs, and sessions that can be
// expired or cut off on purpose. The devcluster's default, and the fast half of the contract suite.
import { EventEmitter } from 'node:events';
import { ZkAuthError, ZkClosedError, ZkError } from '../errors.js';
import { digestId, OPEN_ACL_UNSAFE } from './acl.js';
import { mkdirp, waitConnected } from './session-helpers.js';
import { baseName, normalizePath, parentPath } from './paths.js';
import {
  Perms,
  type Acl,
  type AuthInfo,
  type Coordination,
  type CreateOptions,
  type NodeStat,
  type SessionEvents,
  type SessionState,
  type WatchEvent,
  type Watcher,
} from './types.js';

interface Node {
  data: Buffer;
  acl: Acl[];
  ephemeralOwner: string;
  children: Set<string>;
  version: number;
  cversion: number;
  /** Children ever created: the next sequential suffix (ZooKeeper does not count deletes). */
  seq: number;
  ctime: number;
  mtime: number;
  czxid: bigint;
  /** Last data change (ZooKeeper's mzxid) and last child change (pzxid); served over the wire. */
  mzxid: bigint;
  pzxid: bigint;
}

/** The transaction ids of one node, as the ZooKeeper wire protocol's Stat carries them. */
export interface NodeZxids {
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
}

const NO_OWNER = '0000000000000000';

export interface EmbeddedSessionOptions {
  auth?: AuthInfo[];
  defaultAcl?: Acl[];
  /** How long the store may be "down" before this session counts as expired. Default 10000. */
  sessionTimeoutMs?: number;
  /** Open a new session by itself after expiry (right for in-process owners). Default true.
   *  false: the session ends for good on expiry (state `closed` after `expired`), as a remote
   *  client's session must when served over the ZooKeeper wire protocol. */
  renewOnExpiry?: boolean;
}

/** The store: one tree shared by every session connected to it (like one ZooKeeper ensemble). */
export class EmbeddedStore {
  private readonly nodes = new Map<string, Node>();
  private readonly sessions = new Map<string, EmbeddedSession>();
  private nextSession = 1n;
  private zxid = 0n;
  private down: number | undefined;

  constructor() {
    this.nodes.set('/', this.newNode(Buffer.alloc(0), OPEN_ACL_UNSAFE, NO_OWNER));
    this.nodes.set('/zookeeper', this.newNode(Buffer.alloc(0), OPEN_ACL_UNSAFE, NO_OWNER));
    this.nodes.get('/')!.children.add('zookeeper');
  }

  /** Opens a new session on this store. */
  connect(options: EmbeddedSessionOptions = {}): EmbeddedSession {
    return new EmbeddedSession(this, options);
  }

  /** True while stop() is in force. */
  get isDown(): boolean {
    return this.down !== undefined;
  }

  /** Simulates the whole ensemble going away: every session is disconnected; operations wait. */
  stop(): void {
    if (this.down !== undefined) return;
    this.down = Date.now();
    for (const s of this.sessions.values()) s._disconnected();
  }

  /** Brings the store back: sessions whose timeout passed meanwhile are expired, others resume
   *  with their ephemeral nodes and watches intact. */
  start(): void {
    if (this.down === undefined) return;
    const downFor = Date.now() - this.down;
    this.down = undefined;
    for (const s of [...this.sessions.values()]) {
      if (downFor >= s.timeoutMs) this.expire(s.sessionId);
      else s._reconnected();
    }
  }

  /** Expires a session as ZooKeeper would: its ephemerals are deleted (firing watches) and its
   *  watches dropped; the session object then opens a new session by itself. */
  expire(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    this.dropEphemerals(sessionId);
    s._expired();
  }

  /** The last transaction id the store handed out (each create, delete and setData takes one). */
  get lastZxid(): bigint {
    return this.zxid;
  }

  /** Every live session id. */
  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** @internal */
  _register(s: EmbeddedSession): string {
    const id = (this.nextSession++).toString(16).padStart(16, '0');
    this.sessions.set(id, s);
    return id;
  }

  /** @internal Session closed on purpose: ephemerals go. */
  _close(sessionId: string): void {
    if (this.sessions.delete(sessionId)) this.dropEphemerals(sessionId);
  }

  private dropEphemerals(sessionId: string): void {
    const owned = [...this.nodes.entries()].filter(([, n]) => n.ephemeralOwner === sessionId);
    for (const [path] of owned) this.deleteNode(path);
  }

  private newNode(data: Buffer, acl: Acl[], owner: string): Node {
    const now = Date.now();
    const zxid = ++this.zxid;
    return {
      data,
      acl,
      ephemeralOwner: owner,
      children: new Set(),
      version: 0,
      cversion: 0,
      seq: 0,
      ctime: now,
      mtime: now,
      czxid: zxid,
      mzxid: zxid,
      pzxid: zxid,
    };
  }

  private stat(n: Node): NodeStat {
    return {
      version: n.version,
      cversion: n.cversion,
      ephemeralOwner: n.ephemeralOwner,
      numChildren: n.children.size,
      dataLength: n.data.length,
      ctime: n.ctime,
      mtime: n.mtime,
      czxid: n.czxid.toString(),
    };
  }

  // ---- watches: one-shot, per session, fired asynchronously in order -------------------------
  private fire(
    path: string,
    type: WatchEvent['type'],
    kinds: Array<'data' | 'child' | 'exist'>,
  ): void {
    for (const s of this.sessions.values()) s._fire(path, type, kinds);
  }

  private deleteNode(path: string): void {
    const n = this.nodes.get(path);
    if (!n) return;
    this.nodes.delete(path);
    const parent = this.nodes.get(parentPath(path));
    if (parent) {
      parent.children.delete(baseName(path));
      parent.cversion++;
      parent.pzxid = ++this.zxid;
    }
    this.fire(path, 'deleted', ['data', 'exist', 'child']);
    this.fire(parentPath(path), 'childrenChanged', ['child']);
  }

  // ---- ACL checks, as ZooKeeper's server does them ------------------------------------------
  private allowed(acl: Acl[], perm: number, ids: Array<{ scheme: string; id: string }>): boolean {
    return acl.some(
      (a) =>
        (a.perms & perm) !== 0 &&
        ((a.scheme === 'world' && a.id === 'anyone') ||
          ids.some((i) => i.scheme === a.scheme && i.id === a.id)),
    );
  }

  private check(
    path: string,
    n: Node,
    perm: number,
    ids: Array<{ scheme: string; id: string }>,
    op: string,
  ): void {
    if (!this.allowed(n.acl, perm, ids)) {
      throw new ZkAuthError(
        'noAuth',
        `ZooKeeper ${op} ${path}: not authorised (NoAuth); add credentials with --auth digest:USER:PASSWORD or fix the node's ACL`,
      );
    }
  }

  private get(path: string, op: string): Node {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError('noNode', `ZooKeeper ${op} ${path}: no such node`);
    return n;
  }

  // ---- operations (synchronous; the session makes them async) -------------------------------
  /** @internal */
  _create(s: EmbeddedSession, path: string, data: Buffer, opts: CreateOptions): string {
    if (path === '/') throw new ZkError('nodeExists', 'ZooKeeper create /: node already exists');
    const mode = opts.mode ?? 'persistent';
    const parentP = parentPath(path);
    const parent = this.nodes.get(parentP);
    if (!parent)
      throw new ZkError('noNode', `ZooKeeper create ${path}: parent ${parentP} does not exist`);
    if (parent.ephemeralOwner !== NO_OWNER) {
      throw new ZkError(
        'noChildrenForEphemerals',
        `ZooKeeper create ${path}: the parent is ephemeral and cannot have children`,
      );
    }
    this.check(parentP, parent, Perms.CREATE, s._ids, 'create');
    let acl = opts.acl ?? s.defaultAcl;
    if (acl.length === 0) throw new ZkError('invalidAcl', `ZooKeeper create ${path}: empty ACL`);
    if (acl.some((a) => a.scheme === 'auth')) {
      const authIds = s._ids.filter((i) => i.scheme !== 'ip');
      if (authIds.length === 0) {
        throw new ZkError(
          'invalidAcl',
          `ZooKeeper create ${path}: invalid ACL (an "auth" ACL needs credentials)`,
        );
      }
      acl = acl.flatMap((a) =>
        a.scheme === 'auth'
          ? authIds.map((i) => ({ scheme: i.scheme, id: i.id, perms: a.perms }))
          : [a],
      );
    }
    let actual = path;
    if (mode === 'persistentSequential' || mode === 'ephemeralSequential') {
      actual = path + String(parent.seq).padStart(10, '0');
    }
    if (this.nodes.has(actual))
      throw new ZkError('nodeExists', `ZooKeeper create ${actual}: node already exists`);
    const ephemeral = mode === 'ephemeral' || mode === 'ephemeralSequential';
    this.nodes.set(
      actual,
      this.newNode(
        Buffer.from(data),
        acl.map((a) => ({ ...a })),
        ephemeral ? s.sessionId : NO_OWNER,
      ),
    );
    parent.children.add(baseName(actual));
    parent.cversion++;
    parent.seq++;
    parent.pzxid = this.nodes.get(actual)!.czxid;
    this.fire(actual, 'created', ['exist']);
    this.fire(parentP, 'childrenChanged', ['child']);
    return actual;
  }

  /** @internal */
  _remove(s: EmbeddedSession, path: string, version: number): void {
    if (path === '/')
      throw new ZkError('badArguments', 'ZooKeeper delete /: cannot delete the root');
    const n = this.get(path, 'delete');
    const parent = this.nodes.get(parentPath(path))!;
    this.check(parentPath(path), parent, Perms.DELETE, s._ids, 'delete');
    if (version !== -1 && version !== n.version)
      throw new ZkError('badVersion', `ZooKeeper delete ${path}: version mismatch`);
    if (n.children.size > 0)
      throw new ZkError('notEmpty', `ZooKeeper delete ${path}: node has children`);
    this.deleteNode(path);
  }

  /** @internal */
  _exists(s: EmbeddedSession, path: string, watch?: Watcher): NodeStat | null {
    const n = this.nodes.get(path);
    if (watch) s._watch(path, n ? 'data' : 'exist', watch);
    return n ? this.stat(n) : null;
  }

  /** @internal */
  _getData(s: EmbeddedSession, path: string, watch?: Watcher): { data: Buffer; stat: NodeStat } {
    const n = this.get(path, 'getData');
    this.check(path, n, Perms.READ, s._ids, 'getData');
    if (watch) s._watch(path, 'data', watch);
    return { data: Buffer.from(n.data), stat: this.stat(n) };
  }

  /** @internal */
  _setData(s: EmbeddedSession, path: string, data: Buffer, version: number): NodeStat {
    const n = this.get(path, 'setData');
    this.check(path, n, Perms.WRITE, s._ids, 'setData');
    if (version !== -1 && version !== n.version)
      throw new ZkError('badVersion', `ZooKeeper setData ${path}: version mismatch`);
    n.data = Buffer.from(data);
    n.version++;
    n.mtime = Date.now();
    n.mzxid = ++this.zxid;
    this.fire(path, 'dataChanged', ['data']);
    return this.stat(n);
  }

  /** @internal */
  _getChildren(s: EmbeddedSession, path: string, watch?: Watcher): string[] {
    return this._getChildrenWithStat(s, path, watch).children;
  }

  /** @internal */
  _getChildrenWithStat(
    s: EmbeddedSession,
    path: string,
    watch?: Watcher,
  ): { children: string[]; stat: NodeStat } {
    const n = this.get(path, 'getChildren');
    this.check(path, n, Perms.READ, s._ids, 'getChildren');
    if (watch) s._watch(path, 'child', watch);
    return { children: [...n.children], stat: this.stat(n) };
  }

  /** @internal The node's transaction ids (for the wire server's Stat), or undefined if missing. */
  _zxids(path: string): NodeZxids | undefined {
    const n = this.nodes.get(path);
    return n && { czxid: n.czxid, mzxid: n.mzxid, pzxid: n.pzxid };
  }

  /** @internal */
  _getAcl(path: string): Acl[] {
    return this.get(path, 'getACL').acl.map((a) => ({ ...a }));
  }
}

type WatchKind = 'data' | 'child' | 'exist';

/** One client session on an EmbeddedStore; renews itself after expiry like ZkSession. */
export class EmbeddedSession extends EventEmitter<SessionEvents> implements Coordination {
  readonly kind = 'embedded' as const;
  readonly target = 'embedded';
  readonly defaultAcl: Acl[];
  readonly timeoutMs: number;
  private readonly renewOnExpiry: boolean;
  private readonly store: EmbeddedStore;
  private _state: SessionState = 'connecting';
  private _sessionId = '';
  /** @internal authenticated ids of this session. */
  readonly _ids: Array<{ scheme: string; id: string }>;
  private watches = new Map<string, Watcher[]>();
  private waiting: Array<() => void> = [];

  constructor(store: EmbeddedStore, options: EmbeddedSessionOptions) {
    super();
    this.setMaxListeners(0); // every announcer and watcher of the process listens here
    this.store = store;
    this.defaultAcl = options.defaultAcl ?? OPEN_ACL_UNSAFE;
    this.timeoutMs = options.sessionTimeoutMs ?? 10000;
    this.renewOnExpiry = options.renewOnExpiry ?? true;
    this._ids = (options.auth ?? []).map((a) => {
      if (a.scheme !== 'digest') return { scheme: a.scheme, id: a.auth };
      const i = a.auth.indexOf(':');
      return { scheme: 'digest', id: digestId(a.auth.slice(0, i), a.auth.slice(i + 1)) };
    });
    this._sessionId = store._register(this);
    // Connect asynchronously, as a real client does.
    setImmediate(() => {
      if (this._state === 'connecting' && !store.isDown) this.setConnected(false);
    });
  }

  get state(): SessionState {
    return this._state;
  }
  get sessionId(): string {
    return this._sessionId;
  }

  private setConnected(renewed: boolean): void {
    this._state = 'connected';
    this.emit('connected');
    if (renewed) this.emit('sessionRenewed');
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  /** @internal */
  _disconnected(): void {
    if (this._state === 'closed') return;
    this._state = 'disconnected';
    this.emit('disconnected');
  }
  /** @internal */
  _reconnected(): void {
    if (this._state === 'closed') return;
    this.setConnected(false);
  }
  /** @internal the store expired this session: open a new one (or end, without renewOnExpiry). */
  _expired(): void {
    if (this._state === 'closed') return;
    this.watches.clear();
    if (!this.renewOnExpiry) {
      this._state = 'closed';
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) w();
      this.emit('expired');
      return;
    }
    this._state = 'connecting';
    this.emit('expired');
    setImmediate(() => {
      if (this._state === 'closed') return;
      this._sessionId = this.store._register(this);
      if (this.store.isDown) {
        this._state = 'disconnected';
      } else {
        this.setConnected(true);
      }
    });
  }

  /** @internal */
  _watch(path: string, kind: WatchKind, w: Watcher): void {
    const key = `${kind}\u0000${path}`;
    const list = this.watches.get(key);
    if (list) list.push(w);
    else this.watches.set(key, [w]);
  }

  /** @internal */
  _fire(path: string, type: WatchEvent['type'], kinds: WatchKind[]): void {
    const fired: Watcher[] = [];
    for (const kind of kinds) {
      const key = `${kind}\u0000${path}`;
      const list = this.watches.get(key);
      if (list) {
        this.watches.delete(key);
        fired.push(...list);
      }
    }
    if (fired.length === 0) return;
    // Deliver after the current operation completes, like a notification from the server.
    queueMicrotask(() => {
      for (const w of fired) w({ type, path });
    });
  }

  waitConnected(timeoutMs: number): Promise<void> {
    return waitConnected(
      this,
      timeoutMs,
      () => `the embedded coordination store is not reachable (stopped) after ${timeoutMs} ms`,
    );
  }

  /** Runs an operation once connected (operations wait while the store is down). */
  private async op<T>(fn: () => T): Promise<T> {
    if (this._state === 'closed') throw new ZkClosedError();
    if (this._state !== 'connected') {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.state === 'closed') throw new ZkClosedError();
    }
    // Yield once so callers observe asynchronous completion, as with a network round trip.
    await Promise.resolve();
    return fn();
  }

  create(
    path: string,
    data: Buffer = Buffer.alloc(0),
    options: CreateOptions = {},
  ): Promise<string> {
    const p = normalizePath(path);
    return this.op(() => this.store._create(this, p, data, options));
  }

  mkdirp(path: string, acl?: Acl[]): Promise<void> {
    return mkdirp(this, path, acl);
  }

  remove(path: string, version = -1): Promise<void> {
    const p = normalizePath(path);
    return this.op(() => this.store._remove(this, p, version));
  }

  exists(path: string, watch?: Watcher): Promise<NodeStat | null> {
    const p = normalizePath(path);
    return this.op(() => this.store._exists(this, p, watch));
  }

  getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: NodeStat }> {
    const p = normalizePath(path);
    return this.op(() => this.store._getData(this, p, watch));
  }

  setData(path: string, data: Buffer, version = -1): Promise<NodeStat> {
    const p = normalizePath(path);
    return this.op(() => this.store._setData(this, p, data, version));
  }

  getChildren(path: string, watch?: Watcher): Promise<string[]> {
    const p = normalizePath(path);
    return this.op(() => this.store._getChildren(this, p, watch));
  }

  getAcl(path: string): Promise<Acl[]> {
    const p = normalizePath(path);
    return this.op(() => this.store._getAcl(p));
  }

  /** Expires this session on purpose (tests, fault drills). */
  expire(): void {
    this.store.expire(this._sessionId);
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.store._close(this._sessionId);
    this.watches.clear();
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
    this.emit('closed');
  }
}
