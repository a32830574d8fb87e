// Every name form `beacon serverset` accepts, with endpoint and shard selection: the client sends
// to exactly the endpoints the name selects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type BeaconClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { startMember, type Member } from './members.js';

describe('client name forms (real ZooKeeper, sidecar-announced members with shards)', () => {
  const path = '/aurora/www-data/prod/sharded';
  let zk: ZkServer;
  const members: Member[] = [];
  const clients: BeaconClient[] = [];

  before(async () => {
    zk = await ZkServer.start();
    for (let shard = 0; shard < 3; shard++) {
      members.push(
        await startMember({ zk: zk.connectString, path, id: `s${shard}`, shard, admin: true }),
      );
    }
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(members.map((m) => m.stop()));
    await zk?.stop();
  });

  const hosts = () => zk.connectString;
  const cases: Array<[string, () => string, (m: Member) => number | undefined]> = [
    ['zk!HOSTS!/path', () => `zk!${hosts()}!${path}`, (m) => m.port],
    ['zk!HOSTS!/path!endpoint', () => `zk!${hosts()}!${path}!admin`, (m) => m.adminPort],
    [
      'zk!HOSTS!/path!shard!endpoint',
      () => `zk!${hosts()}!${path}!1!admin`,
      (m) => (m.id === 's1' ? m.adminPort : undefined),
    ],
    ['zk2!HOSTS!/path!endpoint', () => `zk2!${hosts()}!${path}!http`, (m) => m.port],
    [
      'zk2!HOSTS#HOSTS!/path (ensembles merged)',
      () => `zk2!${hosts()}#${hosts()}!${path}`,
      (m) => m.port,
    ],
    [
      '/$/com.twitter.serverset/HOSTS/path:endpoint#shard',
      () => `/$/com.twitter.serverset/${hosts()}${path}:admin#2`,
      (m) => (m.id === 's2' ? m.adminPort : undefined),
    ],
    [
      '/$/com.twitter.serverset/HOSTS/path#shard',
      () => `/$/com.twitter.serverset/${hosts()}${path}#0`,
      (m) => (m.id === 's0' ? m.port : undefined),
    ],
  ];

  for (const [form, name, expect] of cases) {
    test(form, async () => {
      const client = createClient(name(), { balancer: 'round-robin' });
      clients.push(client);
      const want = members
        .map(expect)
        .filter((p): p is number => p !== undefined)
        .sort();
      await waitFor(
        `members ${want}`,
        () =>
          JSON.stringify(
            client
              .members()
              .map((m) => m.port)
              .sort(),
          ) === JSON.stringify(want),
        30000,
      );
      const marker = `/form-${encodeURIComponent(form)}`;
      for (let i = 0; i < want.length * 2; i++) {
        const res = await client.fetch(marker);
        assert.equal(res.status, 200);
        await res.text();
      }
      await waitFor('hits reported', () =>
        members.flatMap((m) => m.hits).filter((h) => h.path === marker).length === want.length * 2
          ? true
          : undefined,
      );
      const ports = new Set(
        members
          .flatMap((m) => m.hits)
          .filter((h) => h.path === marker)
          .map((h) => h.port),
      );
      assert.deepEqual([...ports].sort(), want);
      await client.close();
    });
  }
});
