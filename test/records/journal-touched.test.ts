// The zone journal's incremental sync: after each stream change the store names the owners it
// touched (RecordStore.takeTouched) and the journal compares just those. For every kind of change
// — a task killed, a new task, an IP change, a move to another agent, a health flip, an agent
// removed, a ServerSet change — the incremental journal must take the same step as one comparing
// the whole zone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MesosState, MesosTask } from '../../src/model/mesos-state.js';
import { stateParser } from '../../src/model/mesos-state.js';
import { makeRecordsConfig } from '../../src/records/config.js';
import type { RecordChange } from '../../src/records/changes.js';
import { rrText, recordsOf, ZoneJournal } from '../../src/records/journal.js';
import { RecordStore } from '../../src/records/store.js';
import { syntheticState } from '../../bench/lib/synthetic-state.js';

function content(j: ZoneJournal): string {
  const snap = j.snapshot()!;
  try {
    return [...snap.names]
      .sort()
      .map((n) => `${n} ${rrText(recordsOf(snap.get(n)!))}`)
      .join('\n');
  } finally {
    snap.release();
  }
}

function running(t: MesosTask, ip: string, healthy?: boolean): MesosTask {
  return {
    ...t,
    state: 'TASK_RUNNING',
    statuses: [
      {
        state: 'TASK_RUNNING',
        timestamp: 3e9,
        labels: [],
        networkIps: [ip],
        ...(healthy === undefined ? {} : { healthy }),
      },
    ],
  };
}

test('incremental journal sync over touched names equals a whole-zone sync, change by change', () => {
  const state: MesosState = stateParser(
    syntheticState({ tasks: 600, agents: 12, discovery: true, instancesPerJob: 3 }),
  ).state;
  const store = new RecordStore(makeRecordsConfig());
  store.loadState(state, 1_700_000_000_000);
  let now = 1_800_000_000_000;
  const whole = new ZoneJournal('mesos', { history: 50, now: () => now });
  const inc = new ZoneJournal('mesos', { history: 50, now: () => now });
  now += 100; // the first serial waits for the clock to leave the journal's first unit
  assert.equal(store.takeTouched(), 'all', 'a snapshot asks for a whole compare');
  assert.ok(whole.sync(store.view!));
  assert.ok(inc.sync(store.view!));
  const s0 = whole.serial!;

  const tasks = state.frameworks[0]!.tasks;
  const agents = state.agents;
  const changes: [string, RecordChange][] = [
    ['task killed', { type: 'task', task: { ...tasks[0]!, state: 'TASK_KILLED' } }],
    ['new task', { type: 'task', task: running({ ...tasks[1]!, id: 'brand-new' }, '10.9.9.9') }],
    ['IP change', { type: 'task', task: running(tasks[2]!, '10.9.9.10') }],
    [
      'moved to another agent',
      {
        type: 'task',
        task: {
          ...tasks[3]!,
          agentId:
            agents[
              (1 + agents.indexOf(agents.find((a) => a.id === tasks[3]!.agentId)!)) % agents.length
            ]!.id,
        },
      },
    ],
    ['health flips to unhealthy', { type: 'task', task: running(tasks[4]!, '10.9.9.11', false) }],
    ['agent removed', { type: 'agentRemoved', agentId: agents[5]!.id }],
    [
      'ServerSet members',
      {
        type: 'serverset',
        key: 'zk!/aurora/x',
        records: [{ name: 'x.serverset.mesos.', type: 'A', value: '10.8.0.1', port: 0 }],
      },
    ],
    ['ServerSet emptied', { type: 'serverset', key: 'zk!/aurora/x', records: [] }],
  ];
  for (const [what, change] of changes) {
    now += 1000;
    store.apply(change);
    const touched = store.takeTouched();
    assert.notEqual(touched, 'all', `${what}: a stream change names its owners`);
    const movedWhole = whole.sync(store.view!);
    const movedInc = inc.syncNames(store.view!, touched as Set<string>);
    assert.equal(movedInc, movedWhole, `${what}: the same decision to take a serial`);
    assert.ok(movedWhole, `${what}: the zone changed`);
    assert.equal(inc.serial, whole.serial, what);
    assert.equal(content(inc), content(whole), `${what}: the same copy`);
  }
  // The same steps (records removed and added per serial), so IXFR answers alike from either.
  const norm = (j: ZoneJournal) =>
    j.stepsSince(s0)!.map((st) => ({
      from: st.from,
      to: st.to,
      del: st.del.map((x) => x.join(' ')).sort(),
      add: st.add.map((x) => x.join(' ')).sort(),
    }));
  assert.equal(norm(whole).length, changes.length);
  assert.deepEqual(norm(inc), norm(whole));
  assert.equal(inc.historyLength, whole.historyLength);
});

test('a snapshot or a ServerSet replacement asks for a whole compare', () => {
  const store = new RecordStore(makeRecordsConfig());
  const state = stateParser(syntheticState({ tasks: 30, agents: 3, discovery: true })).state;
  store.loadState(state, 1_700_000_000_000);
  assert.equal(store.takeTouched(), 'all');
  assert.equal((store.takeTouched() as Set<string>).size, 0, 'nothing changed since');
  store.loadServersets(new Map());
  assert.equal(store.takeTouched(), 'all');
  store.loadState(state, 1_700_000_001_000);
  assert.equal(store.takeTouched(), 'all');
});

test('a framework address looked up after the load is a touched name too', () => {
  const state = stateParser({
    slaves: [{ id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
    // No pid: the scheduler's address comes from looking its hostname up (source layer).
    frameworks: [{ id: 'F', name: 'Aurora', hostname: 'sched.example', tasks: [] }],
  }).state;
  const store = new RecordStore(makeRecordsConfig());
  store.loadState(state, 1_700_000_000_000);
  let now = 1_800_000_000_000;
  const whole = new ZoneJournal('mesos', { history: 50, now: () => now });
  const inc = new ZoneJournal('mesos', { history: 50, now: () => now });
  now += 100;
  store.takeTouched();
  assert.ok(whole.sync(store.view!));
  assert.ok(inc.sync(store.view!));
  now += 1000;
  assert.equal(store.setFrameworkHostIps('sched.example', ['10.0.0.50']), true);
  const touched = store.takeTouched() as Set<string>;
  assert.ok(touched.has('aurora.mesos.'), `touched: ${[...touched].join(' ')}`);
  assert.equal(whole.sync(store.view!), true, 'the zone changed');
  assert.equal(inc.syncNames(store.view!, touched), true, 'and the touched names show it');
  assert.equal(content(inc), content(whole));
});
