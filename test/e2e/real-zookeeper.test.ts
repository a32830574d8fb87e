// The devcluster against a real ZooKeeper (Debian's package) with `--zk`: the executor announces
// there; and with a ZooKeeper that is not reachable, tasks fail after the start-up bound, as
// Aurora's executor does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer, zookeeperInstalled } from '../helpers/zookeeper.js';
import {
  jobStatus,
  members,
  startDevclusterProc,
  waitRunning,
  zkClient,
} from './devcluster-proc.js';

test(
  'with --zk the example job is announced into a real ZooKeeper',
  { skip: !zookeeperInstalled() && 'ZooKeeper is not installed' },
  async () => {
    const zk = await ZkServer.start();
    const dc = await startDevclusterProc({ extra: ['--zk', zk.connectString] });
    const client = await zkClient(zk.connectString);
    try {
      assert.match(
        dc.output(),
        new RegExp(`ZooKeeper\\s+${zk.connectString.replace(/\./g, '\\.')}`),
      );
      const inst = await waitRunning(dc.masterUrl, 2);
      const ms = await waitFor('two members in the real ZooKeeper', async () => {
        const m = await members(client);
        return m.length === 2 ? m : undefined;
      });
      assert.deepEqual(
        ms
          .map(
            (m) => `${m.data.shard}:${m.data.serviceEndpoint.host}:${m.data.serviceEndpoint.port}`,
          )
          .sort(),
        inst.map((i) => `${i.instance}:${i.host}:${i.ports!.http}`).sort(),
      );
      assert.equal(await dc.stop(), 0);
      // Deannounced on the way out.
      await waitFor('no members after SIGTERM', async () => (await members(client)).length === 0);
    } finally {
      await client.close();
      await dc.stop();
      await zk.stop();
    }
  },
);

test('a ZooKeeper unreachable past the start-up bound fails the task', async () => {
  const dead = await freePort(); // nothing listens there
  const dc = await startDevclusterProc({
    extra: ['--zk', `127.0.0.1:${dead}`, '--zk-startup-timeout', '1'],
  });
  try {
    const failed = await waitFor(
      'a task failed for ZooKeeper',
      async () => {
        const v = await jobStatus(dc.masterUrl);
        return (
          v?.find((i) => /Failed to announce .*ZooKeeper.* within 1 s/.test(i.message ?? '')) ??
          undefined
        );
      },
      20000,
      100,
    );
    assert.match(
      failed.message!,
      /^restarting in .* after: Failed to announce \/aurora\/vagrant\/test\/http_example: /,
    );
    assert.equal(failed.status, 'THROTTLED');
  } finally {
    await dc.stop();
  }
});
