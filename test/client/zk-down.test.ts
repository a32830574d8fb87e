// ZooKeeper stopped: the client keeps the last known members (stale, never empty) and requests
// keep succeeding on them; once ZooKeeper is back the view is fresh again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { describeErrors, runLoad } from './load.js';
import { startMembers, waitForMembers, type Member } from './members.js';

const path = '/aurora/www-data/prod/zkdown';
let zk: ZkServer;
let members: Member[] = [];
let client: BeaconClient | undefined;

before(async () => {
  zk = await ZkServer.start();
  members = await startMembers(3, { zk: zk.connectString, path });
});
after(async () => {
  await client?.close();
  await Promise.all(members.map((m) => m.stop()));
  await zk?.stop();
});

test('ZooKeeper stopped: requests keep succeeding on the known members', async () => {
  client = createClient(`zk2!${zk.connectString}!${path}`);
  const c = client;
  await waitForMembers(c, members);
  assert.equal(c.stale, false);
  await zk.kill();
  await waitFor('the client to notice ZooKeeper is gone', () => c.stale, 30000);
  const before = members.map((m) => m.count());
  const r = await runLoad(300, 8, async () => {
    const res = await c.fetch('/while-zk-is-down');
    assert.equal(res.status, 200);
    await res.text();
  });
  assert.equal(r.errors.length, 0, describeErrors(r.errors));
  assert.equal(c.members().length, 3);
  await waitFor('hits reported', () =>
    members.reduce((a, m, i) => a + m.count() - before[i]!, 0) === 300 ? true : undefined,
  );
  for (const [i, m] of members.entries())
    assert.ok(m.count() - before[i]! > 0, `member ${m.id} still takes requests`);

  await zk.resume();
  await waitFor('fresh again once ZooKeeper is back', () => !c.stale, 60000);
  assert.equal(c.members().length, 3);
});
