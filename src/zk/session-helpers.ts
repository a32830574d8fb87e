// Behaviour both coordination backends share, written once: `mkdirp` and waiting for a
// connection with a bound.
import type { EventEmitter } from 'node:events';
import { ZkClosedError, ZkError, ZkUnreachableError } from '../errors.js';
import { ancestors, normalizePath } from './paths.js';
import type { Acl, Coordination, SessionEvents, SessionState } from './types.js';

/** Creates the node and its missing parents, persistent, with one ACL; existing nodes are fine. */
export async function mkdirp(
  c: Pick<Coordination, 'create'>,
  path: string,
  acl?: Acl[],
): Promise<void> {
  const p = normalizePath(path);
  if (p === '/') return;
  for (const dir of [...ancestors(p), p]) {
    try {
      await c.create(dir, Buffer.alloc(0), { mode: 'persistent', acl });
    } catch (e) {
      if (!(e instanceof ZkError && e.reason === 'nodeExists')) throw e;
    }
  }
}

/** Resolves on `connected`; rejects with ZkClosedError on `closed` and ZkUnreachableError
 *  (with `unreachable()`'s message) after `timeoutMs`. */
export async function waitConnected(
  session: EventEmitter<SessionEvents> & { readonly state: SessionState },
  timeoutMs: number,
  unreachable: () => string,
): Promise<void> {
  if (session.state === 'connected') return;
  if (session.state === 'closed') throw new ZkClosedError();
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(t);
      session.off('connected', onConnected);
      session.off('closed', onClosed);
    };
    const onConnected = () => {
      done();
      resolve();
    };
    const onClosed = () => {
      done();
      reject(new ZkClosedError());
    };
    const t = setTimeout(() => {
      done();
      reject(new ZkUnreachableError(unreachable()));
    }, timeoutMs);
    session.once('connected', onConnected);
    session.once('closed', onClosed);
  });
}
