// Opening coordination sessions: one shared session per process and target (ZooKeeper connect
// string + credentials, or the embedded store), reference-counted so every announcer and watcher
// in the process rides on the same session, as Aurora's executor and Finagle do.
import { EmbeddedStore, type EmbeddedSession } from './embedded.js';
import { ZkSession, type ZkSessionOptions } from './session.js';
import type { Acl, AuthInfo, Coordination } from './types.js';

export type { Coordination } from './types.js';
export { ZkSession } from './session.js';
export { EmbeddedStore, EmbeddedSession } from './embedded.js';

export interface OpenOptions extends ZkSessionOptions {
  auth?: AuthInfo[];
  defaultAcl?: Acl[];
}

let processStore: EmbeddedStore | undefined;

/** The process's embedded store (created on first use). */
export function embeddedStore(): EmbeddedStore {
  processStore ??= new EmbeddedStore();
  return processStore;
}

/** Opens a new, unshared session. `target` is a ZooKeeper connect string
 *  (`h1:2181,h2:2181[/chroot]`) or `embedded`. */
export function openCoordination(target: string, options: OpenOptions = {}): Coordination {
  if (target === 'embedded') return embeddedStore().connect(options) as EmbeddedSession;
  return new ZkSession(target, options);
}

interface Shared {
  session: Coordination;
  refs: number;
}
const shared = new Map<string, Shared>();

export interface SessionLease {
  readonly session: Coordination;
  /** Drops this reference; the session closes (removing its ephemerals) with the last one. */
  release(): Promise<void>;
}

/** The process-wide session for a target and credentials; created on first use. */
export function acquireSession(target: string, options: OpenOptions = {}): SessionLease {
  const key = JSON.stringify([target, options.auth ?? [], options.defaultAcl ?? null]);
  let entry = shared.get(key);
  if (!entry || entry.session.state === 'closed') {
    entry = { session: openCoordination(target, options), refs: 0 };
    shared.set(key, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    session: e.session,
    async release() {
      if (released) return;
      released = true;
      if (--e.refs === 0) {
        if (shared.get(key) === e) shared.delete(key);
        await e.session.close();
      }
    },
  };
}
export { startZkWireServer, type ZkWireServer } from './wire-server.js';
