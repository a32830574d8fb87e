// With no members a request waits up to its timeout for one: it fails with BEACON_E_NO_MEMBERS
// after the timeout, or is sent as soon as a member announces within it. An unreachable
// ZooKeeper at creation does not throw; requests fail the same coded way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { freePort } from '../helpers/net.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { startMember, type Member } from './members.js';

describe('no members (real ZooKeeper)', () => {
  let zk: ZkServer;
  const members: Member[] = [];
  const clients: BeaconClient[] = [];

  before(async () => {
    zk = await ZkServer.start();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(members.map((m) => m.stop()));
    await zk?.stop();
  });

  test('an empty ServerSet: BEACON_E_NO_MEMBERS after the request timeout', async () => {
    const client = createClient(`zk2!${zk.connectString}!/aurora/www-data/prod/empty`, {
      requestTimeoutMs: 1500,
    });
    clients.push(client);
    const t0 = performance.now();
    await assert.rejects(request(client.url('/x'), { dispatcher: client.dispatcher }), (e) => {
      assert.equal((e as { code?: string }).code, 'BEACON_E_NO_MEMBERS');
      assert.match((e as Error).message, /no ALIVE members/);
      return true;
    });
    // It waited for its whole timeout (a timer cannot fire early), not failing at once.
    assert.ok(performance.now() - t0 >= 1450, `failed after ${performance.now() - t0} ms`);
    // fetch wraps it as the cause of its TypeError.
    await assert.rejects(client.fetch('/x'), (e) => {
      assert.equal((e as { cause?: { code?: string } }).cause?.code, 'BEACON_E_NO_MEMBERS');
      return true;
    });
  });

  test('a waiting request is sent when a member announces within its timeout', async () => {
    const path = '/aurora/www-data/prod/late';
    const client = createClient(`zk2!${zk.connectString}!${path}`, { requestTimeoutMs: 60000 });
    clients.push(client);
    const pending = client.fetch('/late');
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    // The request is parked, not failed, while the set is empty.
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false);
    members.push(await startMember({ zk: zk.connectString, path, id: 'late' }));
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'late');
  });

  test('an unreachable ZooKeeper: createClient does not throw; requests fail coded', async () => {
    const port = await freePort();
    const client = createClient(`zk2!127.0.0.1:${port}!/aurora/x`, {
      requestTimeoutMs: 800,
      zkConnectTimeoutMs: 300,
    });
    clients.push(client);
    await assert.rejects(request(client.url('/'), { dispatcher: client.dispatcher }), (e) => {
      assert.equal((e as { code?: string }).code, 'BEACON_E_NO_MEMBERS');
      assert.match((e as Error).message, /not been read from ZooKeeper/);
      return true;
    });
    assert.equal(client.stale, true);
  });
});
