// Memory under task churn (`npm run bench -- memory [--restarts 600] [--completed 100]`): is the
// devcluster's RSS growth in the soak a leak? An in-process devcluster (2 agents, its DNS in its
// worker thread with the dashboard's mirror, as `beacon devcluster` runs it) restarts the instances
// of a 4-instance job one after another, waiting for each to be RUNNING again; every 50 restarts
// the heap is measured after two full garbage collections (--expose-gc, which `npm run bench`
// passes). The master keeps the last `completed` finished tasks (1,000 in the devcluster; lowered
// here so the bound is reached within the run) and each agent the last 200: once those bounds are
// reached, a flat post-GC heap means the growth was bounded history, a rising one a leak.
// --heap-snapshots: a main-thread heap snapshot where the tail begins and one at the end, and the
// object kinds whose count or size grew between them (what a leak would be made of).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevcluster } from '../src/cluster/devcluster.js';
import { startDevclusterDns } from '../src/cluster/dns.js';
import { loopbackDns } from '../test/helpers/devcluster.js';
import { parseJobText } from '../src/cluster/job-schema.js';
import { freePort, uniqueAgentIp } from '../test/helpers/net.js';
import { machine, slope } from './lib/stats.js';
import { sleeperJob } from './lib/sleeper-job.js';

function arg(name: string, def: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(v) || v <= 0 || v > max) {
    process.stderr.write(`--${name} ${process.argv[i + 1]}: expected an integer in [1, ${max}]\n`);
    process.exit(2);
  }
  return v;
}

const RESTARTS = arg('restarts', 600, 5000);
const COMPLETED = arg('completed', 100, 1000);
const EVERY = 50;
const SNAPSHOTS = process.argv.includes('--heap-snapshots');
const KEY = 'devcluster/bench/prod/churn';
const JOB = sleeperJob(KEY, 4);

const out = (line: string) => process.stdout.write(`${line}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (n: number) => n / 1048576;

/** Count and self size by (node type, constructor/name) of a .heapsnapshot file. */
function kinds(path: string): Map<string, { n: number; size: number }> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { n: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + iType!]!]!;
    let name = snap.strings[snap.nodes[i + iName!]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string')
      name = '(string)';
    else if (name.length > 60) name = `${name.slice(0, 60)}…`;
    const key = `${type} ${name}`;
    const e = out.get(key) ?? { n: 0, size: 0 };
    e.n++;
    e.size += snap.nodes[i + iSize!]!;
    out.set(key, e);
  }
  return out;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (npm run bench -- memory does)');
  out(
    `memory: ${RESTARTS} restarts of a 4-instance job on an in-process devcluster with its DNS worker; master keeps ${COMPLETED} completed tasks, agents 200 each (${machine()})`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-mem-'));
  const dc = await startDevcluster({
    dataDir: dir,
    masterPort: await freePort(),
    agentIp: uniqueAgentIp(),
    agentPort: await freePort(),
    zkPort: await freePort(),
    exampleJob: undefined,
  });
  (dc.master.options as { completedLimit?: number }).completedLimit = COMPLETED;
  const dns = await startDevclusterDns({
    ...(await loopbackDns(dc)),
    source: 'stream',
    refreshSeconds: 1,
    serversetsZk: dc.zkConnectString,
    attach: (d) => dc.dashboard.attachDns(d),
  });
  const points: {
    restarts: number;
    heap: number;
    workerHeap: number;
    rss: number;
    completed: number;
  }[] = [];
  const measure = async (restarts: number) => {
    const w = await dns.memory();
    gc();
    gc();
    const m = process.memoryUsage();
    points.push({
      restarts,
      heap: mib(m.heapUsed),
      workerHeap: mib(w.heapUsed),
      rss: mib(m.rss),
      completed: dc.master.completedTasks().length,
    });
    const p = points.at(-1)!;
    out(
      `  ${restarts} restarts: heap after GC ${p.heap.toFixed(1)} MiB (main thread), ${p.workerHeap.toFixed(1)} MiB (DNS worker), RSS ${p.rss.toFixed(1)} MiB, master completed tasks ${p.completed}`,
    );
  };
  const running = (i: number, not?: string) =>
    dc.scheduler
      .status(KEY)
      .instances.find((x) => x.instance === i && x.status === 'RUNNING' && x.taskId !== not);
  try {
    dc.scheduler.create(KEY, parseJobText(JOB, 'churn.yaml'));
    const snapAt: { restarts: number; path: string }[] = [];
    const deadline = Date.now() + 30 * 60_000;
    const waitRunning = async (i: number, not?: string) => {
      while (!running(i, not)) {
        if (Date.now() > deadline) throw new Error('bounded at 30 minutes');
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    for (let i = 0; i < 4; i++) await waitRunning(i);
    await measure(0);
    for (let n = 1; n <= RESTARTS; n++) {
      const i = n % 4;
      const before = running(i)!.taskId;
      dc.scheduler.restart(KEY, [i]);
      await waitRunning(i, before);
      if (n % EVERY === 0) await measure(n);
      const tailStart = Math.max(COMPLETED, 400) + EVERY;
      if (SNAPSHOTS && (n === tailStart || n === RESTARTS) && n >= tailStart) {
        gc();
        snapAt.push({ restarts: n, path: writeHeapSnapshot(join(dir, `at-${n}.heapsnapshot`)) });
      }
    }
    // Past both bounds (the master's and the agents' 2 × 200): the history no longer grows.
    const bound = Math.max(COMPLETED, 400) + EVERY;
    if (SNAPSHOTS && snapAt.length === 2) {
      const [a, b] = snapAt.map((s) => kinds(s.path));
      const grew = [...b!]
        .map(([k, v]) => ({
          k,
          dn: v.n - (a!.get(k)?.n ?? 0),
          ds: v.size - (a!.get(k)?.size ?? 0),
        }))
        .filter((g) => g.dn > 0)
        .sort((x, y) => y.ds - x.ds)
        .slice(0, 12);
      out(
        `heap snapshot ${snapAt[0]!.restarts} → ${snapAt[1]!.restarts} restarts, kinds that grew most (count, bytes):`,
      );
      for (const g of grew) out(`    +${g.dn} (+${(g.ds / 1024).toFixed(1)} KiB) ${g.k}`);
      for (const s of snapAt) rmSync(s.path, { force: true });
    }
    const tail = points.filter((p) => p.restarts >= bound);
    if (tail.length >= 3) {
      const s = slope(
        tail.map((p) => p.restarts / 100),
        tail.map((p) => p.heap),
      );
      const r = slope(
        tail.map((p) => p.restarts / 100),
        tail.map((p) => p.rss),
      );
      const w = slope(
        tail.map((p) => p.restarts / 100),
        tail.map((p) => p.workerHeap),
      );
      out(
        `past the history bounds (${tail[0]!.restarts}–${tail.at(-1)!.restarts} restarts): heap after GC ${tail[0]!.heap.toFixed(1)} → ${tail.at(-1)!.heap.toFixed(1)} MiB, ` +
          `slope ${s.toFixed(2)} MiB per 100 restarts (${Math.abs(s) < 0.25 ? 'flat' : 'RISING'}); DNS worker heap ${tail[0]!.workerHeap.toFixed(1)} → ${tail.at(-1)!.workerHeap.toFixed(1)} MiB, ` +
          `slope ${w.toFixed(2)} MiB per 100 restarts (${Math.abs(w) < 0.25 ? 'flat' : 'RISING'}); RSS slope ${r.toFixed(2)} MiB per 100 restarts`,
      );
    } else
      out(
        `too few restarts past the history bounds (${bound}) to judge; use --restarts ${bound + 3 * EVERY} or more`,
      );
    const first = points[0]!;
    const atBound = points.find((p) => p.restarts >= Math.min(COMPLETED, 400)) ?? points.at(-1)!;
    out(
      `growth while the history filled (0–${atBound.restarts} restarts): heap ${first.heap.toFixed(1)} → ${atBound.heap.toFixed(1)} MiB, ` +
        `≈ ${(((atBound.heap - first.heap) * 1024) / Math.max(1, atBound.restarts)).toFixed(1)} KiB per completed task kept`,
    );
  } finally {
    await dns.close();
    await dc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
