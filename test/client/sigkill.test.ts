// A member SIGKILLed during 1,000 sequential GETs — server and ZooKeeper session die together, so
// its ephemeral node stays until the session times out and the client keeps seeing it — costs no
// request: the attempts it refuses are retried on the others, and failure accrual marks it dead.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { describeErrors } from './load.js';
import { startMembers, waitForMembers, type Member } from './members.js';

const path = '/aurora/www-data/prod/killed';
let zk: ZkServer;
let members: Member[] = [];
let created: BeaconClient | undefined;

before(async () => {
  zk = await ZkServer.start();
  // Announcer mode: one process holds both the HTTP server and the ZooKeeper session. A 20 s
  // session outlives the run, so the dead member stays in the ServerSet throughout.
  members = await startMembers(3, {
    zk: zk.connectString,
    path,
    mode: 'announcer',
    sessionTimeoutMs: 20000,
  });
});
after(async () => {
  await created?.close();
  await Promise.all(members.map((m) => m.stop()));
  await zk?.stop();
});

test('one member SIGKILLed during 1,000 sequential GETs: 0 failed requests', async () => {
  const client = createClient(`zk2!${zk.connectString}!${path}`);
  created = client;
  await waitForMembers(client, members);
  let victim = members[1]!;
  const errors: unknown[] = [];
  let stillListed = false;
  for (let i = 0; i < 1000; i++) {
    if (i === 300) {
      // Kill the member p2c likes best (lowest load), so the next picks do try it: a member
      // whose peak-EWMA a stall on a loaded machine had raised could be left alone until its
      // session expired, and then there would be nothing to retry.
      const best = client.members().reduce((a, b) => (b.load < a.load ? b : a));
      victim = members.find((m) => m.port === best.port) ?? victim;
      await victim.kill();
      stillListed = client.members().some((m) => m.port === victim.port);
    }
    try {
      const res = await client.fetch(`/seq/${i}`);
      assert.equal(res.status, 200);
      await res.text();
    } catch (e) {
      errors.push(e);
    }
  }
  assert.equal(errors.length, 0, `${errors.length} failed: ${describeErrors(errors)}`);
  assert.ok(stillListed, 'the killed member was still in the ServerSet when it died');
  assert.ok(victim.count() > 0 && victim.count() <= 300, `victim got ${victim.count()}`);
  const text = await client.registry.metrics();
  const retries = Number(/beacon_client_retries_total\{[^}]*\} (\d+)/.exec(text)?.[1]);
  const ejections = Number(/beacon_client_ejections_total\{[^}]*\} (\d+)/.exec(text)?.[1]);
  assert.ok(retries >= 1, `retries ${retries}`);
  assert.ok(ejections >= 1, `the dead member was ejected (ejections ${ejections})`);
  const dead = client.members().find((m) => m.port === victim.port);
  if (dead) assert.notEqual(dead.state, 'alive');
});
