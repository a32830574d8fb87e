// A member in the ServerSet that refuses connections (announced, nothing listening): a POST that
// never reached it is retried on another member and succeeds; with the retry budget at zero the
// refusal is returned instead and counted as budget exhausted.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createClient, type BeaconClient, type ClientOptions } from '../../src/client/index.js';
import { encodeJson } from '../../src/serverset/codec.js';
import { ZkSession } from '../../src/zk/session.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';
import { startMember, waitForMembers, type Member } from './members.js';

describe('a member that refuses connections (real ZooKeeper)', () => {
  const path = '/aurora/www-data/prod/ghost';
  let zk: ZkServer;
  let session: ZkSession;
  let good: Member;
  let ghostPort: number;
  const clients: BeaconClient[] = [];
  let revived: Server | undefined;

  before(async () => {
    zk = await ZkServer.start();
    good = await startMember({ zk: zk.connectString, path, id: 'good' });
    // Announced exactly as a member would be, on a port where nothing listens.
    ghostPort = await freePort();
    session = new ZkSession(zk.connectString);
    await session.waitConnected(15000);
    const endpoint = { host: '127.0.0.1', port: ghostPort };
    await session.create(
      `${path}/member_`,
      encodeJson({ serviceEndpoint: endpoint, additionalEndpoints: {}, status: 'ALIVE' }),
      { mode: 'ephemeralSequential' },
    );
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await session?.close();
    if (revived) await new Promise((r) => revived!.close(r));
    await good?.stop();
    await zk?.stop();
  });

  const client = async (options: ClientOptions) => {
    const c = createClient(`zk2!${zk.connectString}!${path}`, options);
    clients.push(c);
    await waitForMembers(c, [good, { port: ghostPort } as Member]);
    return c;
  };

  test('a POST that was never sent (connection refused) is retried on another member', async () => {
    const c = await client({ balancer: 'round-robin' });
    const before = good.count('POST');
    for (let i = 0; i < 4; i++) {
      const res = await c.fetch('/orders', { method: 'POST', body: `order ${i}` });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'good');
    }
    assert.equal(good.count('POST') - before, 4);
    const text = await c.registry.metrics();
    const retries = Number(/beacon_client_retries_total\{[^}]*\} (\d+)/.exec(text)?.[1]);
    assert.ok(retries >= 1, `retries ${retries}`);
    const ghost = c.members().find((m) => m.port === ghostPort)!;
    assert.ok(ghost.failures >= 1);
  });

  test('with the retry budget spent, the refusal is returned and counted', async () => {
    const c = await client({
      balancer: 'round-robin',
      retryBudget: { percent: 0, minPerSecond: 0 },
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        const res = await request(c.url('/x'), { dispatcher: c.dispatcher });
        await res.body.text();
        outcomes.push('ok');
      } catch (e) {
        outcomes.push((e as { code?: string }).code ?? String(e));
      }
    }
    // Round-robin alternates, so two of the four went to the member that refuses.
    assert.deepEqual(
      outcomes.filter((o) => o !== 'ok'),
      ['ECONNREFUSED', 'ECONNREFUSED'],
    );
    const text = await c.registry.metrics();
    assert.match(text, /beacon_client_retry_budget_exhausted_total\{[^}]*\} 2/);
    assert.match(text, /beacon_client_retries_total\{[^}]*\} 0/);
  });

  test('failure accrual: marked dead, no traffic while dead, then one probe revives it', async () => {
    const send = async (c: BeaconClient, n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await request(c.url('/accrual'), { dispatcher: c.dispatcher });
        assert.equal(res.statusCode, 200);
        await res.body.text();
      }
    };
    const ghostOf = (c: BeaconClient) => c.members().find((m) => m.port === ghostPort)!;
    // Dead for a minute: once ejected it gets nothing, whatever the test's speed.
    const long = await client({
      balancer: 'round-robin',
      failureAccrual: { consecutiveFailures: 2, markDeadMs: 60000 },
    });
    await send(long, 6);
    assert.equal(ghostOf(long).state, 'dead');
    const attempts = ghostOf(long).requests;
    assert.equal(attempts, 2);
    await send(long, 20);
    assert.equal(ghostOf(long).requests, attempts, 'no attempt while dead');

    // Dead for 200 ms: after that one probe goes out; once the member answers it is alive again.
    const short = await client({
      balancer: 'round-robin',
      failureAccrual: { consecutiveFailures: 2, markDeadMs: 200 },
    });
    await send(short, 6);
    assert.equal(ghostOf(short).state, 'dead');
    let hits = 0;
    revived = createServer((_req, res) => {
      hits++;
      res.end('revived');
    });
    await new Promise<void>((r) => revived!.listen(ghostPort, '127.0.0.1', () => r()));
    await waitFor(
      'the revived member to take traffic again',
      async () => {
        await send(short, 2);
        return ghostOf(short).state === 'alive' && hits >= 2;
      },
      30000,
    );
    assert.equal(ghostOf(short).consecutiveFailures, 0);
    // The long-dead client has not probed yet: still dead, still no attempts.
    assert.equal(ghostOf(long).state, 'dead');
    assert.equal(ghostOf(long).requests, attempts);
  });
});
