// Soak (`npm run bench -- soak [--minutes 10] [--qps 2000] [--calm-seconds 30] [--trace-stalls]`): a real
// devcluster (`beacon devcluster`, free ports, 4 agents, its own DNS on the v1 event stream) runs
// a 4-instance job while one instance is restarted every second through the jobs API, under a
// continuous UDP DNS load (A + SRV of the job) at a bounded rate from this process. A checker
// compares every answer with the ground truth at that moment — the RUNNING instances from the
// jobs API, sampled every 20 ms — allowing ALLOWANCE_MS (the sampling uncertainty plus the
// measured propagation, printed). Prints wrong answers, p50/p99 latency overall, during record
// changes and in the calm baseline phase (no churn, same run) with the ratio, and the devcluster
// process's RSS every 5 s (first/last/max, slope). Bounded: minutes ≤ 120, qps ≤ 5000, every
// query and restart counted; everything it started is stopped at the end (or on Ctrl-C).
// --trace-stalls preloads bench/lib/stall-trace into the devcluster: every stall of its main event
// loop over 100 ms is reported with the garbage collections and slow synchronous calls inside it.
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobText } from '../src/cluster/job-schema.js';
import { post } from '../test/helpers/http.js';
import {
  jobStatus,
  rssKiB,
  startDevclusterProc,
  waitRunning,
  type DevclusterProc,
} from '../test/e2e/devcluster-proc.js';
import {
  checkAnswers,
  DnsProbe,
  pollTruth,
  propagationMs,
  type CheckResult,
  type ProbeAnswer,
  type ProbeType,
} from '../test/faults/dns-probe.js';
import { machine, slope, summary } from './lib/stats.js';
import { sleeperJob } from './lib/sleeper-job.js';

function arg(name: string, def: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0 || v > max) {
    process.stderr.write(`--${name} ${process.argv[i + 1]}: expected a number in (0, ${max}]\n`);
    process.exit(2);
  }
  return v;
}

const MINUTES = arg('minutes', 10, 120);
const QPS = arg('qps', 2000, 5000);
const CALM_S = arg('calm-seconds', Math.min(30, MINUTES * 6), 600);
const TRACE_STALLS = process.argv.includes('--trace-stalls');
const INSTANCES = 4;
const TRUTH_EVERY_MS = 20;
const ALLOWANCE_MS = 250;
/** An answer counts as "during a record change" when a change lies within this of it. */
const CHANGE_WINDOW_MS = 100;
const KEY = 'devcluster/bench/prod/soak';
const A_NAME = 'soak.prod.bench.aurora.mesos';
const SRV_NAME = '_http._soak.prod.bench._tcp.aurora.mesos';

const JOB = sleeperJob(KEY, INSTANCES);

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Is some time of sorted `times` within `w` of [from, to]? */
function near(times: number[], from: number, to: number, w: number): boolean {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < from - w) lo = mid + 1;
    else hi = mid;
  }
  return lo < times.length && times[lo]! <= to + w;
}

function add(total: CheckResult, r: CheckResult): void {
  total.checked += r.checked;
  total.wrong += r.wrong;
  total.staleOrUnknown += r.staleOrUnknown;
  total.missing += r.missing;
  total.failed += r.failed;
  for (const e of r.examples) if (total.examples.length < 5) total.examples.push(e);
}

async function main(): Promise<void> {
  out(
    `soak: ${MINUTES} min of task churn (one of ${INSTANCES} instances restarted every second via the jobs API) under ${QPS} qps of UDP DNS (A + SRV); ` +
      `first ${CALM_S} s calm (no churn) as the baseline (${machine()})`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'beacon-soak-'));
  let dc: DevclusterProc | undefined;
  let probe: DnsProbe | undefined;
  let truthPoll: ReturnType<typeof pollTruth> | undefined;
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (TRACE_STALLS) {
    const preload = fileURLToPath(new URL('./lib/stall-trace.js', import.meta.url));
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim();
  }
  try {
    dc = await startDevclusterProc({
      dataDir,
      dns: true,
      extra: ['--no-example', '--agents', String(INSTANCES)],
    });
    const pid = dc.child.pid!;
    const created = await post(`${dc.masterUrl}/jobs`, {
      key: KEY,
      config: parseJobText(JOB, 'soak.yaml'),
      source: 'soak.yaml',
    });
    if (created.status !== 200) throw new Error(`creating the job failed: ${created.text}`);
    await waitRunning(dc.masterUrl, INSTANCES, KEY, 30000);
    const masterUrl = dc.masterUrl;
    truthPoll = pollTruth(async () => {
      const v = await jobStatus(masterUrl, KEY);
      const running = (v ?? []).filter((i) => i.status === 'RUNNING');
      return {
        A: running.map((i) => i.host!),
        SRV: running.map((i) => `${i.host}:${i.ports!.http}`),
      } as Record<ProbeType, string[]>;
    }, TRUTH_EVERY_MS);
    while (truthPoll.truth.A.samples === 0) await new Promise((r) => setTimeout(r, 10));

    const totalMs = MINUTES * 60_000;
    probe = new DnsProbe({
      port: dc.dnsPort!,
      questions: [
        { name: A_NAME, type: 'A' },
        { name: SRV_NAME, type: 'SRV' },
      ],
      qps: QPS,
      maxQueries: Math.ceil((QPS * totalMs) / 1000) + QPS,
    });
    await probe.start();
    // This process's own event-loop lateness: a stall here bunches the probe's sends into a burst.
    let benchLast = performance.now();
    const benchStalls: number[] = [];
    const benchTimer = setInterval(() => {
      const now = performance.now();
      const late = now - benchLast - 10;
      benchLast = now;
      if (late >= 100) benchStalls.push(late);
    }, 10);
    const t0 = performance.now();
    const calmEnd = t0 + CALM_S * 1000;
    const end = t0 + totalMs;

    // Churn: one restart a second, round-robin, after the calm phase.
    let restarts = 0;
    let restartErrors = 0;
    const churn = setInterval(() => {
      if (performance.now() < calmEnd || performance.now() >= end || stopping) return;
      const instance = restarts % INSTANCES;
      restarts++;
      void post(`${masterUrl}/jobs/${KEY}/restart`, { instances: [instance] })
        .then((r) => {
          if (r.status !== 200) restartErrors++;
        })
        .catch(() => restartErrors++);
    }, 1000);

    // RSS every 5 s; answers checked in chunks (and dropped) so memory stays bounded.
    const rss: { t: number; kib: number }[] = [];
    const total: CheckResult = {
      checked: 0,
      wrong: 0,
      staleOrUnknown: 0,
      missing: 0,
      failed: 0,
      examples: [],
    };
    const latCalm: number[] = [];
    const latChurn: number[] = [];
    const latChange: number[] = [];
    const propagation = { removed: 0, added: 0 };
    const checkChunk = (upTo: number) => {
      // Answers received before `upTo` (the truth after them, within the allowance, is known).
      const answers = probe!.answers;
      let k = 0;
      while (k < answers.length && answers[k]!.at < upTo) k++;
      const chunk: ProbeAnswer[] = answers.splice(0, k);
      if (!chunk.length) return;
      add(total, checkAnswers(chunk, truthPoll!.truth, ALLOWANCE_MS));
      const changes = [
        ...new Set([...truthPoll!.truth.A.changes(), ...truthPoll!.truth.SRV.changes()]),
      ].sort((a, b) => a - b);
      for (const a of chunk) {
        if (a.rcode === 'TIMEOUT') continue;
        const l = a.at - a.sentAt;
        if (a.sentAt < calmEnd) latCalm.push(l);
        else {
          latChurn.push(l);
          if (near(changes, a.sentAt, a.at, CHANGE_WINDOW_MS)) latChange.push(l);
        }
      }
      const p = propagationMs(chunk, truthPoll!.truth);
      propagation.removed = Math.max(propagation.removed, p.removed);
      propagation.added = Math.max(propagation.added, p.added);
    };
    let nextRss = t0;
    let nextReport = t0 + 60_000;
    while (performance.now() < end && !stopping) {
      const now = performance.now();
      if (now >= nextRss) {
        const kib = rssKiB(pid);
        if (kib === undefined) throw new Error('the devcluster process is gone');
        rss.push({ t: (now - t0) / 60_000, kib });
        nextRss += 5000;
      }
      if (now >= nextReport) {
        checkChunk(now - 2 * ALLOWANCE_MS);
        out(
          `  ${((now - t0) / 60_000).toFixed(0)} min: ${probe.sent} queries, ${total.checked} checked, wrong ${total.wrong}, restarts ${restarts}, RSS ${(rss.at(-1)!.kib / 1024).toFixed(1)} MiB`,
        );
        nextReport += 60_000;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    clearInterval(churn);
    clearInterval(benchTimer);
    await probe.stop();
    await truthPoll.stop();
    checkChunk(Infinity);
    const ranMin = (performance.now() - t0) / 60_000;

    const fmt = (v: number[]) => {
      const s = summary(v);
      return `n=${s.n} p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms, max ${s.max.toFixed(1)} ms`;
    };
    const base = summary(latCalm);
    const ch = summary(latChange);
    const all = summary(latChurn);
    out(
      `ran ${ranMin.toFixed(1)} min; ${probe.sent} queries (${(probe.sent / (ranMin * 60)).toFixed(0)} qps), ${restarts} restarts (${restartErrors} refused), truth sampled every ${TRUTH_EVERY_MS} ms (${truthPoll.failures()} failed samples)`,
    );
    out(
      `wrong answers: ${total.wrong} of ${total.checked} (failed/timeouts ${total.failed}, naming a task not RUNNING ${total.staleOrUnknown}, empty while RUNNING ${total.missing}); ` +
        `allowance ${ALLOWANCE_MS} ms, propagation seen (vs the sampled truth): removals ≤ ${propagation.removed.toFixed(0)} ms, additions ≤ ${propagation.added.toFixed(0)} ms`,
    );
    for (const e of total.examples) out(`  e.g. ${e}`);
    // Who lost the timed-out queries: the DNS server counts every query it answered.
    const answered = await serverAnswered(dc.dnsHttpPort!);
    out(
      `the devcluster's DNS answered ${answered ?? '?'} queries (its beacon_dns_queries_total) of ${probe.sent} sent; ` +
        `this process's own loop stalled over 100 ms ${benchStalls.length} times (longest ${benchStalls.length ? Math.max(...benchStalls).toFixed(0) : 0} ms)`,
    );
    out(`latency calm (baseline, no churn):   ${fmt(latCalm)}`);
    out(`latency under churn (all answers):   ${fmt(latChurn)}`);
    out(`latency within ${CHANGE_WINDOW_MS} ms of a record change: ${fmt(latChange)}`);
    out(
      `ratio to baseline: churn p99 ${(all.p99 / base.p99).toFixed(2)}×, record-change p99 ${(ch.p99 / base.p99).toFixed(2)}×, record-change p50 ${(ch.p50 / base.p50).toFixed(2)}×`,
    );
    const kib = rss.map((r) => r.kib);
    const half = rss.filter((r) => r.t >= ranMin / 2);
    const slopeAll = slope(
      rss.map((r) => r.t),
      kib,
    );
    const slopeHalf = slope(
      half.map((r) => r.t),
      half.map((r) => r.kib),
    );
    const first = kib[0]!;
    out(
      `devcluster RSS (${rss.length} samples, every 5 s): first ${(first / 1024).toFixed(1)} MiB, last ${(kib.at(-1)! / 1024).toFixed(1)} MiB, max ${(Math.max(...kib) / 1024).toFixed(1)} MiB; ` +
        `slope ${(slopeAll / 1024).toFixed(2)} MiB/min overall, ${(slopeHalf / 1024).toFixed(2)} MiB/min over the second half ` +
        `(${Math.abs(slopeHalf) <= first * 0.005 ? 'flat: within 0.5% of the first sample per minute' : 'NOT flat'})`,
    );
    if (TRACE_STALLS) reportStalls(dc.output());
    if (total.wrong > 0) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await probe?.stop();
    await truthPoll?.stop();
    if (dc) await dc.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The DNS server's count of answered queries, from its /metrics. */
async function serverAnswered(httpPort: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    let n = 0;
    for (const l of (await res.text()).split('\n'))
      if (l.startsWith('beacon_dns_queries_total{')) n += Number(l.split(' ').at(-1));
    return n;
  } catch {
    return undefined;
  }
}

/** The `beacon-stall` lines of the devcluster's output: how many, how long, and what ran in them. */
function reportStalls(output: string): void {
  const stalls = output
    .split('\n')
    .filter((l) => l.startsWith('beacon-stall '))
    .map(
      (l) =>
        JSON.parse(l.slice('beacon-stall '.length)) as {
          at: number;
          ms: number;
          during: string[];
          heapUsedMiB: number;
        },
    );
  const ms = stalls.map((s) => s.ms);
  out(
    `main-thread stalls over 100 ms: ${stalls.length}` +
      (stalls.length
        ? `, longest ${Math.max(...ms)} ms, total ${ms.reduce((a, b) => a + b, 0)} ms`
        : ''),
  );
  // The causes, by how much stalled time they overlapped (a stall may list several).
  const causes = new Map<string, { n: number; ms: number }>();
  for (const s of stalls) {
    const kinds = new Set(s.during.map((d) => d.replace(/ [\d.]+ ms$/, '')));
    if (kinds.size === 0) kinds.add('(nothing traced: JavaScript on the loop)');
    for (const k of kinds) {
      const c = causes.get(k) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += s.ms;
      causes.set(k, c);
    }
  }
  for (const [k, c] of [...causes].sort((a, b) => b[1].ms - a[1].ms))
    out(`  ${k}: in ${c.n} stalls (${c.ms} ms stalled)`);
  const mem = output
    .split('\n')
    .filter((l) => l.startsWith('beacon-mem '))
    .map(
      (l) =>
        JSON.parse(l.slice('beacon-mem '.length)) as {
          at: number;
          rss: number;
          heapUsed: number;
          external: number;
        },
    );
  if (mem.length >= 2) {
    const half = mem.slice(Math.floor(mem.length / 2));
    const perMin = (xs: typeof mem, k: 'rss' | 'heapUsed' | 'external') =>
      slope(
        xs.map((m) => m.at / 60_000),
        xs.map((m) => m[k]),
      ).toFixed(2);
    out(
      `devcluster memory (every 10 s, ${mem.length} samples): heap used ${mem[0]!.heapUsed} → ${mem.at(-1)!.heapUsed} MiB ` +
        `(${perMin(mem, 'heapUsed')} MiB/min overall, ${perMin(half, 'heapUsed')} over the second half), external ${mem[0]!.external} → ${mem.at(-1)!.external} MiB, ` +
        `RSS ${mem[0]!.rss} → ${mem.at(-1)!.rss} MiB (${perMin(half, 'rss')} MiB/min over the second half)`,
    );
  }
  for (const s of [...stalls].sort((a, b) => b.ms - a.ms).slice(0, 5))
    out(
      `  ${new Date(s.at).toISOString()} ${s.ms} ms, heap ${s.heapUsedMiB} MiB: ${s.during.join(', ') || '-'}`,
    );
}

await main();
