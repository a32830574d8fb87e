// A member that resets every connection mid-request (after reading the request, before any
// response byte): a POST that reached it is not retried — the caller gets the reset — while a
// GET is retried on the other member and succeeds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { startMember, waitForMembers, type Member } from './members.js';

describe('a member that resets mid-request (real ZooKeeper, sidecar-announced members)', () => {
  const path = '/aurora/www-data/prod/reset';
  let zk: ZkServer;
  let resetter: Member;
  let good: Member;
  const clients: BeaconClient[] = [];

  before(async () => {
    zk = await ZkServer.start();
    resetter = await startMember({ zk: zk.connectString, path, id: 'reset', reset: true });
    good = await startMember({ zk: zk.connectString, path, id: 'good' });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([resetter, good].map((m) => m?.stop()));
    await zk?.stop();
  });

  const client = async () => {
    const c = createClient(`zk2!${zk.connectString}!${path}`, { balancer: 'round-robin' });
    clients.push(c);
    await waitForMembers(c, [resetter, good]);
    return c;
  };

  test('a POST to a member that resets mid-request is not retried', async () => {
    const c = await client();
    const errors: Array<Error & { cause?: { code?: string } }> = [];
    let ok = 0;
    for (let i = 0; i < 6; i++) {
      try {
        const res = await c.fetch('/orders', { method: 'POST', body: `order ${i}` });
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'good');
        ok++;
      } catch (e) {
        errors.push(e as Error & { cause?: { code?: string } });
      }
    }
    await waitFor('every POST reported', () => resetter.count('POST') + good.count('POST') === 6);
    // Round-robin alternates: three POSTs reached the resetting member and failed, and none of
    // them was sent again (six POSTs, six arrivals in all).
    assert.equal(errors.length, 3);
    assert.equal(resetter.count('POST'), 3);
    assert.equal(good.count('POST'), ok);
    for (const e of errors) assert.match(String(e.cause?.code), /ECONNRESET|UND_ERR_SOCKET/);
    const text = await c.registry.metrics();
    assert.match(text, /beacon_client_retries_total\{[^}]*\} 0/);
  });

  test('a GET that meets the reset is retried on the other member', async () => {
    const c = await client();
    const before = resetter.count('GET');
    for (let i = 0; i < 6; i++) {
      const res = await request(c.url('/orders/1'), { dispatcher: c.dispatcher });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'good');
    }
    assert.ok(resetter.count('GET') - before >= 1, 'some GETs reached the resetting member');
  });
});
