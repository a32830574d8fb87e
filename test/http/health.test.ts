// /healthz and serving through a state source's failures, end to end in-process: not ready → ok
// → degraded; master down at start (retried, reported, recovers); master down after a good load
// (last good records served); hung master (serving continues, refresh cut off); garbage (last good
// kept, counted as failed); plus the pure verdict function.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeHealth, healthHttpStatus, type HealthReport } from '../../src/http/health.js';
import type { StateFailure } from '../../src/sources/types.js';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { dig } from '../helpers/dig.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { getJson } from '../helpers/http.js';
import { startService } from './fixture.js';

const TASK = 'http_example.test.vagrant.aurora.mesos.';

async function health(
  base: string,
  strict = false,
): Promise<{ status: number; body: HealthReport }> {
  const r = await getJson(`${base}/healthz${strict ? '?strict' : ''}`);
  return { status: r.status, body: r.body as HealthReport };
}

function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe('healthz verdict', () => {
  const src = { kind: 'masters', target: 'm1:5050' };
  it('is not ready before the first load, naming the last error', () => {
    const r = computeHealth(
      {
        consecutiveFailures: 2,
        lastFailure: { message: 'refused', at: 0 },
        maxStateAgeSeconds: 180,
        source: src,
      },
      1000,
    );
    assert.equal(r.status, 'not ready');
    assert.equal(r.stateAgeSeconds, null);
    assert.match(r.reasons[0]!, /refused/);
    assert.equal(healthHttpStatus(r, false), 503);
  });
  it('is ok with fresh state and degraded when too old or the last refresh failed', () => {
    const ok = computeHealth(
      { stateFetchedAt: 0, consecutiveFailures: 0, maxStateAgeSeconds: 10, source: src },
      5000,
    );
    assert.equal(ok.status, 'ok');
    assert.equal(ok.stateAgeSeconds, 5);
    assert.equal(healthHttpStatus(ok, true), 200);
    const old = computeHealth(
      { stateFetchedAt: 0, consecutiveFailures: 0, maxStateAgeSeconds: 10, source: src },
      11000,
    );
    assert.equal(old.status, 'degraded');
    assert.match(old.reasons[0]!, /11 s old.*maxStateAgeSeconds \(10\)/);
    assert.equal(healthHttpStatus(old, false), 200);
    assert.equal(healthHttpStatus(old, true), 503);
    const failed = computeHealth(
      {
        stateFetchedAt: 0,
        consecutiveFailures: 1,
        lastFailure: { message: 'HTTP 503', at: 1 },
        maxStateAgeSeconds: 10,
        source: src,
      },
      1000,
    );
    assert.equal(failed.status, 'degraded');
    assert.match(failed.reasons[0]!, /last refresh failed.*HTTP 503/);
  });
});

describe('serving through state failures', () => {
  it('master down at start: not ready and retried, then ok once it comes up', async () => {
    const m = await FakeMaster.start({ down: true });
    const s = await startService({ masters: [m], waitLoaded: false });
    try {
      // Several attempts, each reported.
      await waitFor(
        'three failed attempts',
        async () => (await health(s.base)).body.consecutiveFailures >= 3,
      );
      const h = await health(s.base);
      assert.equal(h.status, 503);
      assert.equal(h.body.status, 'not ready');
      assert.match(h.body.lastError!.message, /connection refused/);
      assert.ok(h.body.nextAttemptAt, 'the next attempt is announced');
      assert.deepEqual(h.body.source, { kind: 'masters', target: m.address });
      // DNS answers SERVFAIL until the first load.
      const before = await dig(s.dnsPort, [TASK, 'A']);
      assert.equal(before.status, 'SERVFAIL');
      const loaded = nextEvent(s.service, 'loaded');
      await m.up();
      await loaded;
      const ok = await health(s.base);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.status, 'ok');
      assert.equal(ok.body.consecutiveFailures, 0);
      assert.equal(ok.body.stateFrom, `http://${m.address}/master/state`);
      assert.ok(ok.body.records!.a > 0);
      const after = await dig(s.dnsPort, [TASK, 'A']);
      assert.equal(after.status, 'NOERROR');
      assert.deepEqual(
        after.answer.map((r) => r.at(-1)),
        ['10.0.0.21'],
      );
    } finally {
      await s.close();
    }
  });

  it('master down after a good load: last good records served, health degraded', async () => {
    const s = await startService({ service: { timing: { refreshMs: 50 } } });
    try {
      assert.equal((await health(s.base)).body.status, 'ok');
      const failed = nextEvent<[StateFailure]>(s.service, 'failed');
      await s.masters[0]!.down();
      await failed;
      const h = await health(s.base);
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'degraded');
      assert.match(h.body.reasons.join(' '), /failed \(serving the last good state\)/);
      assert.equal(h.body.lastError !== null, true);
      assert.equal((await health(s.base, true)).status, 503);
      const r = await dig(s.dnsPort, [TASK, 'A']);
      assert.equal(r.status, 'NOERROR');
      assert.deepEqual(
        r.answer.map((x) => x.at(-1)),
        ['10.0.0.21'],
      );
      const hosts = await getJson(`${s.base}/v1/hosts/${TASK}`);
      assert.deepEqual(hosts.body, [{ host: TASK, ip: '10.0.0.21' }]);
    } finally {
      await s.close();
    }
  });

  it('state older than maxStateAgeSeconds is degraded', async () => {
    // maxStateAgeSeconds is whole seconds: a 1 s bound and no refresh for a minute, so the age
    // crosses the bound with no failed refresh at all.
    const s = await startService({
      config: { maxStateAgeSeconds: 1 },
      service: { timing: { refreshMs: 60000 } },
    });
    try {
      await waitFor(
        'state older than 1 s',
        async () => ((await health(s.base)).body.stateAgeSeconds ?? 0) > 1,
        5000,
      );
      const h = await health(s.base);
      assert.equal(h.body.status, 'degraded');
      assert.match(h.body.reasons.join(' '), /more than maxStateAgeSeconds \(1\)/);
      assert.equal(h.body.consecutiveFailures, 0);
    } finally {
      await s.close();
    }
  });

  it('a hung master does not stall serving; the refresh is cut off by the timeout', async () => {
    const s = await startService({ service: { timing: { refreshMs: 20, stateTimeoutMs: 300 } } });
    try {
      const m = s.masters[0]!;
      m.setMode('hang');
      const before = m.requests;
      await waitFor('a request to hang', () => m.requests > before);
      // While the refresh hangs, DNS and HTTP answer from the last good records.
      const r = await dig(s.dnsPort, [TASK, 'A']);
      assert.equal(r.status, 'NOERROR');
      const hosts = await getJson(`${s.base}/v1/hosts/${TASK}`);
      assert.equal(hosts.status, 200);
      const [f] = await nextEvent<[StateFailure]>(s.service, 'failed');
      assert.match(f.error.message, /no complete answer within 300 ms \(stateTimeoutSeconds\)/);
      assert.equal((await health(s.base)).body.status, 'degraded');
    } finally {
      await s.close();
    }
  });

  it('garbage keeps the last good records and counts a failed refresh', async () => {
    const s = await startService({ service: { timing: { refreshMs: 20 } } });
    try {
      const m = s.masters[0]!;
      m.setMode('garbage');
      await nextEvent(s.service, 'failed');
      const metrics = (await getJson(`${s.base}/metrics`)).body as string;
      assert.ok((metricValue(metrics, 'beacon_state_refreshes_total{result="failed"}') ?? 0) >= 1);
      assert.ok((metricValue(metrics, 'beacon_state_refreshes_total{result="ok"}') ?? 0) >= 1);
      const r = await dig(s.dnsPort, [TASK, 'A']);
      assert.deepEqual(
        r.answer.map((x) => x.at(-1)),
        ['10.0.0.21'],
      );
      assert.match((await health(s.base)).body.lastError!.message, /not JSON/);
      // A new good document replaces the records.
      m.setState(sampleState({ port: m.port, taskIp: '10.0.0.99' }));
      m.setMode('ok');
      await waitFor('the new records', async () =>
        (await dig(s.dnsPort, [TASK, 'A'])).answer.some((x) => x.at(-1) === '10.0.0.99'),
      );
      assert.equal((await health(s.base)).body.status, 'ok');
    } finally {
      await s.close();
    }
  });

  it('falls back to the second master and follows the leader field', async () => {
    const dead = await FakeMaster.start({ down: true });
    const follower = await FakeMaster.start();
    const leader = await FakeMaster.start();
    follower.setLeader(leader.pid);
    const s = await startService({ masters: [dead, follower, leader] });
    try {
      const h = await health(s.base);
      assert.equal(h.body.stateFrom, `http://${leader.address}/master/state`);
      assert.equal(h.body.source.leader, leader.address);
      assert.equal(dead.requests, 0);
      assert.equal(follower.requests, 1);
    } finally {
      await s.close();
    }
  });
});
