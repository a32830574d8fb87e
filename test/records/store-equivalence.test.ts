// Store equivalence (issue 10): what the served record set answers through the RecordSet
// interface — get(name) for every name and type, names(), exists(), counts() — equals the records
// the one-shot generator lists for the same state (listRecords: the same naming code into a plain
// collector, no reference counts, no per-name entries), ordering aside. For the golden fixtures
// and generated states of 1,000-50,000 tasks; and after incremental changes through the store
// (add, remove, move to another agent, IP change, port change) the answers equal a full rebuild's.
// Whatever the store keeps inside (materialised entries today, a compact index later), these hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MesosState, MesosTask } from '../../src/model/mesos-state.js';
import { stateParser } from '../../src/model/mesos-state.js';
import {
  KIND_NAMES,
  listRecords,
  makeRecordsConfig,
  SRV,
  taskHash,
  type RecordSet,
  type RecordsConfig,
} from '../../src/records/index.js';
import { RecordStore } from '../../src/records/store.js';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { countTurns } from '../helpers/loop-turns.js';
import { FIXTURES, loadFixture } from './fixtures.js';

type Answers = Map<string, string>;

/** One name's records as a canonical string: per type, the sorted values. */
function canon(types: Record<string, string[]>): string {
  return KIND_NAMES.map((k) => `${k}: ${[...(types[k] ?? [])].sort().join(' ')}`).join(' | ');
}

/** What the one-shot generator makes: name → canonical records. */
function reference(state: MesosState, cfg: RecordsConfig): Answers {
  const by = new Map<string, Record<string, string[]>>();
  listRecords(state, cfg).forEach((name, kind, value, port) => {
    let t = by.get(name);
    if (!t) by.set(name, (t = {}));
    const v = kind === SRV ? `0/${cfg.srvWeight}/${port}/${value}` : value;
    (t[KIND_NAMES[kind]] ??= []).push(v);
  });
  return new Map([...by].map(([n, t]) => [n, canon(t)]));
}

/** What the served set answers, name by name, through the RecordSet interface only. */
function answers(rs: RecordSet): Answers {
  const out: Answers = new Map();
  for (const name of rs.names()) {
    const r = rs.get(name);
    assert.ok(r, `names() lists ${name} but get() has nothing`);
    assert.ok(rs.exists(name), `exists(${name})`);
    out.set(
      name,
      canon({
        A: r.a,
        AAAA: r.aaaa,
        SRV: r.srv.map((s) => `${s.priority}/${s.weight}/${s.port}/${s.target}`),
        PTR: r.ptr,
      }),
    );
  }
  return out;
}

function assertSameAnswers(rs: RecordSet, ref: Answers, what: string): void {
  const got = answers(rs);
  const missing = [...ref.keys()].filter((n) => !got.has(n));
  const extra = [...got.keys()].filter((n) => !ref.has(n));
  assert.deepEqual(missing.slice(0, 5), [], `${what}: names the generator makes, not served`);
  assert.deepEqual(extra.slice(0, 5), [], `${what}: names served, not made by the generator`);
  let diffs = 0;
  for (const [n, want] of ref) {
    if (got.get(n) === want) continue;
    if (diffs++ < 3) assert.equal(got.get(n), want, `${what}: ${n}`);
  }
  assert.equal(diffs, 0, `${what}: names whose records differ`);
  // counts() agrees with the records served (those of healthy tasks: a type answered only by
  // failing open to unhealthy tasks' records is not counted).
  const c = rs.counts();
  let a = 0;
  let aaaa = 0;
  let srv = 0;
  let ptr = 0;
  for (const name of rs.names()) {
    const r = rs.get(name)!;
    if (!r.failOpen?.a) a += r.a.length;
    if (!r.failOpen?.aaaa) aaaa += r.aaaa.length;
    if (!r.failOpen?.srv) srv += r.srv.length;
    ptr += r.ptr.length;
  }
  assert.deepEqual({ a: c.a, aaaa: c.aaaa, srv: c.srv, ptr: c.ptr }, { a, aaaa, srv, ptr }, what);
  // Ancestors of every name exist (NODATA, not NXDOMAIN); a name below one does not.
  for (const n of ref.keys()) {
    const i = n.indexOf('.');
    if (i > 0 && i < n.length - 1) assert.ok(rs.exists(n.slice(i + 1)), `${what}: exists ${n}`);
  }
  assert.equal(rs.get(`nope-x.${[...ref.keys()][0]}`), undefined);
}

function generated(tasks: number, discovery: boolean, per = 3): MesosState {
  return stateParser(
    syntheticState({
      tasks,
      agents: Math.max(10, Math.round(tasks / 20)),
      discovery,
      instancesPerJob: per,
      portNames: ['http', 'admin'],
    }),
  ).state;
}

function served(state: MesosState, cfg: RecordsConfig): RecordSet {
  const store = new RecordStore(cfg);
  store.loadState(state, 1_700_000_000_000);
  return store.view!;
}

describe('the served set answers what the generator makes', () => {
  for (const name of FIXTURES) {
    it(`golden fixture ${name}`, () => {
      const { parsed, cfg } = loadFixture(name);
      assertSameAnswers(served(parsed.state, cfg), reference(parsed.state, cfg), name);
    });
  }

  for (const [tasks, discovery] of [
    [1000, false],
    [1000, true],
    [10000, true],
    [50000, true],
  ] as const) {
    it(`generated state, ${tasks.toLocaleString()} tasks${discovery ? ' with DiscoveryInfo' : ''}`, () => {
      const state = generated(tasks, discovery);
      const cfg = makeRecordsConfig();
      assertSameAnswers(served(state, cfg), reference(state, cfg), `${tasks} tasks`);
    });
  }
});

/** A copy of `state` whose tasks are `f` of the old ones (undefined drops a task). */
function mapTasks(
  state: MesosState,
  f: (t: MesosTask, i: number) => MesosTask | undefined,
): MesosState {
  let i = 0;
  return {
    ...state,
    frameworks: state.frameworks.map((fw) => ({
      ...fw,
      tasks: fw.tasks.flatMap((t) => {
        const x = f(t, i++);
        return x ? [x] : [];
      }),
    })),
  };
}

function withIp(t: MesosTask, ip: string): MesosTask {
  return {
    ...t,
    statuses: [{ state: 'TASK_RUNNING', timestamp: 3e9, labels: [], networkIps: [ip] }],
  };
}

describe('incremental changes through the store equal a full rebuild', () => {
  const cfg = makeRecordsConfig();
  const base = generated(2000, true);
  // Small enough that every job SRV name's built answer stays cached (MemRecordSet keeps 4,096).
  const small = generated(600, true);
  const agentsOf = (s: MesosState) => s.agents.map((a) => a.id);

  const changes: Array<[string, (s: MesosState) => MesosState]> = [
    ['remove', (s) => mapTasks(s, (t, i) => (i % 7 === 0 ? undefined : t))],
    [
      'add',
      (s) => ({
        ...s,
        frameworks: s.frameworks.map((fw, k) =>
          k > 0
            ? fw
            : {
                ...fw,
                tasks: [
                  ...fw.tasks,
                  ...fw.tasks.slice(0, 50).map((t, i) => ({
                    ...withIp(t, `10.77.0.${i + 1}`),
                    id: `${t.id}-new`,
                    agentId: agentsOf(s)[(i * 5) % s.agents.length]!,
                  })),
                ],
              },
        ),
      }),
    ],
    [
      'move to another agent',
      (s) =>
        mapTasks(s, (t, i) =>
          i % 11 === 0 ? { ...t, agentId: agentsOf(s)[(i * 3 + 1) % s.agents.length]! } : t,
        ),
    ],
    [
      'IP change',
      (s) => mapTasks(s, (t, i) => (i % 13 === 0 ? withIp(t, `10.66.${i >> 8}.${i & 255}`) : t)),
    ],
    [
      'port change',
      (s) =>
        mapTasks(s, (t, i) =>
          i % 17 === 0
            ? {
                ...t,
                ports: [41000 + (i % 500)],
                discovery: t.discovery && {
                  ...t.discovery,
                  ports: t.discovery.ports.map((p, k) => ({ ...p, number: 42000 + i + k })),
                },
              }
            : t,
        ),
    ],
  ];

  // Warm: every job SRV name read before the changes (a smaller state, so that none is evicted
  // from the built answers), and the changes must keep them current (MemRecordSet's tap).
  for (const [what, change] of changes)
    for (const warm of [false, true])
      it(`${what}${warm ? ' (answers read before)' : ''}`, () => {
        const start = warm ? small : base;
        const store = new RecordStore(cfg);
        store.loadState(start, 1_700_000_000_000);
        if (warm) for (const n of store.view!.names()) if (n.startsWith('_')) store.view!.get(n);
        const after = change(start);
        const before = new Map(start.frameworks.flatMap((f) => f.tasks.map((t) => [t.id, t])));
        const now = new Set<string>();
        for (const fw of after.frameworks) {
          for (const t of fw.tasks) {
            now.add(t.id);
            if (before.get(t.id) !== t) store.apply({ type: 'task', task: t });
          }
        }
        for (const [id, t] of before)
          if (!now.has(id)) store.apply({ type: 'task', task: { ...t, state: 'TASK_KILLED' } });
        assertSameAnswers(store.view!, answers(served(after, cfg)), what);
        assertSameAnswers(store.view!, reference(after, cfg), `${what} (generator)`);
      });
});

/** A v0 task for the shared-name cases below. */
function task(
  id: string,
  name: string,
  o: { agent?: string; ip?: string; ports?: string; di?: string; healthy?: boolean } = {},
): Record<string, unknown> {
  return {
    id,
    name,
    framework_id: 'F',
    slave_id: o.agent ?? 'S0',
    state: 'TASK_RUNNING',
    resources: { ports: o.ports ?? '[31000-31001]' },
    statuses: [
      {
        state: 'TASK_RUNNING',
        timestamp: 1,
        ...(o.healthy === undefined ? {} : { healthy: o.healthy }),
        container_status: {
          network_infos: [{ ip_addresses: [{ ip_address: o.ip ?? '10.0.0.5' }] }],
        },
      },
    ],
    ...(o.di
      ? {
          discovery: {
            visibility: 'CLUSTER',
            name: o.di,
            ports: {
              ports: [
                { number: 31000, name: 'http', protocol: 'tcp' },
                { number: 31001, name: 'http' },
              ],
            },
          },
        }
      : {}),
  };
}

/** Job SRV names are made from the job's members when asked (records/job-srv.ts): the cases
 *  where that is not one job's alone, or where members' records coincide. */
describe('job SRV names shared by jobs, other records, or coinciding members', () => {
  const doc = (tasks: Record<string, unknown>[]) => ({
    leader: 'master@10.0.0.9:5050',
    slaves: [
      { id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' },
      { id: 'S1', hostname: 'a1', pid: 'slave(1)@10.0.0.2:5051' },
    ],
    frameworks: [{ id: 'F', name: 'Aurora', pid: 'scheduler@10.0.0.11:8083', tasks }],
  });
  const tasks = [
    // "Web" and "web" are two jobs with the same names
    task('web-0', 'Web', { ip: '10.0.1.1' }),
    task('web-1', 'web', { ip: '10.0.1.2', agent: 'S1' }),
    // a job named "framework": `_framework._tcp.aurora.mesos.` is the scheduler's SRV name too
    task('fw-0', 'framework', { ip: '10.0.2.1' }),
    // one id twice on one agent (same canonical names), and a port listed twice
    task('dup', 'dup', { ip: '10.0.3.1' }),
    task('dup', 'dup', { ip: '10.0.3.2', ports: '[31005-31005,31005-31005]' }),
    // two ids with the same hash (taskHash 3ycx8) on one agent: the same canonical names too
    task('c-1828', 'coll', { ip: '10.0.7.1' }),
    task('c-3164', 'coll', { ip: '10.0.7.2', ports: '[31000-31000]' }),
    // a DiscoveryInfo name that is a valid label as it is: both passes make the same names
    task('api-0', 'api', { ip: '10.0.4.1', di: 'api' }),
    task('api-1', 'api', { ip: '10.0.4.2', di: 'api', agent: 'S1' }),
    // unhealthy members: withheld, answered when none is healthy (fail open)
    task('sick-0', 'sick', { ip: '10.0.5.1', healthy: false }),
    task('half-0', 'half', { ip: '10.0.6.1', healthy: false }),
    task('half-1', 'half', { ip: '10.0.6.2', healthy: true }),
    // job names equal to another task's canonical name (name-hash-tail), made after it and before
    task('shadow-0', `web-${taskHash('web-0')}-s0`, { ip: '10.0.8.1' }),
    task('shadow-1', `zed-${taskHash('zed-0')}-s1`, { ip: '10.0.8.2' }),
    task('zed-0', 'zed', { ip: '10.0.8.3', agent: 'S1' }),
  ];
  const cfgs: Array<[string, RecordsConfig]> = [
    ['default config', makeRecordsConfig()],
    ['health filter, fail open', makeRecordsConfig({ healthFilter: true, healthFailOpen: true })],
  ];

  for (const [what, cfg] of cfgs) {
    it(`a full build (${what})`, () => {
      const state = stateParser(doc(tasks)).state;
      assertSameAnswers(served(state, cfg), reference(state, cfg), what);
    });

    it(`changes to them equal a rebuild (${what})`, () => {
      const store = new RecordStore(cfg);
      const full = stateParser(doc(tasks)).state;
      store.loadState(full, 1_700_000_000_000);
      // Take away, one at a time, the task that makes each case, then bring it back. (Not the
      // repeated id: the event stream knows a task by framework and id, so it is one task there.)
      for (const i of [0, 2, 5, 6, 7, 9, 11, 12, 13, 14]) {
        const gone = full.frameworks[0]!.tasks[i]!;
        store.apply({ type: 'task', task: { ...gone, state: 'TASK_KILLED' } });
        const without = stateParser(doc(tasks.filter((_, k) => k !== i))).state;
        assertSameAnswers(store.view!, reference(without, cfg), `${what}: without ${i}`);
        store.apply({ type: 'task', task: gone });
        assertSameAnswers(store.view!, reference(full, cfg), `${what}: ${i} back`);
      }
    });
  }
});

describe('a repeated task id with one copy waiting for its agent', () => {
  // Found by a fuzzing review: the waiting copy took its twin's key when its agent came, so the
  // twin's records were orphaned (stale after the framework went) and re-adding the twin's agent
  // threw a TypeError.
  const doc = (slaves: string[], withFramework: boolean) => ({
    leader: 'master@10.0.0.9:5050',
    slaves: slaves.map((id, i) => ({
      id,
      hostname: `a${i}`,
      pid: `slave(1)@10.0.0.${i + 1}:5051`,
    })),
    frameworks: withFramework
      ? [
          {
            id: 'F',
            name: 'Aurora',
            pid: 'scheduler@10.0.0.11:8083',
            tasks: [
              task('dup', 'waits', { agent: 'S9', ip: '10.0.3.1' }),
              task('dup', 'runs', { agent: 'S0', ip: '10.0.3.2' }),
            ],
          },
        ]
      : [],
  });
  for (const [what, cfg] of [
    ['default config', makeRecordsConfig()],
    ['host IPs first', makeRecordsConfig({ ipSources: ['host', 'netinfo'] })],
  ] as const) {
    it(`its agent arriving, the framework going and the other agent changing equal rebuilds (${what})`, () => {
      const store = new RecordStore(cfg);
      store.loadState(stateParser(doc(['S0'], true)).state, 1_700_000_000_000);
      const both = stateParser(doc(['S0', 'S9'], true)).state;
      store.apply({ type: 'agent', agent: both.agents[1]! });
      assertSameAnswers(
        store.view!,
        reference(both, cfg),
        `${what}: the waiting copy's agent came`,
      );
      store.apply({ type: 'frameworkRemoved', frameworkId: 'F' });
      const none = stateParser(doc(['S0', 'S9'], false)).state;
      assertSameAnswers(store.view!, reference(none, cfg), `${what}: the framework went`);
      store.apply({ type: 'agent', agent: { ...none.agents[0]!, hostname: 'a0-new' } });
      const renamed = stateParser(doc(['S0', 'S9'], false)).state;
      renamed.agents[0] = { ...renamed.agents[0]!, hostname: 'a0-new' };
      assertSameAnswers(store.view!, reference(renamed, cfg), `${what}: the first agent changed`);
    });
  }
});

describe('names past 254 bytes', () => {
  it('a canonical name past the limit is in no answer (nor any other name)', () => {
    // A framework name of four long labels: `canon.fw.slave.mesos.` passes 254 bytes.
    const fw = ['a', 'b', 'c', 'd'].map((c, i) => c.repeat(i < 3 ? 60 : 50)).join('.');
    const state = stateParser({
      slaves: [{ id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
      frameworks: [
        { id: 'F', name: fw, pid: 'scheduler@10.0.0.11:8083', tasks: [task('web-0', 'web')] },
      ],
    }).state;
    const cfg = makeRecordsConfig();
    const store = new RecordStore(cfg);
    store.loadState(state, 1_700_000_000_000);
    const long: string[] = [];
    store.state!.taskRecords(store.state!.taskGroups()[0]!.tasks[0]!, {
      put: (n) => void (n.length > 254 && !long.includes(n) && long.push(n)),
    });
    assert.ok(long.length > 0, 'the state makes an over-long name');
    for (const n of long) {
      assert.equal(store.view!.get(n), undefined, n);
      assert.equal(store.view!.exists(n), false, n);
    }
    assertSameAnswers(store.view!, reference(state, cfg), 'long framework name');
  });
});

describe('a sliced load (RecordStore.loadStateSliced) equals a whole one', () => {
  const cfg = makeRecordsConfig();
  const first = generated(1000, true);
  const second = mapTasks(generated(3000, true), (t, i) =>
    i % 9 === 0 ? withIp(t, `10.55.${i >> 8}.${i & 255}`) : t,
  );

  it('serves the old set while it builds, then the new one; the event loop turns between slices', async () => {
    const store = new RecordStore(cfg);
    store.loadState(first, 1_700_000_000_000);
    const old = answers(store.view!);
    const sawOld: boolean[] = [];
    // What a DNS query in between gets: the old set, whole.
    const stop = countTurns((turn) => {
      if (turn % 5 === 1) sawOld.push(answers(store.view!).size === old.size);
    });
    // sliceMs 0: yields every 32 tasks, whatever the machine's speed.
    const loading = store.loadStateSliced(second, 1_700_000_100_000, { sliceMs: 0 });
    assert.equal(
      store.view!.counts().a,
      served(first, cfg).counts().a,
      'the old set until the swap',
    );
    await loading;
    const turns = stop();
    assert.ok(turns >= 3000 / 32 - 1, `the event loop turned ${turns} times during the build`);
    assert.ok(sawOld.length > 0 && sawOld.every(Boolean), 'every look in between saw the old set');
    assertSameAnswers(store.view!, answers(served(second, cfg)), 'after the swap');
    assertSameAnswers(store.view!, reference(second, cfg), 'after the swap (generator)');
  });

  it('changes that arrive during the build apply to the old set and to the new one', async () => {
    const store = new RecordStore(cfg);
    store.loadState(first, 1_700_000_000_000);
    const serial0 = store.view!.zone.soa.serial;
    const loading = store.loadStateSliced(second, 1_700_000_100_000, { sliceMs: 0 });
    // One task of the new snapshot moves to another IP, one is killed, one new one starts.
    const tasks = second.frameworks[0]!.tasks;
    const moved = withIp(tasks[1]!, '10.99.0.1');
    const killed = { ...tasks[2]!, state: 'TASK_KILLED' };
    const added = { ...withIp(tasks[3]!, '10.99.0.2'), id: `${tasks[3]!.id}-late` };
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const task of [moved, killed, added]) store.apply({ type: 'task', task });
    assert.ok(
      answers(store.view!).size > 0 && store.view!.zone.soa.serial > serial0,
      'the old set took the changes too',
    );
    await loading;
    const after = mapTasks(second, (t, i) => (i === 1 ? moved : i === 2 ? undefined : t));
    after.frameworks[0]!.tasks.push(added);
    assertSameAnswers(
      store.view!,
      reference(after, cfg),
      'snapshot + changes made during its build',
    );
    assert.ok(store.view!.zone.soa.serial > serial0);
  });

  it('a change before the first snapshot is built is kept for it', async () => {
    const store = new RecordStore(cfg);
    const loading = store.loadStateSliced(second, 1_700_000_100_000, { sliceMs: 0 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(store.view, undefined, 'nothing served before the first load');
    const moved = withIp(second.frameworks[0]!.tasks[1]!, '10.99.0.3');
    store.apply({ type: 'task', task: moved });
    await loading;
    const after = mapTasks(second, (t, i) => (i === 1 ? moved : t));
    assertSameAnswers(store.view!, reference(after, cfg), 'first snapshot + change');
  });
});

describe('a sliced load: abandoned, failing changes, a reload taking over', () => {
  const cfg = makeRecordsConfig();
  const first = generated(1000, true);
  const second = generated(3000, true);

  it('an aborted build rejects and swaps nothing in', async () => {
    const store = new RecordStore(cfg);
    store.loadState(first, 1_700_000_000_000);
    const before = answers(store.view!);
    const abort = new AbortController();
    const loading = store.loadStateSliced(second, 1_700_000_100_000, {
      sliceMs: 0,
      signal: abort.signal,
    });
    abort.abort(new Error('closed while loading state'));
    await assert.rejects(loading, /closed while loading state/);
    assert.deepEqual(answers(store.view!), before, 'the old set still serves, untouched');
    // The store is free for the next load.
    await store.loadStateSliced(second, 1_700_000_200_000, { sliceMs: 0 });
    assertSameAnswers(store.view!, reference(second, cfg), 'the next load');
  });

  it('a replayed change that fails is reported; the others still apply', async () => {
    const store = new RecordStore(cfg);
    store.loadState(first, 1_700_000_000_000);
    const tasks = second.frameworks[0]!.tasks;
    const broken = { ...tasks[1]!, statuses: null as unknown as MesosTask['statuses'] };
    const moved = withIp(tasks[2]!, '10.99.0.7');
    const failed: unknown[] = [];
    const loading = store.loadStateSliced(second, 1_700_000_100_000, {
      sliceMs: 0,
      onReplayError: (e) => failed.push(e),
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.throws(() => store.apply({ type: 'task', task: broken }));
    store.apply({ type: 'task', task: moved });
    await loading;
    assert.equal(failed.length, 1, 'the broken change, once');
    const rs = store.view!;
    const named = [...rs.names()].filter((n) => rs.get(n)!.a.includes('10.99.0.7'));
    assert.ok(named.length > 0, 'the change after the failing one applied');
  });

  it("a reload's new store continues past every serial the old one gave out", async () => {
    const old = new RecordStore(cfg);
    old.loadState(first, 1_000);
    const fresh = new RecordStore(cfg);
    const loading = fresh.loadStateSliced(second, 1_000, { sliceMs: 0 });
    // The old store keeps serving and changing while the new one builds.
    for (let i = 1; i <= 20; i++)
      old.apply({ type: 'task', task: withIp(first.frameworks[0]!.tasks[i]!, `10.98.0.${i}`) });
    await loading;
    const served = old.view!.zone.soa.serial;
    fresh.continueAfter(old);
    assert.ok(
      fresh.view!.zone.soa.serial > served,
      `${fresh.view!.zone.soa.serial} after ${served}`,
    );
  });
});
