// Fault suite, master side: a master that hangs (headers then silence; or a TCP accept and not one
// byte), answers garbage, or answers errors — and a real devcluster master frozen with SIGSTOP
// under the v1 event stream. Throughout, `beacon dns` (the DnsService, in-process) is queried over
// real UDP: every answer must be the last good records (wrong answers = 0), /healthz must turn
// degraded, and the service must recover by itself when the master is back. Prints time to
// detect, time to recover and wrong answers. `npm test`: short faults; BEACON_FAULTS_FULL=1: long.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startStreamDns } from './stream-dns.js';
import { DnsService } from '../../src/service/dns-service.js';
import type { HealthReport } from '../../src/http/health.js';
import { dig } from '../helpers/dig.js';
import { sampleState, type FakeMaster } from '../helpers/fake-master.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { startService, type Started } from '../http/fixture.js';
import {
  jobStatus,
  startDevclusterProc,
  waitRunning,
  type DevclusterProc,
} from '../e2e/devcluster-proc.js';
import {
  checkAnswers,
  DnsProbe,
  EXAMPLE_A,
  exampleProbe,
  TruthTimeline,
  type ProbeAnswer,
} from './dns-probe.js';
import { report } from '../helpers/report.js';

const FULL = process.env.BEACON_FAULTS_FULL === '1';
/** How long each fault lasts once detected. */
const HOLD_MS = FULL ? 15000 : 1500;
const QPS = FULL ? 1000 : 400;
const NAME = EXAMPLE_A;

async function healthOf(base: string): Promise<HealthReport> {
  const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
  return (await r.json()) as HealthReport;
}

/** Waits for /healthz to report `status`; resolves with the time it did (performance.now()). */
async function healthBecomes(base: string, status: string, timeoutMs: number): Promise<number> {
  return waitFor(
    `/healthz ${status}`,
    async () => ((await healthOf(base)).status === status ? performance.now() : undefined),
    timeoutMs,
    10,
  );
}

/** Holds a fault for `ms` (the scenario's length, not a wait for an event), polling /healthz;
 *  resolves with how many polls did not say `degraded`. */
async function holdDegraded(base: string, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let notDegraded = 0;
  while (performance.now() < end) {
    if ((await healthOf(base)).status !== 'degraded') notDegraded++;
    await new Promise((r) => setTimeout(r, 50));
  }
  return notDegraded;
}

/** A master that accepts TCP connections and never sends a byte, on `port`. */
async function blackhole(port: number): Promise<{ close(): Promise<void>; accepted(): number }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

type Fault = 'hang' | 'blackhole' | 'garbage' | 'error';

describe('master faults under DNS load (poll source, fake master)', () => {
  let s: Started;
  let m: FakeMaster;
  before(async () => {
    s = await startService({
      service: {
        timing: { refreshMs: 100, stateTimeoutMs: 400 },
        backoff: { baseMs: 50, capMs: 200 },
      },
    });
    m = s.masters[0]!;
  });
  after(async () => {
    await s?.close();
  });

  let ip = 21;
  for (const fault of ['hang', 'blackhole', 'garbage', 'error'] as Fault[]) {
    test(`a master that ${fault === 'hang' ? 'hangs mid-answer' : fault === 'blackhole' ? 'accepts and never answers' : fault === 'garbage' ? 'returns garbage' : 'answers HTTP 503'}: last good records served, degraded, recovers`, async () => {
      const oldIp = `10.0.0.${ip}`;
      const newIp = `10.0.0.${++ip}`;
      // Start from a known good state served by the master.
      m.setState(sampleState({ port: m.port, taskIp: oldIp }));
      m.setMode('ok');
      await waitFor('the old address served', async () =>
        (await dig(s.dnsPort, [NAME, 'A'])).answer.some((r) => r.at(-1) === oldIp),
      );
      await healthBecomes(s.base, 'ok', 5000);

      const probe = new DnsProbe({
        port: s.dnsPort,
        questions: [{ name: NAME, type: 'A' }],
        qps: QPS,
        timeoutMs: 2000,
        maxQueries: QPS * 60,
      });
      await probe.start();
      let hole: Awaited<ReturnType<typeof blackhole>> | undefined;
      const tFault = performance.now();
      if (fault === 'blackhole') {
        await m.down();
        hole = await blackhole(m.port);
      } else m.setMode(fault);
      let tRecover = 0;
      let tSwap = 0;
      try {
        const tDetect = await healthBecomes(s.base, 'degraded', 10000);
        // Hold the fault: health must stay degraded and DNS must keep the old answer.
        const okDuringFault = await holdDegraded(s.base, HOLD_MS);
        const during = await dig(s.dnsPort, [NAME, 'A']);
        assert.equal(during.status, 'NOERROR', 'dig during the fault');
        assert.deepEqual(
          during.answer.map((r) => r.at(-1)),
          [oldIp],
          'dig: the last good record',
        );
        assert.equal(okDuringFault, 0, '/healthz stayed degraded while the master was broken');
        if (fault === 'blackhole') assert.ok(hole!.accepted() > 0, 'the blackhole was asked');

        // The master comes back with a changed state.
        const loaded = nextEvent(s.service, 'loaded', 10000).then(
          () => (tSwap = performance.now()),
        );
        m.setState(sampleState({ port: m.port, taskIp: newIp }));
        tRecover = performance.now();
        if (hole) {
          await hole.close();
          await m.up();
        } else m.setMode('ok');
        await loaded;
        const tOk = await healthBecomes(s.base, 'ok', 10000);
        const firstNew = await waitFor('an answer with the new address', () =>
          probe.answers.find((a) => a.sentAt >= tRecover && a.values.includes(newIp)),
        );
        // A little steady traffic after recovery, to catch flapping back to the old records.
        await probe.settle();
        await probe.stop();

        // Truth: the old address until the swap, the new one after. The allowance covers the
        // span between our timestamp of the swap and the query that saw it (a few ms).
        const truth = new TruthTimeline();
        truth.add(0, [oldIp]);
        truth.add(tSwap, [newIp]);
        const check = checkAnswers(probe.answers, { A: truth, SRV: truth }, 5);
        const inFault = probe.answers.filter(
          (a: ProbeAnswer) => a.sentAt >= tFault && a.sentAt < tRecover,
        );
        report(
          `master ${fault}: detected (healthz degraded) in ${(tDetect - tFault).toFixed(0)} ms; fault held ${HOLD_MS} ms; ` +
            `recovered (healthz ok) ${(tOk - tRecover).toFixed(0)} ms after the master returned, new records answered after ${(firstNew.at - tRecover).toFixed(0)} ms; ` +
            `DNS answers ${check.checked} (${inFault.length} during the fault), wrong ${check.wrong} (failed ${check.failed}, stale/unknown ${check.staleOrUnknown}, empty ${check.missing})`,
        );
        assert.equal(check.wrong, 0, check.examples.join('\n'));
        assert.ok(
          inFault.length >= QPS / 2,
          `answers were checked during the fault (${inFault.length})`,
        );
      } finally {
        await probe.stop();
        if (hole) {
          await hole.close();
          await m.up();
        }
        m.setMode('ok');
      }
    });
  }
});

describe('a frozen devcluster master (SIGSTOP) under the event stream', () => {
  let dc: DevclusterProc;
  let service: DnsService;
  let base: string;
  before(async () => {
    // One-second HEARTBEATs: a silent stream is noticed after three (3 s), as with Mesos's 15 s.
    dc = await startDevclusterProc({ extra: ['--heartbeat', '1'] });
    await waitRunning(dc.masterUrl, 2);
    service = await startStreamDns(dc.masterPort, { baseMs: 100, capMs: 500 });
    const h = service.httpAddress()!;
    base = `http://${h.host}:${h.port}`;
  });
  after(async () => {
    if (dc?.child.pid) {
      try {
        process.kill(dc.child.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    await service?.close();
    await dc?.stop();
  });

  test('DNS keeps the last good records while the master is frozen; the stream comes back', async () => {
    const before = (await jobStatus(dc.masterUrl))!;
    const ips = before.map((i) => i.host!);
    const srv = before.map((i) => `${i.host}:${i.ports!.http}`);
    const port = service.dnsAddress()!.port;
    await healthBecomes(base, 'ok', 5000);
    const probe = exampleProbe(port, QPS, 120);
    await probe.start();
    const pid = dc.child.pid!;
    const tFault = performance.now();
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    try {
      const tDetect = await healthBecomes(base, 'degraded', 15000);
      assert.equal(await holdDegraded(base, HOLD_MS), 0, '/healthz stayed degraded while frozen');
      const during = await dig(port, [NAME, 'A']);
      assert.equal(during.status, 'NOERROR');
      assert.deepEqual(during.answer.map((r) => r.at(-1)).sort(), [...ips].sort());
      const tRecover = performance.now();
      process.kill(pid, 'SIGCONT');
      resumed = true;
      const tOk = await healthBecomes(base, 'ok', 20000);
      await probe.settle();
      await probe.stop();
      // The tasks ran on through the freeze (they are not the master's children to stop): the
      // truth is the same two tasks throughout — checked, not assumed.
      const afterView = (await jobStatus(dc.masterUrl))!;
      assert.deepEqual(
        afterView.map((i) => i.taskId),
        before.map((i) => i.taskId),
        'the same tasks before and after the freeze',
      );
      const A = new TruthTimeline();
      A.add(0, ips);
      const S = new TruthTimeline();
      S.add(0, srv);
      const check = checkAnswers(probe.answers, { A, SRV: S }, 0);
      const inFault = probe.answers.filter((a) => a.sentAt >= tFault && a.sentAt < tRecover).length;
      report(
        `devcluster master frozen (SIGSTOP) for ${(tRecover - tFault).toFixed(0)} ms under the v1 stream: detected (healthz degraded) in ${(tDetect - tFault).toFixed(0)} ms; ` +
          `recovered (healthz ok) ${(tOk - tRecover).toFixed(0)} ms after SIGCONT; DNS answers ${check.checked} (A+SRV, ${inFault} during the freeze), wrong ${check.wrong}`,
      );
      assert.equal(check.wrong, 0, check.examples.join('\n'));
      assert.ok(inFault > QPS, `answers were checked during the freeze (${inFault})`);
    } finally {
      if (!resumed) process.kill(pid, 'SIGCONT');
      await probe.stop();
    }
  });
});
