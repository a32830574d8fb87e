// The dashboard's HTTP side against a real devcluster with DNS: the page and its files (with a
// Content-Security-Policy), /dashboard/api/overview (jobs, instances, DNS names that dig answers,
// ServerSet members), /dashboard/api/metrics (queries per second, state age) and the live feed
// /dashboard/events (task, ServerSet and DNS events of a restart, history replayed on connect).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { Overview } from '../../src/cluster/dashboard/index.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';
import { getJson, post, request } from '../helpers/http.js';
import {
  EXAMPLE_KEY,
  startDevclusterProc,
  waitRunning,
  type DevclusterProc,
} from './devcluster-proc.js';

let dc: DevclusterProc;
before(async () => {
  dc = await startDevclusterProc({ dns: true });
});
after(async () => {
  await dc?.stop();
});

test('the page and its files are served with a restrictive CSP; unknown files are 404', async () => {
  for (const [path, type] of [
    ['/', 'text/html'],
    ['/dashboard/static/dashboard.js', 'text/javascript'],
    ['/dashboard/static/dashboard.css', 'text/css'],
  ] as const) {
    const r = await new Promise<http.IncomingMessage & { body: string }>((resolve, reject) => {
      http
        .get(`${dc.masterUrl}${path}`, { agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(Object.assign(res, { body })));
        })
        .on('error', reject);
    });
    assert.equal(r.statusCode, 200, path);
    assert.ok(r.headers['content-type']?.startsWith(type), `${path}: ${r.headers['content-type']}`);
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
    assert.ok(r.body.length > 100, path);
  }
  assert.equal((await request(`${dc.masterUrl}/dashboard/static/../../package.json`)).status, 404);
  assert.equal((await request(`${dc.masterUrl}/dashboard/static/nope.js`)).status, 404);
});

test('the overview lists the job, its instances, DNS names that dig answers, and members', async () => {
  const api = await waitRunning(dc.masterUrl, 2);
  const o = await waitFor(
    'an overview with both instances, DNS names and two members',
    async () => {
      const v = (await getJson<Overview>(`${dc.masterUrl}/dashboard/api/overview`)).body;
      const j = v.jobs.find((x) => x.key === EXAMPLE_KEY);
      return j?.counts.running === 2 && j.serverset?.members.length === 2 && j.dns?.a.length
        ? v
        : undefined;
    },
    15000,
    100,
  );
  assert.equal(o.domain, 'mesos');
  assert.equal(o.dnsServer, `127.0.0.1:${dc.dnsPort}`);
  assert.equal(o.agents.length, 2);
  const job = o.jobs.find((x) => x.key === EXAMPLE_KEY)!;
  assert.deepEqual(job.counts, { instances: 2, running: 2, pending: 0, failed: 0 });
  for (const inst of job.instances) {
    const a = api.find((x) => x.instance === inst.instance)!;
    assert.equal(inst.taskId, a.taskId);
    assert.equal(inst.host, a.host);
    assert.equal(inst.agent?.hostname, a.host);
    assert.equal(inst.health, 'healthy');
    assert.equal(inst.status, 'RUNNING');
    assert.deepEqual(
      inst.ports.map((p) => `${p.name}=${p.port}`),
      ['health', 'http', 'tcp'].map((n) => `${n}=${a.ports![n]}`).concat(`alias=${a.ports!.http}`),
    );
    assert.ok(inst.dnsNames.length > 0);
  }
  const dns = job.dns!;
  assert.ok(dns.a.includes('http_example.test.vagrant.aurora.mesos'), dns.a.join());
  assert.ok(dns.srv.includes('_http_example.test.vagrant._tcp.aurora.mesos'), dns.srv.join());
  for (const n of ['http', 'tcp', 'health', 'alias']) {
    assert.ok(dns.namedSrv.includes(`_${n}._http_example.test.vagrant._tcp.aurora.mesos`), n);
  }
  // Every name shown is one the DNS server answers (they come from its own records).
  for (const [type, names] of [
    ['A', dns.a],
    ['SRV', [...dns.srv, ...dns.namedSrv]],
    ['A', job.instances.flatMap((i) => i.dnsNames)],
  ] as const) {
    for (const name of names) {
      const r = await dig(dc.dnsPort!, [name, type]);
      assert.equal(r.status, 'NOERROR', `${name} ${type}`);
      assert.ok(r.answer.length > 0, `${name} ${type}`);
    }
  }
  const ss = job.serverset!;
  assert.equal(ss.path, '/aurora/vagrant/test/http_example');
  assert.equal(ss.stale, false);
  assert.deepEqual(
    ss.members.map((m) => `${m.shard} ${m.serviceEndpoint.host}:${m.serviceEndpoint.port}`).sort(),
    api.map((a) => `${a.instance} ${a.host}:${a.ports!.http}`).sort(),
  );
  for (const m of ss.members)
    assert.deepEqual(Object.keys(m.additionalEndpoints).sort(), ['alias', 'health', 'http', 'tcp']);
});

test('metrics: queries per second and the state age, sampled every second', async () => {
  await waitRunning(dc.masterUrl, 2);
  for (let i = 0; i < 10; i++)
    await dig(dc.dnsPort!, ['http_example.test.vagrant.aurora.mesos', 'A']);
  const s = await waitFor(
    'a sample with the A queries',
    async () => {
      const { body: m } = await getJson<{
        dns: boolean;
        samples: {
          qps: number;
          stateAge: number | null;
          byType: Record<string, number>;
          byRcode: Record<string, number>;
        }[];
      }>(`${dc.masterUrl}/dashboard/api/metrics`);
      assert.equal(m.dns, true);
      return m.samples.find((x) => (x.byType.A ?? 0) > 0);
    },
    10000,
    200,
  );
  assert.ok(s.qps > 0);
  assert.ok((s.byRcode.NOERROR ?? 0) > 0);
  assert.equal(typeof s.stateAge, 'number');
  assert.ok(s.stateAge! >= 0 && s.stateAge! < 60, String(s.stateAge));
});

/** Reads SSE events from /dashboard/events until `until` says stop. */
function readEvents(
  until: (events: { event: string; data: Record<string, unknown> }[]) => boolean,
  timeoutMs: number,
): Promise<{ event: string; data: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: Record<string, unknown> }[] = [];
    const req = http.get(`${dc.masterUrl}/dashboard/events`, { agent: false }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (ev && data)
            events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
        }
        if (until(events)) {
          clearTimeout(t);
          req.destroy();
          resolve(events);
        }
      });
    });
    const t = setTimeout(() => {
      req.destroy();
      reject(
        new Error(
          `timed out; events: ${events.map((e) => `${e.event}:${String(e.data.state ?? '')}`).join(' ')}`,
        ),
      );
    }, timeoutMs);
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
  });
}

test('the feed replays history and tells a restart: task states, member left and joined, DNS records', async () => {
  const before = await waitRunning(dc.masterUrl, 2);
  // History on connect: the instances reached TASK_RUNNING before this client came.
  // Read until the replay holds each kind: under load the DNS feed's first event can follow the
  // task events by seconds, and stopping at the task events raced it.
  const replay = await readEvents(
    (es) =>
      es.filter((e) => e.event === 'task' && e.data.state === 'TASK_RUNNING').length >= 2 &&
      es.some((e) => e.event === 'serverset') &&
      es.some((e) => e.event === 'dns'),
    20000,
  );
  assert.ok(replay.some((e) => e.event === 'serverset'));
  assert.ok(replay.some((e) => e.event === 'dns'));

  const old = before.find((i) => i.instance === 0)!;
  // Events of this restart, whether they come live or in the history replayed on connect.
  const t0 = Date.now();
  const since = (es: { event: string; data: Record<string, unknown> }[]) =>
    es.filter((e) => (e.data.at as number) >= t0);
  const r = await post(`${dc.masterUrl}/jobs/${EXAMPLE_KEY}/restart`, { instances: [0] });
  assert.equal(r.status, 200, r.text);
  const events = since(
    await readEvents((es) => {
      const after = since(es);
      return (
        after.some(
          (e) =>
            e.event === 'task' &&
            e.data.instance === 0 &&
            e.data.taskId !== old.taskId &&
            e.data.state === 'TASK_RUNNING',
        ) && after.some((e) => e.event === 'serverset' && (e.data.joined as unknown[]).length > 0)
      );
    }, 30000),
  );
  const states = events
    .filter((e) => e.event === 'task' && e.data.taskId === old.taskId)
    .map((e) => e.data.state);
  assert.ok(states.includes('TASK_KILLED'), states.join());
  const left = events.find((e) => e.event === 'serverset' && (e.data.left as unknown[]).length > 0);
  assert.ok(left, 'a ServerSet leave');
  assert.deepEqual(
    (left.data.left as { serviceEndpoint: { host: string; port: number } }[]).map(
      (m) => `${m.serviceEndpoint.host}:${m.serviceEndpoint.port}`,
    ),
    [`${old.host}:${old.ports!.http}`],
  );
  const removed = events
    .filter((e) => e.event === 'dns')
    .flatMap((e) => e.data.changes as { name: string; removed: string[] }[])
    .filter((c) => c.name === 'http_example.test.vagrant.aurora.mesos' && c.removed.length);
  assert.ok(
    removed.length > 0 || old.host === before[1]!.host,
    'the A record of the old task removed',
  );
});
