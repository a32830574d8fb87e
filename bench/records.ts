// `npm run bench -- records [--reps N]`: record generation figures.
// 1) The whole `beacon records --state FILE --format zone > /dev/null` process on a generated
//    50,000-task state with DiscoveryInfo, against a bare `node` process that only reads and
//    JSON.parses the same file (the baseline), alternating, same run; medians and the ratio.
// 2) One task's incremental update (applyTask with a new IP and port) on the 50,000-task set:
//    p50/p99 over 1,000 updates.
// 3) RSS of a process holding the record set of a 100,000-task state (after GC and idle).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MesosTask } from '../src/model/mesos-state.js';
import { parseState } from '../src/model/mesos-state.js';
import { generateRecords, makeRecordsConfig } from '../src/records/index.js';
import { syntheticState } from './lib/synthetic-state.js';
import { movedTask } from './lib/task-change.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const argReps = process.argv.indexOf('--reps');
const REPS = argReps > 0 ? Number(process.argv[argReps + 1]) : Number(process.env.BENCH_REPS ?? 5);
const TASKS = Number(process.env.BENCH_TASKS ?? 50000);
const RSS_TASKS = Number(process.env.BENCH_RSS_TASKS ?? 100000);
const UPDATES = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
const f1 = (n: number) => n.toFixed(1);

/** Wall time of one child process, stdout to /dev/null. */
function timed(args: string[]): number {
  const out = openSync('/dev/null', 'w');
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', out, 'pipe'],
      maxBuffer: 1 << 24,
    });
    const t = performance.now() - t0;
    if (r.status !== 0)
      throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
    return t;
  } finally {
    closeSync(out);
  }
}

function writeState(dir: string, tasks: number): string {
  const file = join(dir, `state-${tasks}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      syntheticState({ tasks, agents: Math.max(1, Math.round(tasks / 50)), discovery: true }),
    ),
  );
  return file;
}

function processRatio(file: string): void {
  const beacon = [join(ROOT, 'bin', 'beacon.js'), 'records', '--state', file, '--format', 'zone'];
  const bare = ['-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`];
  // one warm-up each (page cache, compiled code cache)
  timed(bare);
  timed(beacon);
  const b: number[] = [];
  const n: number[] = [];
  for (let i = 0; i < REPS; i++) {
    n.push(timed(bare));
    b.push(timed(beacon));
  }
  const zone = spawnSync(process.execPath, beacon, { cwd: ROOT, maxBuffer: 1 << 30 }).stdout;
  const lines = zone.toString('latin1').split('\n').length - 1;
  console.log(
    `\n1) whole process: beacon records --format zone > /dev/null (${lines.toLocaleString()} records, ${(zone.length / 1e6).toFixed(0)} MB of zone text)`,
  );
  console.log(
    `   baseline  node -e JSON.parse(readFileSync(file)): median ${f1(median(n))} ms  (runs: ${n.map(f1).join(', ')})`,
  );
  console.log(
    `   beacon records:                              median ${f1(median(b))} ms  (runs: ${b.map(f1).join(', ')})`,
  );
  console.log(`   ratio ${(median(b) / median(n)).toFixed(2)}× (goal ≤ 1.5×)`);
}

function incremental(file: string): void {
  const { state } = parseState(JSON.parse(readFileSync(file, 'utf8')));
  const t0 = performance.now();
  const rs = generateRecords(state, makeRecordsConfig());
  const buildMs = performance.now() - t0;
  const tasks: MesosTask[] = state.frameworks.flatMap((f) => f.tasks);
  const times: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const t = tasks[(i * 7919) % tasks.length]!;
    const next = movedTask(t, i);
    const s = process.hrtime.bigint();
    rs.applyTask(next);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const rem: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const t = tasks[(i * 104729) % tasks.length]!;
    const s = process.hrtime.bigint();
    rs.removeTask(t.frameworkId, t.id);
    rs.applyTask(t);
    rem.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  console.log(
    `\n2) incremental update of one task on the ${tasks.length.toLocaleString()}-task set (full build in-process: ${f1(buildMs)} ms)`,
  );
  console.log(
    `   applyTask (new IP + port), ${UPDATES} updates: p50 ${(pct(times, 50) * 1000).toFixed(0)} µs, p99 ${(pct(times, 99) * 1000).toFixed(0)} µs, max ${f1(Math.max(...times))} ms (goal ≤ 1 ms)`,
  );
  console.log(
    `   removeTask + applyTask, ${UPDATES} pairs:    p50 ${(pct(rem, 50) * 1000).toFixed(0)} µs, p99 ${(pct(rem, 99) * 1000).toFixed(0)} µs`,
  );
}

function rss(file: string): void {
  // A fresh process: load, build, drop the document, GC, idle (V8 returns freed pages), GC.
  const script = `
    import { readFileSync } from 'node:fs';
    import { parseState } from ${JSON.stringify(join(ROOT, 'dist/src/model/mesos-state.js'))};
    import { generateRecords, makeRecordsConfig } from ${JSON.stringify(join(ROOT, 'dist/src/records/index.js'))};
    function load() { return generateRecords(parseState(JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'))).state, makeRecordsConfig()); }
    const rs = load();
    const peak = process.memoryUsage().rss;
    gc(); gc();
    await new Promise((r) => setTimeout(r, 5000));
    gc();
    const m = process.memoryUsage();
    console.log(JSON.stringify({ peak, rss: m.rss, heapUsed: m.heapUsed, names: [...rs.names()].length, counts: rs.counts(), tasks: rs.taskCount() }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: ROOT,
  });
  if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr.toString()}`);
  const o = JSON.parse(r.stdout.toString()) as {
    peak: number;
    rss: number;
    heapUsed: number;
    names: number;
    counts: Record<string, number>;
    tasks: number;
  };
  const recs = Object.values(o.counts).reduce((a, b) => a + b, 0);
  console.log(
    `\n3) memory with ${o.tasks.toLocaleString()} tasks loaded (${o.names.toLocaleString()} names, ${recs.toLocaleString()} records)`,
  );
  console.log(
    `   RSS ${(o.rss / 2 ** 20).toFixed(0)} MiB after GC + idle (heap used ${(o.heapUsed / 2 ** 20).toFixed(0)} MiB; peak RSS while parsing ${(o.peak / 2 ** 20).toFixed(0)} MiB) (goal ≤ 400 MB)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-records-'));
try {
  console.log(
    `records benchmark — node ${process.version}, nproc ${availableParallelism()}, ${cpus()[0]?.model ?? 'cpu'}`,
  );
  const file = writeState(dir, TASKS);
  console.log(
    `state: ${TASKS.toLocaleString()} tasks with DiscoveryInfo, ${(statSync(file).size / 1e6).toFixed(1)} MB JSON; ${REPS} repetitions`,
  );
  processRatio(file);
  incremental(file);
  const big = writeState(dir, RSS_TASKS);
  console.log(
    `\nstate: ${RSS_TASKS.toLocaleString()} tasks, ${(statSync(big).size / 1e6).toFixed(1)} MB JSON`,
  );
  rss(big);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
