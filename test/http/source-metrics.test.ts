// The sources' metrics against real parts: a real ZooKeeper (Debian's) under leader detection and
// ServerSet watching — a server restart counted as reconnects, a session expired on purpose
// counted as an expiry — and a real devcluster master's v1 event stream: connected, the age of
// the last event (HEARTBEATs every second), and a resubscribe after the master restarts.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { startDevcluster } from '../../src/cluster/devcluster.js';
import { ZkSession } from '../../src/zk/session.js';
import { devclusterOptions } from '../helpers/devcluster.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { getJson } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { expireSession, ZkServer, zookeeperInstalled } from '../helpers/zookeeper.js';
import { startService } from './fixture.js';

/** The value of one series of the exposition text (`name` or `name{labels}`), undefined if absent. */
function series(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    const i = line.lastIndexOf(' ');
    if (line.slice(0, i) === name) return Number(line.slice(i + 1));
  }
  return undefined;
}

async function scrape(base: string): Promise<string> {
  const r = await getJson(`${base}/metrics`);
  assert.equal(r.status, 200);
  return r.body as string;
}

test(
  'ZooKeeper session metrics: state, reconnects after a server restart, an expiry',
  { skip: zookeeperInstalled() ? false : 'ZooKeeper (Debian package) not installed' },
  async () => {
    const zk = await ZkServer.start();
    const master = await FakeMaster.start();
    // Long enough that the server restart below does not expire the sessions.
    const writer = new ZkSession(zk.connectString, { sessionTimeoutMs: 15000 });
    const reader = new ZkSession(zk.connectString, { sessionTimeoutMs: 15000 });
    let s: Awaited<ReturnType<typeof startService>> | undefined;
    try {
      await writer.waitConnected(15000);
      await reader.waitConnected(15000);
      await writer.mkdirp('/mesos');
      await writer.mkdirp('/aurora');
      await writer.create('/mesos/json.info_', master.masterInfo(), {
        mode: 'ephemeralSequential',
      });
      // Leader detection rides on `reader`; the ServerSet source opens its own session.
      s = await startService({
        masters: [master],
        config: {
          zk: `zk://${zk.connectString}/mesos`,
          masters: [],
          serversets: [{ zk: zk.connectString, root: '/aurora' }],
        },
        service: { coordination: reader },
      });
      const base = s.base;
      let m = await scrape(base);
      assert.equal(series(m, 'beacon_zk_session_state{state="connected"}'), 2);
      assert.equal(series(m, 'beacon_zk_session_state{state="disconnected"}'), 0);
      assert.equal(series(m, 'beacon_zk_session_reconnects_total'), 0);
      assert.equal(series(m, 'beacon_zk_session_expiries_total'), 0);
      // No stream configured: the stream figures say so.
      assert.equal(series(m, 'beacon_stream_connected'), 0);
      assert.equal(series(m, 'beacon_stream_last_event_age_seconds'), -1);

      // The server goes down: both sessions disconnected, then back within their timeout.
      await zk.kill();
      await waitFor(
        'both sessions disconnected',
        async () =>
          series(await scrape(base), 'beacon_zk_session_state{state="disconnected"}') === 2,
        15000,
      );
      await zk.resume();
      m = await waitFor(
        'both sessions reconnected',
        async () => {
          const t = await scrape(base);
          return series(t, 'beacon_zk_session_reconnects_total') === 2 ? t : undefined;
        },
        30000,
      );
      assert.equal(series(m, 'beacon_zk_session_state{state="connected"}'), 2);
      assert.equal(series(m, 'beacon_zk_session_expiries_total'), 0);

      // The reader's session is expired on purpose: counted, and a new session connects.
      const creds = reader.credentials()!;
      const before = reader.sessionId;
      await expireSession(
        zk.connectString,
        creds.id,
        creds.password,
        () => reader.sessionId !== before && reader.state === 'connected',
        45000,
      );
      m = await waitFor(
        'the expiry counted',
        async () => {
          const t = await scrape(base);
          return series(t, 'beacon_zk_session_expiries_total') === 1 ? t : undefined;
        },
        15000,
      );
      assert.equal(series(m, 'beacon_zk_session_state{state="connected"}'), 2);
      // The new session's connection counts as a reconnect too.
      assert.ok(series(m, 'beacon_zk_session_reconnects_total')! >= 3);
    } finally {
      await s?.close();
      await reader.close();
      await writer.close();
      await master.stop();
      await zk.stop();
    }
  },
);

test('event stream metrics: connected, age of the last event, a resubscribe after a master restart', async () => {
  const options = await devclusterOptions('beacon-stream-metrics-');
  const dataDir = options.dataDir!;
  let dc = await startDevcluster(options);
  const s = await startService({
    masters: [],
    config: {
      masters: [`127.0.0.1:${options.masterPort}`],
      stateSource: 'stream',
      refreshSeconds: 1,
    },
  });
  try {
    const base = s.base;
    let m = await scrape(base);
    assert.equal(series(m, 'beacon_stream_connected'), 1);
    assert.equal(series(m, 'beacon_stream_resubscribes_total'), 0);
    // HEARTBEATs come every second, so the last event is never much older.
    const age = series(m, 'beacon_stream_last_event_age_seconds')!;
    assert.ok(age >= 0 && age < 5, `last event ${age} s ago`);
    // Not a ZooKeeper source: no sessions.
    assert.equal(series(m, 'beacon_zk_session_state{state="connected"}'), 0);

    await dc.close();
    await waitFor(
      'the stream lost',
      async () => series(await scrape(base), 'beacon_stream_connected') === 0,
      15000,
    );
    // The age grows while nothing arrives (read at scrape time, not at the last event).
    const lost = series(await scrape(base), 'beacon_stream_last_event_age_seconds')!;
    await waitFor(
      'the last event age growing while nothing arrives',
      async () => series(await scrape(base), 'beacon_stream_last_event_age_seconds')! > lost,
      10000,
      200,
    );

    dc = await startDevcluster(options);
    m = await waitFor(
      'subscribed again',
      async () => {
        const t = await scrape(base);
        return series(t, 'beacon_stream_connected') === 1 ? t : undefined;
      },
      20000,
    );
    assert.ok(series(m, 'beacon_stream_resubscribes_total')! >= 1);
    assert.ok(series(m, 'beacon_stream_last_event_age_seconds')! < 5);
  } finally {
    await s.close();
    await dc.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
