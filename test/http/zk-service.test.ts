// The service with `zk` leader detection on the embedded store: serves the detected leader's
// state, and after a leader change serves the new leader's state without waiting for a refresh.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/zk/embedded.js';
import { freePort } from '../helpers/net.js';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import type { StateFailure } from '../../src/sources/types.js';
import { getJson } from '../helpers/http.js';
import { startService } from './fixture.js';

describe('service with zk leader detection (embedded store)', () => {
  it('serves the leader found in ZooKeeper and follows a leader change', async () => {
    const store = new EmbeddedStore();
    const writer = store.connect();
    const reader = store.connect();
    await writer.waitConnected(5000);
    const m1 = await FakeMaster.start();
    const m2 = await FakeMaster.start();
    m2.setState({ ...sampleState({ port: m2.port, taskIp: '10.0.0.99' }), leader: m1.pid });
    await writer.mkdirp('/mesos');
    const n1 = await writer.create('/mesos/json.info_', m1.masterInfo(), {
      mode: 'ephemeralSequential',
    });
    await writer.create('/mesos/json.info_', m2.masterInfo(), { mode: 'ephemeralSequential' });
    const s = await startService({
      masters: [],
      config: { zk: 'zk://127.0.0.1:2181/mesos', masters: [] },
      service: { coordination: reader },
    });
    try {
      const hosts = await getJson(`${s.base}/v1/hosts/http_example.test.vagrant.aurora.mesos`);
      assert.deepEqual(hosts.body, [
        { host: 'http_example.test.vagrant.aurora.mesos.', ip: '10.0.0.21' },
      ]);
      const h = (await getJson(`${s.base}/healthz`)).body as {
        source: { kind: string; target: string; leader: string };
      };
      assert.deepEqual(h.source, {
        kind: 'zk',
        target: 'zk://127.0.0.1:2181/mesos',
        leader: m1.address,
      });
      // m1 steps down; m2 leads now (refreshSeconds is 60: only the watch can make this quick).
      m2.setLeader(m2.pid);
      await writer.remove(n1);
      await waitFor('records from the new leader', async () => {
        const r = await getJson(`${s.base}/v1/hosts/http_example.test.vagrant.aurora.mesos`);
        return (r.body as Array<{ ip: string }>)[0]?.ip === '10.0.0.99';
      });
      const h2 = (await getJson(`${s.base}/healthz`)).body as { stateFrom: string };
      assert.equal(h2.stateFrom, `http://${m2.address}/master/state`);
    } finally {
      await s.close();
      await m1.stop();
      await m2.stop();
      await reader.close();
      await writer.close();
    }
  });

  it('ZooKeeper unreachable: after zkDetectionTimeout the masters are polled; close() is prompt', async () => {
    const nobody = await freePort();
    const m = await FakeMaster.start();
    const s = await startService({
      masters: [m],
      config: { zk: `zk://127.0.0.1:${nobody}/mesos`, zkDetectionTimeout: 1 },
      waitLoaded: false,
    });
    try {
      const failed = nextEvent<[StateFailure]>(s.service, 'failed');
      const loaded = nextEvent(s.service, 'loaded');
      const [f] = await failed;
      assert.match(f.error.message, /no leading Mesos master found in ZooKeeper/);
      assert.match(f.error.message, /polling the configured masters meanwhile/);
      await loaded;
      const h = (await getJson(`${s.base}/healthz`)).body as { status: string; stateFrom: string };
      assert.equal(h.status, 'ok');
      assert.equal(h.stateFrom, `http://${m.address}/master/state`);
    } finally {
      // Must not wait for ZooKeeper operations that can never complete.
      await s.close();
    }
  });
});
