// Balancing over three members announced by the sidecar: p2c peak-EWMA spreads 900 GETs with 8 in
// flight so that each member gets at least a fifth (peak-EWMA reacts to latency noise, so not an
// exact third); round-robin gives each exactly a third; the fetch, url()+dispatcher, members()
// and metrics APIs all work on the same client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, type Dispatcher } from 'undici';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { describeErrors, runLoad } from './load.js';
import { startMembers, waitForMembers, type Member } from './members.js';

describe('client balancing (real ZooKeeper, sidecar-announced members)', () => {
  const path = '/aurora/www-data/prod/api';
  let zk: ZkServer;
  let members: Member[] = [];
  const clients: BeaconClient[] = [];

  before(async () => {
    zk = await ZkServer.start();
    members = await startMembers(3, { zk: zk.connectString, path });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(members.map((m) => m.stop()));
    await zk?.stop();
  });

  const hitsSince = (before: number[]) => members.map((m, i) => m.count() - before[i]!);

  test('p2c-ewma: each of 3 members gets at least a fifth of 900 GETs with 8 in flight', async () => {
    const client = createClient(`zk2!${zk.connectString}!${path}`);
    clients.push(client);
    await waitForMembers(client, members);
    const before = members.map((m) => m.count());
    const r = await runLoad(900, 8, async (i) => {
      const res = await client.fetch(`/v1/items?i=${i}`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^m\d$/);
    });
    assert.equal(r.errors.length, 0, describeErrors(r.errors));
    await waitFor('every hit reported', () => hitsSince(before).reduce((a, b) => a + b) === 900);
    const got = hitsSince(before);
    for (const [i, n] of got.entries()) assert.ok(n >= 180, `member ${i} got ${n} of 900: ${got}`);

    const text = await client.registry.metrics();
    assert.match(text, new RegExp(`beacon_client_requests_total\\{client="${path}"\\} 900`));
    assert.match(text, /beacon_client_retries_total\{client="[^"]+"\} 0/);
    assert.match(text, /beacon_client_members\{client="[^"]+",state="alive"\} 3/);
    const snapshot = client.members();
    assert.equal(snapshot.length, 3);
    for (const m of snapshot) {
      assert.equal(m.state, 'alive');
      assert.equal(m.outstanding, 0);
      assert.ok(m.latencyMs > 0, `latency of ${m.address}`);
      assert.equal(m.nodes.length, 1);
      assert.match(m.nodes[0]!, /member_\d{10}$/);
    }
    assert.equal(
      snapshot.reduce((a, m) => a + m.requests, 0),
      900,
    );
  });

  test('round-robin through undici.request + dispatcher: exactly a third each', async () => {
    const client = createClient(`zk!${zk.connectString}!${path}`, { balancer: 'round-robin' });
    clients.push(client);
    await waitForMembers(client, members);
    const before = members.map((m) => m.count());
    const r = await runLoad(900, 8, async () => {
      const res = await request(client.url('/v1/items'), { dispatcher: client.dispatcher });
      assert.equal(res.statusCode, 200);
      await res.body.text();
    });
    assert.equal(r.errors.length, 0, describeErrors(r.errors));
    await waitFor('every hit reported', () => hitsSince(before).reduce((a, b) => a + b) === 900);
    assert.deepEqual(hitsSince(before), [300, 300, 300]);
  });

  test('the dispatcher composes with undici interceptors (controller-style handlers)', async () => {
    const client = createClient(`zk2!${zk.connectString}!${path}`);
    clients.push(client);
    await waitForMembers(client, members);
    let seen = 0;
    const counting: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
      seen++;
      return dispatch(opts, handler);
    };
    const composed = client.dispatcher.compose(counting);
    for (let i = 0; i < 3; i++) {
      const res = await request(client.url('/composed'), { dispatcher: composed });
      assert.equal(res.statusCode, 200);
      assert.match(await res.body.text(), /^m\d$/);
    }
    const res = await client.fetch('/composed-fetch', { dispatcher: composed });
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(seen, 4);
  });

  test('the dispatcher refuses other origins instead of bypassing the balancer', async () => {
    const client = createClient(`zk2!${zk.connectString}!${path}`);
    clients.push(client);
    await assert.rejects(
      request(`http://127.0.0.1:${members[0]!.port}/`, { dispatcher: client.dispatcher }),
      { code: 'UND_ERR_INVALID_ARG', message: /client\.url/ },
    );
  });
});
