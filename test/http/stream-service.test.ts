// The service with `"stateSource": "stream"` against a real devcluster master: records arrive over
// the v1 event stream and are updated in place (served by DNS and HTTP), counted in
// beacon_state_changes_total, and /healthz stays ok while the stream is live; the changes reach
// the heap's Compactor.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { startDevcluster } from '../../src/cluster/devcluster.js';
import { Compactor } from '../../src/service/heap.js';
import type { HealthReport } from '../../src/http/health.js';
import { devclusterOptions } from '../helpers/devcluster.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';
import { getJson } from '../helpers/http.js';
import { startService } from './fixture.js';

const NAME = 'http_example.test.vagrant.aurora.mesos.';
const JOB = 'devcluster/vagrant/test/http_example';

test('beacon dns follows the v1 event stream and updates records in place', async () => {
  const options = await devclusterOptions('beacon-stream-svc-');
  const dataDir = options.dataDir!;
  const dc = await startDevcluster(options);
  const masterPort = Number(new URL(dc.masterUrl).port);
  // An old space always "fragmented", looked at on every change: each applied change asks.
  let compactions = 0;
  const compactor = new Compactor({
    checkMs: 0,
    room: () => ({ held: 2 ** 30, used: 2 ** 20 }),
    compact: () => Promise.resolve(++compactions > 0),
  });
  const s = await startService({
    masters: [],
    config: { masters: [`127.0.0.1:${masterPort}`], stateSource: 'stream', refreshSeconds: 1 },
    service: { compactor },
  });
  try {
    const running = await waitFor(
      'two instances running',
      () => {
        const v = dc.scheduler.status(JOB).instances;
        return v.every((i) => i.status === 'RUNNING') ? v : undefined;
      },
      20000,
    );
    const ips = running.map((i) => i.host!).sort();
    await waitFor('both A records over HTTP', async () => {
      const r = await getJson(`${s.base}/v1/hosts/${NAME}`);
      return r.status === 200 && (r.body as unknown[]).length === 2;
    });
    const d = await dig(s.dnsPort, [NAME, 'A']);
    assert.deepEqual(d.answer.map((x) => x.at(-1)).sort(), ips);
    const h = (await getJson(`${s.base}/healthz`)).body as HealthReport;
    assert.equal(h.status, 'ok');
    assert.match(h.source.target, /v1 event stream/);

    // One instance goes: the stream's TASK_UPDATED removes its record in place.
    dc.scheduler.kill(JOB, [1]);
    await waitFor(
      'one A record left over DNS',
      async () => (await dig(s.dnsPort, [NAME, 'A'])).answer.length === 1,
      15000,
    );
    const metrics = (await getJson(`${s.base}/metrics`)).body as string;
    const changes = metrics
      .split('\n')
      .filter((l) => l.startsWith('beacon_state_changes_total{'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    assert.ok(changes > 0, 'incremental changes were applied');
    assert.ok(compactions > 0, 'the applied changes reached the Compactor');
    assert.ok(compactor.compactions > 0, 'and were counted');
  } finally {
    await s.close();
    await dc.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
