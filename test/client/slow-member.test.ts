// One member answering 200 ms slower: p2c peak-EWMA sends it under 10 % of the requests, while
// round-robin (the control, same members) still sends it a third.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type BeaconClient, type ClientOptions } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { describeErrors, runLoad } from './load.js';
import { startMember, waitForMembers, type Member } from './members.js';

describe('a slow member (real ZooKeeper, sidecar-announced members)', () => {
  const path = '/aurora/www-data/prod/slow';
  let zk: ZkServer;
  const members: Member[] = [];
  const clients: BeaconClient[] = [];

  before(async () => {
    zk = await ZkServer.start();
    const zkc = zk.connectString;
    members.push(await startMember({ zk: zkc, path, id: 'fast0' }));
    members.push(await startMember({ zk: zkc, path, id: 'fast1' }));
    members.push(await startMember({ zk: zkc, path, id: 'slow', delayMs: 200 }));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(members.map((m) => m.stop()));
    await zk?.stop();
  });

  async function share(
    options: ClientOptions,
    total: number,
    inFlight: number,
  ): Promise<{ share: number; view: string }> {
    const client = createClient(`zk2!${zk.connectString}!${path}`, options);
    clients.push(client);
    await waitForMembers(client, members);
    const slow = members[2]!;
    const before = members.reduce((a, m) => a + m.count(), 0);
    const slowBefore = slow.count();
    const r = await runLoad(total, inFlight, async () => {
      const res = await client.fetch('/work');
      assert.equal(res.status, 200);
      await res.text();
    });
    assert.equal(r.errors.length, 0, describeErrors(r.errors));
    await waitFor(
      'every hit reported',
      () => members.reduce((a, m) => a + m.count(), 0) - before === total,
    );
    const share = (slow.count() - slowBefore) / total;
    const view = client
      .members()
      .map((m) => `${m.port}: ${m.latencyMs.toFixed(1)} ms, ${m.requests} req`)
      .join('; ');
    return { share, view };
  }

  test('p2c-ewma: the slow member gets under 10 % of 600 GETs', async () => {
    // Two in flight: with more, on a small shared machine the fast members' own queueing (CPU
    // starvation of the member processes) inflates their latency × outstanding past the slow
    // one's, which is p2c-peak-EWMA working as designed but not what this test is about.
    const { share: s, view } = await share({ balancer: 'p2c-ewma' }, 600, 2);
    assert.ok(s < 0.1, `slow member share ${(s * 100).toFixed(1)} % (${view})`);
  });

  test('control: round-robin sends it a third', async () => {
    const { share: s, view } = await share({ balancer: 'round-robin' }, 150, 8);
    assert.ok(s > 0.3, `slow member share ${(s * 100).toFixed(1)} % (${view})`);
  });
});
