// ServerSet liveness cases shared by both coordination backends: announcer + watcher through
// session expiry, server restart, deleted members, poison members and ACLs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZkAuthError } from '../../src/errors.js';
import type { ServiceInstance } from '../../src/model/service-instance.js';
import { Announcer } from '../../src/serverset/announcer.js';
import { encodeJson } from '../../src/serverset/codec.js';
import { encodeThrift } from '../../src/serverset/thrift.js';
import { ServersetWatcher, type MemberSetChange } from '../../src/serverset/watcher.js';
import { digestId } from '../../src/zk/acl.js';
import { Perms, type Acl, type Coordination } from '../../src/zk/types.js';
import { waitFor, withDeadline } from '../helpers/wait.js';
import type { Backend } from '../helpers/backends.js';

export function instance(port: number, shard?: number): ServiceInstance {
  return {
    serviceEndpoint: { host: '127.0.0.1', port },
    additionalEndpoints: {
      http: { host: '127.0.0.1', port },
      health: { host: '127.0.0.1', port: port + 1 },
    },
    status: 'ALIVE',
    ...(shard !== undefined ? { shard } : {}),
  };
}

const ports = (w: ServersetWatcher) =>
  w
    .members()
    .map((m) => m.endpoint.port)
    .sort();

export function serversetLiveness(name: string, makeBackend: () => Promise<Backend>): void {
  describe(`ServerSet liveness: ${name}`, () => {
    let backend: Backend;
    const sessions: Coordination[] = [];
    const cleanups: Array<() => void | Promise<void>> = [];
    let n = 0;
    const root = () => `/ss-${process.pid}-${++n}/role/env/job`;
    const connect = async (opts?: {
      auth?: Array<{ scheme: string; auth: string }>;
      defaultAcl?: Acl[];
    }) => {
      const c = await backend.connect(opts);
      sessions.push(c);
      return c;
    };
    const watch = async (
      session: Coordination,
      path: string,
      opts: { endpoint?: string; shard?: number; removalGraceMs?: number } = {},
    ) => {
      const w = new ServersetWatcher({ session, path, ...opts });
      cleanups.push(() => w.stop());
      await withDeadline(
        w.start(),
        30000,
        `the first sync of ${path}`,
        () => `session=${session.state}`,
      );
      return w;
    };

    before(async () => {
      backend = await makeBackend();
    });
    after(async () => {
      for (const c of cleanups) await c();
      for (const s of sessions) await s.close();
      await backend.cleanup();
    });

    test('announce writes one member_ node with the exact JSON bytes; leave deletes it', async () => {
      const s = await connect();
      const path = root();
      const a = new Announcer({ session: s, path, instance: instance(31000, 0) });
      const member = await a.join();
      assert.match(member, new RegExp(`^${path}/member_\\d{10}$`));
      const { data, stat } = await s.getData(member);
      assert.deepEqual(data, encodeJson(instance(31000, 0)));
      assert.equal(stat.ephemeralOwner, s.sessionId);
      assert.equal(stat.version, 0, 'never setData');
      await a.leave();
      assert.equal(await s.exists(member), null);
      assert.deepEqual(await s.getChildren(path), []);
    });

    test('watcher: ALIVE members only, endpoint by name, shard filter, non-member children ignored', async () => {
      const writer = await connect();
      const reader = await connect();
      const path = root();
      const a0 = new Announcer({ session: writer, path, instance: instance(31000, 0) });
      const a1 = new Announcer({ session: writer, path, instance: instance(31010, 1) });
      await a0.join();
      await a1.join();
      await writer.create(`${path}/vector_0000000001`, Buffer.from('weights'));
      await writer.create(`${path}/member_`, encodeJson({ ...instance(31020), status: 'DEAD' }), {
        mode: 'ephemeralSequential',
      });
      const all = await watch(reader, path);
      assert.deepEqual(ports(all), [31000, 31010]);
      const health = await watch(reader, path, { endpoint: 'health' });
      assert.deepEqual(ports(health), [31001, 31011]);
      const shard1 = await watch(reader, path, { shard: 1 });
      assert.deepEqual(ports(shard1), [31010]);
      const none = await watch(reader, path, { endpoint: 'nope' });
      assert.deepEqual(ports(none), []);

      const changes: MemberSetChange[] = [];
      all.on('change', (c) => changes.push(c));
      await a0.leave();
      await waitFor('leave seen', () => ports(all).length === 1);
      assert.deepEqual(
        changes.at(-1)!.left.map((m) => m.endpoint.port),
        [31000],
      );
      const a2 = new Announcer({ session: writer, path, instance: instance(31030, 2) });
      await a2.join();
      await waitFor('join seen', () => ports(all).includes(31030));
      assert.deepEqual(
        changes.at(-1)!.joined.map((m) => m.endpoint.port),
        [31030],
      );
    });

    test('a ServerSet path that does not exist yet is an empty set, filled when members come', async () => {
      const s = await connect();
      const path = root();
      const w = await watch(s, path);
      assert.deepEqual(w.members(), []);
      assert.equal(w.stale, false);
      const a = new Announcer({ session: s, path, instance: instance(32000) });
      await a.join();
      await waitFor('member after the path appears', () => ports(w).length === 1);
    });

    test('poison members are skipped and counted, the rest still resolve', async () => {
      const s = await connect();
      const path = root();
      await s.mkdirp(path);
      const poison = [
        Buffer.from('garbage'),
        // A byte-order mark is not JSON whitespace (whitespace-led JSON is read; see codec tests).
        Buffer.from(
          '\ufeff{"serviceEndpoint":{"host":"a","port":1},"additionalEndpoints":{},"status":"ALIVE"}',
        ),
        Buffer.from('{"serviceEndpoint":{"host":"a"},"additionalEndpoints":{},"status":"ALIVE"}'),
        Buffer.from('{"serviceEndpoint":'),
        Buffer.from([0x0c, 0x00, 0x01, 0x0b, 0xff, 0xff]),
      ];
      for (const p of poison)
        await s.create(`${path}/member_`, p, { mode: 'persistentSequential' });
      await s.create(`${path}/member_`, encodeJson({ ...instance(1), status: 'DEAD' }), {
        mode: 'persistentSequential',
      });
      await s.create(`${path}/member_`, encodeThrift(instance(33000, 3)), {
        mode: 'persistentSequential',
      });
      await new Announcer({ session: s, path, instance: instance(33010, 4) }).join();
      const w = await watch(s, path);
      assert.deepEqual(ports(w), [33000, 33010], 'Thrift and JSON members both resolve');
      assert.equal(w.stats.skipped, poison.length);
    });

    test('own node deleted by someone else → re-joined with a new node', async () => {
      const owner = await connect();
      const other = await connect();
      const path = root();
      const a = new Announcer({ session: owner, path, instance: instance(34000) });
      const first = await a.join();
      const rejoined = new Promise<string>((r) => a.once('joined', r));
      await other.remove(first);
      const second = await rejoined;
      assert.notEqual(second, first);
      assert.ok(await other.exists(second));
      assert.deepEqual((await other.getChildren(path)).length, 1);
      await a.leave();
    });

    test('session expiry → the member comes back as a new node; a watcher never sees an empty set', async () => {
      const owner = await connect();
      const reader = await connect();
      const path = root();
      const a = new Announcer({ session: owner, path, instance: instance(35000) });
      const first = await a.join();
      // The grace must outlast the re-join: a new session and a create, which under CPU load
      // (two burners on two cores) have taken over 5 s.
      const w = await watch(reader, path, { removalGraceMs: 30000 });
      const sizes: number[] = [];
      w.on('change', (c) => sizes.push(c.members.length));
      const rejoined = new Promise<string>((r) => a.once('joined', r));
      await backend.expire(owner);
      const second = await rejoined;
      assert.notEqual(second, first);
      await waitFor('watcher sees the new node', () =>
        w.members().some((m) => `${path}/${m.name}` === second),
      );
      assert.deepEqual(ports(w), [35000]);
      assert.equal((await reader.getChildren(path)).length, 1, 'exactly one member');
      // The reader's own session expiring: the set is kept and resynced, never published empty.
      const before = w.members();
      await backend.expire(reader);
      await waitFor(
        'watcher resynced after its session expired',
        () => !w.stale && reader.state === 'connected',
      );
      assert.deepEqual(
        w.members().map((m) => m.name),
        before.map((m) => m.name),
      );
      assert.ok(
        !sizes.includes(0),
        `one continuous set (published sizes ${JSON.stringify(sizes)})`,
      );
      await a.leave();
    });

    test('server restart → members stay, watchers go stale with the last set, then resync', async () => {
      const owner = await connect();
      const reader = await connect();
      const path = root();
      const a = new Announcer({ session: owner, path, instance: instance(36000) });
      await a.join();
      const w = await watch(reader, path);
      const published: number[] = [];
      w.on('change', (c) => published.push(c.members.length));
      let wentStale = false;
      let staleSet: number[] = [];
      w.on('stale', () => {
        wentStale = true;
        staleSet = ports(w);
      });
      await backend.restart();
      await waitFor('stale, then fresh again', () => wentStale && !w.stale, 30000).catch(
        (e: Error) => {
          throw new Error(
            `${e.message} (wentStale=${wentStale}, stale=${w.stale}, reader=${reader.state}, owner=${owner.state}, members=${JSON.stringify(ports(w))})`,
          );
        },
      );
      assert.deepEqual(staleSet, [36000], 'the last known set is kept while stale');
      assert.deepEqual(ports(w), [36000]);
      const b = new Announcer({ session: owner, path, instance: instance(36010) });
      await withDeadline(b.join(), 30000, 'a join after the restart', () => `owner=${owner.state}`);
      await waitFor('new member after restart', () => ports(w).length === 2, 30000);
      assert.ok(
        !published.includes(0),
        `never published an empty set (saw ${JSON.stringify(published)})`,
      );
    });

    test('ACL: an unauthenticated client cannot delete an announced member', async () => {
      const acl: Acl[] = [
        { scheme: 'digest', id: digestId('svc', 'pw'), perms: Perms.ALL },
        { scheme: 'world', id: 'anyone', perms: Perms.READ },
      ];
      const owner = await connect({ auth: [{ scheme: 'digest', auth: 'svc:pw' }] });
      const stranger = await connect();
      const path = root();
      const a = new Announcer({ session: owner, path, instance: instance(37000), acl });
      const member = await a.join();
      await assert.rejects(stranger.remove(member), (e: unknown) => e instanceof ZkAuthError);
      // Parents carry the same ACL: strangers cannot add members either.
      await assert.rejects(
        stranger.create(`${path}/member_`, encodeJson(instance(1)), {
          mode: 'ephemeralSequential',
        }),
        (e: unknown) => e instanceof ZkAuthError,
      );
      const w = await watch(stranger, path);
      assert.deepEqual(ports(w), [37000], 'world-readable members still resolve');
      await a.leave();
    });

    test('a join refused by ACL is reported, not swallowed', async () => {
      const locker = await connect({ auth: [{ scheme: 'digest', auth: 'root:pw' }] });
      const path = root();
      await locker.mkdirp(path, [
        { scheme: 'digest', id: digestId('root', 'pw'), perms: Perms.ALL },
        { scheme: 'world', id: 'anyone', perms: Perms.READ },
      ]);
      const intruder = await connect();
      const a = new Announcer({ session: intruder, path, instance: instance(38000) });
      await assert.rejects(
        a.join(),
        (e: unknown) => e instanceof ZkAuthError && /NoAuth/.test(e.message),
      );
    });
  });
}
