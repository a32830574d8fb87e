// The coordination contract: the same cases run against the embedded store and a real ZooKeeper
// server (see embedded.test.ts and zookeeper.test.ts). Anything ServerSets rely on is pinned here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZkAuthError, ZkError } from '../../src/errors.js';
import { digestId } from '../../src/zk/acl.js';
import {
  Perms,
  type Acl,
  type AuthInfo,
  type Coordination,
  type WatchEvent,
} from '../../src/zk/types.js';
import type { Backend } from '../helpers/backends.js';
import { nextEvent, waitFor, withDeadline } from '../helpers/wait.js';

export type { Backend } from '../helpers/backends.js';

function watchOnce(): { watcher: (e: WatchEvent) => void; fired: Promise<WatchEvent> } {
  let resolve!: (e: WatchEvent) => void;
  const fired = new Promise<WatchEvent>((r) => (resolve = r));
  return { watcher: (e) => resolve(e), fired };
}

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ZkError && e.reason === reason);
}

export function coordinationContract(name: string, makeBackend: () => Promise<Backend>): void {
  describe(`coordination contract: ${name}`, () => {
    let backend: Backend;
    const open: Coordination[] = [];
    let n = 0;
    const root = () => `/contract-${process.pid}-${++n}`;
    const connect = async (opts?: { auth?: AuthInfo[]; defaultAcl?: Acl[] }) => {
      const c = await backend.connect(opts);
      open.push(c);
      return c;
    };

    before(async () => {
      backend = await makeBackend();
    });
    after(async () => {
      for (const c of open) await c.close();
      await backend.cleanup();
    });

    test('create, read, list, set and remove nodes', async () => {
      const c = await connect();
      const r = root();
      assert.equal(await c.create(r, Buffer.from('x')), r);
      const { data, stat } = await c.getData(r);
      assert.equal(data.toString(), 'x');
      assert.equal(stat.version, 0);
      assert.equal(stat.ephemeralOwner, '0000000000000000');
      await c.create(`${r}/a`);
      await c.create(`${r}/b`, Buffer.from('bb'));
      assert.deepEqual((await c.getChildren(r)).sort(), ['a', 'b']);
      const st = await c.setData(`${r}/b`, Buffer.from('ccc'));
      assert.equal(st.version, 1);
      assert.equal(st.dataLength, 3);
      await rejectsWith(c.setData(`${r}/b`, Buffer.from('d'), 0), 'badVersion');
      await rejectsWith(c.create(`${r}/a`), 'nodeExists');
      await rejectsWith(c.create(`${r}/missing/child`), 'noNode');
      await rejectsWith(c.remove(r), 'notEmpty');
      await rejectsWith(c.getData(`${r}/zzz`), 'noNode');
      assert.equal(await c.exists(`${r}/zzz`), null);
      await c.remove(`${r}/a`);
      await rejectsWith(c.remove(`${r}/a`), 'noNode');
      assert.deepEqual(await c.getChildren(r), ['b']);
    });

    test('mkdirp creates missing parents with the given ACL and tolerates existing ones', async () => {
      const c = await connect();
      const r = root();
      await c.mkdirp(`${r}/x/y/z`);
      await c.mkdirp(`${r}/x/y/z`);
      assert.ok(await c.exists(`${r}/x/y/z`));
    });

    test('sequential nodes get a 10-digit counter; ephemeral nodes belong to the session', async () => {
      const c = await connect();
      const r = root();
      await c.create(r);
      const a = await c.create(`${r}/member_`, Buffer.from('1'), { mode: 'ephemeralSequential' });
      const b = await c.create(`${r}/member_`, Buffer.from('2'), { mode: 'ephemeralSequential' });
      assert.match(a, /\/member_\d{10}$/);
      assert.match(b, /\/member_\d{10}$/);
      assert.ok(Number(b.slice(-10)) > Number(a.slice(-10)));
      const st = await c.exists(a);
      assert.equal(st?.ephemeralOwner, c.sessionId);
      await rejectsWith(c.create(`${a}/child`), 'noChildrenForEphemerals');
    });

    test('watches: children, data, exists and deletion fire once', async () => {
      const c = await connect();
      const other = await connect();
      const r = root();
      await c.create(r);
      const child = watchOnce();
      assert.deepEqual(await c.getChildren(r, child.watcher), []);
      await other.create(`${r}/k`, Buffer.from('v1'));
      assert.deepEqual(await withDeadline(child.fired, 10000, 'the watch to fire'), {
        type: 'childrenChanged',
        path: r,
      });

      const data = watchOnce();
      await c.getData(`${r}/k`, data.watcher);
      await other.setData(`${r}/k`, Buffer.from('v2'));
      assert.deepEqual(await withDeadline(data.fired, 10000, 'the watch to fire'), {
        type: 'dataChanged',
        path: `${r}/k`,
      });

      const ex = watchOnce();
      assert.equal(await c.exists(`${r}/later`, ex.watcher), null);
      await other.create(`${r}/later`);
      assert.deepEqual(await withDeadline(ex.fired, 10000, 'the watch to fire'), {
        type: 'created',
        path: `${r}/later`,
      });

      const del = watchOnce();
      assert.ok(await c.exists(`${r}/later`, del.watcher));
      await other.remove(`${r}/later`);
      assert.deepEqual(await withDeadline(del.fired, 10000, 'the watch to fire'), {
        type: 'deleted',
        path: `${r}/later`,
      });

      // One-shot: a second change without re-arming is not delivered.
      let extra = 0;
      await c.getChildren(r, () => extra++);
      await other.create(`${r}/m1`);
      await other.create(`${r}/m2`);
      await waitFor('the one child event', () => extra === 1);
      await other.getChildren(r); // a round trip after both creates
      assert.equal(extra, 1);
    });

    test('close() removes the session’s ephemeral nodes and fires watches', async () => {
      const owner = await connect();
      const observer = await connect();
      const r = root();
      await owner.create(r);
      const eph = await owner.create(`${r}/e`, Buffer.alloc(0), { mode: 'ephemeral' });
      const w = watchOnce();
      await observer.exists(eph, w.watcher);
      await owner.close();
      assert.equal((await withDeadline(w.fired, 10000, 'the watch to fire')).type, 'deleted');
      assert.equal(await observer.exists(eph), null);
      assert.equal(owner.state, 'closed');
      await assert.rejects(
        owner.getChildren('/'),
        (e: unknown) => e instanceof ZkError && e.reason === 'closed',
      );
    });

    test('session expiry: ephemerals gone, a new session is opened and announced', async () => {
      const c = await connect();
      const observer = await connect();
      const r = root();
      await c.create(r);
      const eph = await c.create(`${r}/e`, Buffer.alloc(0), { mode: 'ephemeral' });
      const oldId = c.sessionId;
      const renewed = nextEvent(c, 'sessionRenewed', 30000);
      const expired = nextEvent(c, 'expired', 30000);
      const gone = watchOnce();
      await observer.exists(eph, gone.watcher);
      await backend.expire(c);
      await expired;
      await renewed;
      assert.equal(c.state, 'connected');
      assert.notEqual(c.sessionId, oldId);
      assert.equal((await withDeadline(gone.fired, 30000, 'the watch to fire')).type, 'deleted');
      assert.equal(await c.exists(eph), null);
      // The renewed session works, and its new ephemerals carry the new id.
      const again = await c.create(`${r}/e`, Buffer.alloc(0), { mode: 'ephemeral' });
      assert.equal((await c.exists(again))?.ephemeralOwner, c.sessionId);
    });

    test('ACL: digest-protected nodes refuse unauthenticated writers; the owner may delete', async () => {
      const auth = [{ scheme: 'digest', auth: 'alice:secret' }];
      const acl: Acl[] = [
        { scheme: 'digest', id: digestId('alice', 'secret'), perms: Perms.ALL },
        { scheme: 'world', id: 'anyone', perms: Perms.READ },
      ];
      const owner = await connect({ auth, defaultAcl: acl });
      const stranger = await connect();
      const r = root();
      await owner.create(r);
      const m = await owner.create(`${r}/member_`, Buffer.from('{}'), {
        mode: 'ephemeralSequential',
      });
      assert.deepEqual(
        (await owner.getAcl(m)).map((a) => `${a.scheme}:${a.id}:${a.perms}`).sort(),
        acl.map((a) => `${a.scheme}:${a.id}:${a.perms}`).sort(),
      );
      assert.equal((await stranger.getData(m)).data.toString(), '{}');
      await assert.rejects(
        stranger.remove(m),
        (e: unknown) => e instanceof ZkAuthError && e.reason === 'noAuth',
      );
      await assert.rejects(
        stranger.create(`${r}/intruder`),
        (e: unknown) => e instanceof ZkAuthError,
      );
      assert.ok(await stranger.exists(m));
      await owner.remove(m);
      assert.equal(await stranger.exists(m), null);
    });

    test('"auth" ACLs expand to the creator’s identity; without credentials they are invalid', async () => {
      const owner = await connect({ auth: [{ scheme: 'digest', auth: 'bob:pw' }] });
      const r = root();
      await owner.create(r, Buffer.alloc(0), {
        acl: [{ scheme: 'auth', id: '', perms: Perms.ALL }],
      });
      assert.deepEqual(await owner.getAcl(r), [
        { scheme: 'digest', id: digestId('bob', 'pw'), perms: Perms.ALL },
      ]);
      const anon = await connect();
      await rejectsWith(
        anon.create(`${root()}`, Buffer.alloc(0), {
          acl: [{ scheme: 'auth', id: '', perms: Perms.ALL }],
        }),
        'invalidAcl',
      );
    });

    test('server restart: the session survives, ephemerals stay, watches still fire', async () => {
      const c = await connect();
      const other = await connect();
      const r = root();
      await c.create(r);
      const eph = await c.create(`${r}/e`, Buffer.alloc(0), { mode: 'ephemeral' });
      const id = c.sessionId;
      const w = watchOnce();
      await c.getChildren(r, w.watcher);
      const disconnected = nextEvent(c, 'disconnected', 30000);
      const reconnected = (async () => {
        await disconnected;
        await nextEvent(c, 'connected', 60000);
      })();
      await backend.restart();
      await reconnected;
      await other.waitConnected(30000);
      assert.equal(c.sessionId, id);
      assert.ok(await c.exists(eph), 'ephemeral node kept across a short outage');
      await other.create(`${r}/new`);
      assert.equal(
        (await withDeadline(w.fired, 30000, 'the watch to fire')).type,
        'childrenChanged',
      );
    });
  });
}
