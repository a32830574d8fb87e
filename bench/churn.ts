// `npm run bench -- churn`: does a store that follows a long churn of task changes stay the size
// of what it serves? (Issue 10: "stream updates for an hour of churn leave RSS flat".)
// `[--tasks 50000] [--minutes 10] [--rate 200] [--sample-seconds 30] [--no-compact]`
//
// In one process: the records of a 50,000-task state (the scale bench's shape) are built, then
// changed through RecordStore.apply — the way the event stream changes them — at a steady rate
// for --minutes: tasks replaced by new instances (TASK_ADDED with new task ids, often on another
// agent, the old one ended by a TASK_UPDATED), new IPs and health flips (TASK_UPDATED with a new
// status), whole jobs going and new jobs (new names) coming, agents replaced.
// Answers are read meanwhile (get() over the listing, exists() of unknown names), so every cache
// fills. The heap after a full collection and the RSS are sampled every --sample-seconds.
//
// Baselines from the same run: the same figures right after the first build, and a fresh build
// of the final state in the same process (the heap a store of that state needs). What leaks shows
// as a slope over the run and as the churned store's heap above the fresh one's.
import {
  stateParser,
  type MesosAgent,
  type MesosState,
  type MesosStatus,
  type MesosTask,
} from '../src/model/mesos-state.js';
import { makeRecordsConfig } from '../src/records/index.js';
import { RecordStore } from '../src/records/store.js';
import { latestHealth } from '../src/records/task-records.js';
import { Compactor } from '../src/service/heap.js';
import { loadAverage, machine, slope } from './lib/stats.js';
import { syntheticState } from './lib/synthetic-state.js';

function arg(name: string, def: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0 || v > max) {
    process.stderr.write(`--${name} ${process.argv[i + 1]}: expected a number in (0, ${max}]\n`);
    process.exit(2);
  }
  return v;
}
const TASKS = arg('tasks', 50000, 1_000_000);
const MINUTES = arg('minutes', 10, 24 * 60);
const RATE = arg('rate', 200, 100_000); // changes per second
const SAMPLE_S = arg('sample-seconds', 30, 3600);
// The service compacts the old space while changes stream in (service/heap.ts Compactor); the
// bench does as the service does unless told not to (to see what V8 alone keeps).
const COMPACT = !process.argv.includes('--no-compact');
const MiB = 2 ** 20;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const perMin = (n: number) => (Number.isNaN(n) ? 'n/a (fewer than 4 samples)' : `${f2(n)} MiB/min`);
const load = loadAverage;
const gc = (globalThis as { gc?: () => void }).gc;

/** Heap after two full collections, the heap V8 holds for it, and RSS, MiB. */
function memory(): { heap: number; total: number; rss: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MiB, total: m.heapTotal / MiB, rss: m.rss / MiB };
}

/** A small deterministic generator (the run is the same every time). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The churn: keeps the current tasks and agents and makes one change at a time. */
class Churn {
  private readonly r = rng(42);
  private readonly tasks: MesosTask[];
  private readonly agents: MesosAgent[];
  /** The state without its tasks (the churn keeps those). */
  private readonly skeleton: MesosState;
  serial = 0;

  constructor(
    state: MesosState,
    private readonly store: RecordStore,
  ) {
    this.tasks = state.frameworks.flatMap((f) => f.tasks);
    this.agents = [...state.agents];
    this.skeleton = { ...state, frameworks: state.frameworks.map((f) => ({ ...f, tasks: [] })) };
  }

  private status(state: string, healthy?: boolean): MesosStatus {
    const i = ++this.serial;
    return {
      state,
      timestamp: 2e9 + i,
      labels: [],
      networkIps:
        state === 'TASK_RUNNING'
          ? [`10.${100 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`]
          : [],
      ...(healthy === undefined ? {} : { healthy }),
    };
  }

  /** A new instance (TASK_ADDED, running): a new task id, as Aurora gives one. */
  private instance(t: MesosTask): MesosTask {
    const s = this.status('TASK_RUNNING');
    return {
      ...t,
      id: `${t.id.replace(/~\d+$/, '')}~${this.serial}`,
      state: s.state,
      statuses: [s],
    };
  }

  /** A TASK_UPDATED, as the stream source hands it on. */
  private update(t: MesosTask, s: MesosStatus): void {
    this.store.apply({
      type: 'taskStatus',
      update: { taskId: t.id, frameworkId: t.frameworkId, state: s.state, status: s },
    });
  }

  /** Task k ends (`state`) and a new instance of it, `next`, takes its place. */
  private replace(k: number, next: MesosTask, state = 'TASK_KILLED'): void {
    this.update(this.tasks[k]!, this.status(state));
    this.tasks[k] = next;
    this.store.apply({ type: 'task', task: next });
  }

  /** Task k gets a new TASK_RUNNING status: a new address, and a health check result when given. */
  private restatus(k: number, healthy?: boolean): void {
    const t = this.tasks[k]!;
    const s = this.status('TASK_RUNNING', healthy);
    this.update(t, s);
    // The state the master would list: the new status, and the last health result if this has none.
    const health = latestHealth(t.statuses);
    this.tasks[k] = { ...t, statuses: health && healthy === undefined ? [health, s] : [s] };
  }

  step(): void {
    const x = this.r();
    const k = Math.floor(this.r() * this.tasks.length);
    const t = this.tasks[k]!;
    if (x < 0.6) {
      // An instance replaced, on another agent half of the time.
      const agentId =
        this.r() < 0.5 ? this.agents[Math.floor(this.r() * this.agents.length)]!.id : t.agentId;
      this.replace(k, this.instance({ ...t, agentId }));
    } else if (x < 0.8) {
      // A new address, same task (a new TASK_RUNNING status).
      this.restatus(k);
    } else if (x < 0.95) {
      // Health flips.
      this.restatus(k, latestHealth(t.statuses)?.healthy === false);
    } else if (x < 0.99) {
      // A job goes and a new one (new names) takes its instances' places.
      const name = t.name;
      const job = `${name.replace(/-gen\d+$/, '')}-gen${this.serial}`;
      for (let j = Math.max(0, k - 50); j < this.tasks.length && j < k + 50; j++) {
        const u = this.tasks[j]!;
        if (u.name !== name) continue;
        const d = u.discovery;
        const renamed = {
          ...u,
          name: job,
          ...(d ? { discovery: { ...d, name: `${job}.prod` } } : {}),
        };
        this.replace(j, this.instance(renamed));
      }
    } else {
      // An agent replaced (a machine re-registers with a new agent id): its tasks are lost and
      // come back as new instances on the new agent.
      const at = this.agents.findIndex((a) => a.id === t.agentId);
      if (at < 0) return;
      const gone = this.agents[at]!;
      const agent: MesosAgent = { ...gone, id: `${gone.id.replace(/~\d+$/, '')}~${++this.serial}` };
      const on = this.tasks.flatMap((u, j) => (u.agentId === gone.id ? [j] : []));
      for (const j of on) this.update(this.tasks[j]!, this.status('TASK_LOST'));
      this.store.apply({ type: 'agentRemoved', agentId: gone.id });
      this.store.apply({ type: 'agent', agent });
      this.agents[at] = agent;
      for (const j of on) {
        const next = this.instance({ ...this.tasks[j]!, agentId: agent.id });
        this.tasks[j] = next;
        this.store.apply({ type: 'task', task: next });
      }
    }
  }

  /** The state the store should now serve. */
  state(): MesosState {
    return {
      ...this.skeleton,
      agents: [...this.agents],
      frameworks: this.skeleton.frameworks.map((f) => ({
        ...f,
        tasks: this.tasks.filter((t) => t.frameworkId === f.id),
      })),
    };
  }
}

async function main(): Promise<void> {
  console.log(
    `churn benchmark — ${machine()}, ${TASKS.toLocaleString()} tasks, ${RATE} changes/s for ${MINUTES} min, load average ${load()}`,
  );
  if (!gc)
    console.log('   (no --expose-gc: heap figures include garbage; run it through npm run bench)');
  const cfg = makeRecordsConfig({ healthFilter: true, healthFailOpen: true });
  const parsed = stateParser(
    syntheticState({
      tasks: TASKS,
      agents: Math.max(10, Math.round(TASKS / 20)),
      discovery: true,
      instancesPerJob: 3,
      portNames: ['http', 'admin'],
    }),
  ).state;
  let store: RecordStore | undefined = new RecordStore(cfg);
  store.loadState(parsed, Date.now());
  let churn: Churn | undefined = new Churn(parsed, store);
  const start = memory();
  console.log(
    `   after the first build: process heap ${f1(start.heap)} MiB, RSS ${f1(start.rss)} MiB`,
  );

  // Readers: the listing read a slice at a time (a Map may be iterated while it changes), and
  // unknown names (NXDOMAIN: the ancestor index).
  let names = store.view!.names();
  const read = (n: number) => {
    const v = store!.view!;
    for (let i = 0; i < n; i++) {
      const r = names.next();
      if (r.done) {
        names = v.names();
        continue;
      }
      v.get(r.value);
    }
    v.exists(`nope-${churn!.serial}.aurora.mesos.`);
  };

  const compactor = COMPACT ? new Compactor() : undefined;
  const t0 = performance.now();
  const end = t0 + MINUTES * 60_000;
  const xs: number[] = [];
  const heaps: number[] = [];
  const rsss: number[] = [];
  let changes = 0;
  let nextSample = t0 + SAMPLE_S * 1000;
  while (performance.now() < end) {
    // One 100 ms tick: RATE/10 changes and a read of the listing, then the event loop turns.
    const tick = performance.now();
    for (let i = 0; i < RATE / 10; i++, changes++) {
      churn.step();
      compactor?.changed();
    }
    read(200);
    if (performance.now() >= nextSample) {
      const m = memory();
      const min = (performance.now() - t0) / 60_000;
      xs.push(min);
      heaps.push(m.heap);
      rsss.push(m.rss);
      console.log(
        `   ${f1(min).padStart(6)} min: ${changes.toLocaleString()} changes, heap ${f1(m.heap)} MiB (V8 holds ${f1(m.total)}), RSS ${f1(m.rss)} MiB`,
      );
      nextSample += SAMPLE_S * 1000;
    }
    const wait = 100 - (performance.now() - tick);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const last = memory();
  const half = Math.floor(xs.length / 2);
  const heapSlope = xs.length >= 4 ? slope(xs.slice(half), heaps.slice(half)) : NaN;
  const rssSlope = xs.length >= 4 ? slope(xs.slice(half), rsss.slice(half)) : NaN;

  // The baseline: the same process with the churned store replaced by a fresh build of the
  // state it serves (everything else — the churn's tasks, the first document — stays).
  const final = churn.state();
  const tasksNow = final.frameworks.reduce((n, f) => n + f.tasks.length, 0);
  const served = store.view!.counts();
  const withChurned = memory();
  store = undefined;
  churn = undefined;
  names = [].values();
  const fresh = new RecordStore(cfg);
  fresh.loadState(final, Date.now());
  const withFresh = memory();
  const same = JSON.stringify(fresh.view!.counts()) === JSON.stringify(served);

  console.log(
    `   ${changes.toLocaleString()} changes in ${f1((performance.now() - t0) / 60_000)} min (${tasksNow.toLocaleString()} tasks now); old space compacted ${compactor ? `${compactor.compactions} times as the service does (longest ${f1(compactor.longestMs)} ms)` : 'never (--no-compact)'}; load average ${load()}`,
  );
  console.log(
    `   process heap ${f1(start.heap)} → ${f1(last.heap)} MiB (${f2(last.heap / start.heap)}x), slope over the second half ${perMin(heapSlope)}; RSS ${f1(start.rss)} → ${f1(last.rss)} MiB (${f2(last.rss / start.rss)}x), slope ${perMin(rssSlope)}`,
  );
  console.log(
    `   baseline: the process with a fresh build of the final state instead of the churned store: heap ${f1(withFresh.heap)} MiB; with the churned store ${f1(withChurned.heap)} MiB → the churned store holds ${f1(withChurned.heap - withFresh.heap)} MiB more (${f2(withChurned.heap / withFresh.heap)}x)`,
  );
  console.log(
    `   record counts of the churned store ${same ? 'equal' : 'DIFFER from'} the fresh build's (${JSON.stringify(served)})`,
  );
  if (!same) process.exitCode = 1;
}

void main();
