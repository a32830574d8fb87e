// A member that announces while requests flow takes requests within 1 s of announcing (the
// watcher's latency plus one pick); one that leaves stops getting them and its pool is closed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { startMember, startMembers, waitForMembers, type Member } from './members.js';

const path = '/aurora/www-data/prod/joining';
let zk: ZkServer;
const members: Member[] = [];
let client: BeaconClient | undefined;

before(async () => {
  zk = await ZkServer.start();
  members.push(...(await startMembers(2, { zk: zk.connectString, path })));
});
after(async () => {
  await client?.close();
  await Promise.all(members.map((m) => m.stop()));
  await zk?.stop();
});

test('a new member takes requests within 1 s of announcing; a leaving one stops', async () => {
  client = createClient(`zk2!${zk.connectString}!${path}`);
  await waitForMembers(client, members);
  const c = client;
  // Steady load, 4 in flight, bounded in count; stops when the test is done.
  let stop = false;
  let sent = 0;
  const errors: unknown[] = [];
  const loop = async () => {
    while (!stop && sent < 200000) {
      sent++;
      try {
        const res = await c.fetch('/steady');
        await res.text();
      } catch (e) {
        errors.push(e);
      }
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  try {
    // Announcer mode: the member listens before it announces, so its first request can come
    // right after the announcement.
    const joiner = await startMember({
      zk: zk.connectString,
      path,
      id: 'joiner',
      mode: 'announcer',
    });
    members.push(joiner);
    const announcedAt = joiner.announcedAt!;
    await waitFor(
      'the new member to take a request within 1 s of announcing',
      () => joiner.count() > 0,
      Math.max(1, 1000 - (performance.now() - announcedAt)),
      5,
    );
    const first = joiner.hits[0]!.at - announcedAt;
    assert.ok(first < 1000, `first request ${first.toFixed(0)} ms after announcing`);

    // Leaving: an orderly stop deannounces; the client drops the member and sends elsewhere.
    const leaver = members[0]!;
    await leaver.stop();
    await waitFor('client to drop the member that left', () =>
      c.members().every((m) => m.port !== leaver.port),
    );
    const before = members[1]!.count() + joiner.count();
    await waitFor('requests keep flowing to the others', () =>
      members[1]!.count() + joiner.count() > before + 50 ? true : undefined,
    );
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  // Requests in flight on the leaver when it exited may fail only if not retryable; GETs are.
  assert.equal(errors.length, 0, `${errors.length} failed: ${String(errors[0])}`);
});
