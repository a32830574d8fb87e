// The coordination interface: the subset of ZooKeeper that ServerSets, leader detection and the
// devcluster need. Implemented by a real ZooKeeper session (zk/session.ts) and by the embedded
// in-process store (zk/embedded.ts); one contract suite (test/zk/contract.ts) runs against both.
import type { EventEmitter } from 'node:events';

export type CreateMode =
  'persistent' | 'ephemeral' | 'persistentSequential' | 'ephemeralSequential';

/** ZooKeeper permission bits. */
export const Perms = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** One ACL entry, as ZooKeeper stores it: scheme `world` (id `anyone`), `digest`
 *  (id `user:base64(sha1(user:password))`), `ip`, or `auth`. */
export interface Acl {
  scheme: string;
  id: string;
  perms: number;
}

/** Credentials added to a session (`addAuthInfo`): e.g. scheme `digest`, auth `user:password`. */
export interface AuthInfo {
  scheme: string;
  auth: string;
}

export interface NodeStat {
  /** Data version, incremented by each setData. */
  version: number;
  /** Child version, incremented by each child create/delete. */
  cversion: number;
  /** Session id (16 hex digits) owning the node when ephemeral, else "0000000000000000". */
  ephemeralOwner: string;
  numChildren: number;
  dataLength: number;
  /** Creation time, ms since the epoch. */
  ctime: number;
  mtime: number;
  /** Creation transaction id (ordering across nodes), as a decimal string. */
  czxid: string;
}

export type WatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged';
export interface WatchEvent {
  type: WatchEventType;
  path: string;
}
/** A one-shot watch, as in ZooKeeper: called at most once, after the next change. Watches are
 *  kept across a reconnect of the same session and lost on session expiry. */
export type Watcher = (event: WatchEvent) => void;

/**
 * Session lifecycle, as seen by owners of ephemeral nodes and watches:
 * - `connected`: connected (first time, or again within the same session; watches survived);
 * - `disconnected`: the connection dropped; the session may still be alive on the servers;
 * - `expired`: the session is gone: its ephemeral nodes and watches are lost. The coordination
 *   object opens a new session by itself and then emits `sessionRenewed`;
 * - `sessionRenewed`: a new session is connected: owners must re-create their ephemeral nodes
 *   and re-arm their watches now;
 * - `unreachable`: no server has answered for `unreachableAfterMs`; still retrying;
 * - `closed`: close() was called.
 */
export type SessionState = 'connecting' | 'connected' | 'disconnected' | 'closed';
export interface SessionEvents {
  connected: [];
  disconnected: [];
  expired: [];
  sessionRenewed: [];
  unreachable: [detail: string];
  closed: [];
}

export interface CreateOptions {
  mode?: CreateMode;
  /** Defaults to the session's default ACL (world:anyone:ALL unless configured). */
  acl?: Acl[];
}

export interface Coordination extends EventEmitter<SessionEvents> {
  /** `zookeeper` for a real ensemble, `embedded` for the in-process store. */
  readonly kind: 'zookeeper' | 'embedded';
  /** Human-readable target, e.g. `127.0.0.1:2181` or `embedded`. */
  readonly target: string;
  readonly state: SessionState;
  /** Current session id as 16 hex digits ("" before the first connect). */
  readonly sessionId: string;
  /** The ACL given to created nodes when an operation names none. */
  readonly defaultAcl: Acl[];

  /** Resolves once connected; rejects with ZkUnreachableError after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void>;

  /** Creates a node and returns its actual path (with the sequence suffix for sequential modes). */
  create(path: string, data?: Buffer, options?: CreateOptions): Promise<string>;
  /** Creates the node and any missing parents as persistent nodes (with `acl`); no error if it exists. */
  mkdirp(path: string, acl?: Acl[]): Promise<void>;
  /** Deletes a node; `version` -1 (default) matches any version. */
  remove(path: string, version?: number): Promise<void>;
  /** Stat of the node, or null when it does not exist. The watch fires on create/delete/data change. */
  exists(path: string, watch?: Watcher): Promise<NodeStat | null>;
  /** Data and stat; ZkError('noNode') when missing. The watch fires on data change/delete. */
  getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: NodeStat }>;
  setData(path: string, data: Buffer, version?: number): Promise<NodeStat>;
  /** Child names (unsorted, as ZooKeeper returns them); the watch fires on child create/delete
   *  and on deletion of the node itself. */
  getChildren(path: string, watch?: Watcher): Promise<string[]>;
  getAcl(path: string): Promise<Acl[]>;

  /** Ends the session on purpose. The only call that removes this session's ephemeral nodes. */
  close(): Promise<void>;
}
