// TASK_UPDATED applied by the record set (no second model of the cluster in the stream source):
// after any sequence of v1 events, the set equals a full build of the master's state after them —
// the state kept here the way the master keeps it, each task with its whole status list. Tasks
// start, run, change address and health, stop, come back from UNREACHABLE and end; agents leave
// and return; frameworks go. Every step is compared, under several IP-source and health configs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventChanges } from '../../src/model/mesos-events.js';
import {
  parseState,
  type MesosState,
  type MesosStatus,
  type MesosTask,
} from '../../src/model/mesos-state.js';
import { applyStateChange } from '../../src/records/changes.js';
import { RecordStore } from '../../src/records/store.js';
import {
  generateRecords,
  makeRecordsConfig,
  zoneText,
  type RecordsConfig,
} from '../../src/records/index.js';
import { pick, rng } from '../helpers/random.js';

const id = (value: string) => ({ value });
const TERMINAL = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST'];
const JOBS = ['web', 'api', 'db'];

function startState(r: () => number): unknown {
  const slaves = [0, 1, 2].map((i) => ({
    id: `S${i}`,
    hostname: `h${i}`,
    pid: `slave(1)@10.0.0.${i + 1}:5051`,
  }));
  const tasks = (fw: string) =>
    Array.from({ length: 12 }, (_, i) => {
      const job = pick(r, JOBS);
      const t: Record<string, unknown> = {
        id: `${fw}-${job}-${i}`,
        name: job,
        slave_id: pick(r, ['S0', 'S1', 'S2', 'S2', 'S9']),
        state: pick(r, ['TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_STAGING']),
        resources: { ports: `[${31000 + i}-${31000 + i}]` },
        // Several statuses, timestamps tied at times, health on some: what a task that waits
        // keeps of them must pick what the whole list picks (latestRunning, isHealthy).
        statuses: Array.from({ length: 1 + Math.floor(r() * 3) }, (_, k) => ({
          state: pick(r, ['TASK_RUNNING', 'TASK_RUNNING', 'TASK_STARTING']),
          timestamp: 1 + Math.floor(r() * 3),
          ...ipsOf(r, i * 4 + k),
          ...(r() < 0.6 ? { healthy: r() < 0.7 } : {}),
        })),
      };
      if (r() < 0.5)
        t.discovery = {
          name: `${job}.prod`,
          ports: { ports: [{ number: 31000 + i, name: 'http', protocol: 'tcp' }] },
        };
      return t;
    });
  return {
    leader: 'master@10.0.0.100:5050',
    slaves,
    frameworks: [
      { id: 'F1', name: 'aurora', pid: 'scheduler@10.0.0.200:8083', tasks: tasks('a') },
      { id: 'F2', name: 'marathon', pid: 'scheduler@10.0.0.201:8080', tasks: tasks('m') },
    ],
  };
}

/** A status's addresses: netinfo, a Mesos containerizer label, both or none. */
function ipsOf(r: () => number, n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const x = r();
  if (x < 0.6)
    out.container_status = {
      network_infos: [
        { ip_addresses: [{ ip_address: `10.9.${n % 250}.${Math.floor(r() * 250)}` }] },
      ],
    };
  if (x > 0.4)
    out.labels = [
      {
        key: 'MesosContainerizer.NetworkSettings.IPAddress',
        value: `10.7.0.${Math.floor(r() * 250)}`,
      },
    ];
  return out;
}

/** The master's side: tasks with every status, as a rebuild would read them. */
class Master {
  constructor(public state: MesosState) {}
  tasks(): MesosTask[] {
    return this.state.frameworks.flatMap((f) => f.tasks);
  }
  update(fwId: string, taskId: string, state: string, status: MesosStatus | undefined): void {
    for (const f of this.state.frameworks) {
      if (f.id !== fwId) continue;
      f.tasks = TERMINAL.includes(state)
        ? f.tasks.filter((t) => t.id !== taskId)
        : f.tasks.map((t) =>
            t.id !== taskId
              ? t
              : { ...t, state, statuses: status ? [...t.statuses, status] : t.statuses },
          );
    }
  }
}

function v1Status(r: () => number, taskId: string, state: string, ts: number, n: number) {
  const s: Record<string, unknown> = { task_id: id(taskId), state, timestamp: ts };
  if (state === 'TASK_RUNNING') {
    const ips = ipsOf(r, n);
    // v1 wraps labels ({labels: […]}).
    if (ips.labels) ips.labels = { labels: ips.labels };
    Object.assign(s, ips);
    const h = r();
    if (h < 0.5) s.healthy = h < 0.25;
  }
  return s;
}

function run(seed: number, cfg: RecordsConfig): void {
  const r = rng(seed);
  const { state } = parseState(startState(r));
  const master = new Master(state);
  const inc = generateRecords(structuredClone(state), cfg);
  const check = (what: string) =>
    assert.equal(
      zoneText(inc),
      zoneText(generateRecords(master.state, cfg)),
      `seed ${seed}: ${what}`,
    );
  check('start');
  let ts = 10;
  for (let step = 0; step < 120; step++) {
    const live = master.tasks();
    const x = r();
    if (x < 0.75 && live.length > 0) {
      const t = pick(r, live);
      const state = pick(r, [
        'TASK_RUNNING',
        'TASK_RUNNING',
        'TASK_RUNNING',
        'TASK_STARTING',
        'TASK_KILLING',
        'TASK_UNREACHABLE',
        ...TERMINAL,
      ]);
      // Now and then an update whose status is unusable (no state): only the state moves, and
      // the statuses the task had decide its addresses and health.
      const status = r() < 0.15 ? { task_id: id(t.id) } : v1Status(r, t.id, state, ts++, step);
      const event = {
        type: 'TASK_UPDATED',
        task_updated: { framework_id: id(t.frameworkId), state, status },
      };
      const { changes, warnings } = eventChanges(event);
      assert.deepEqual(warnings, []);
      assert.equal(changes.length, 1);
      const c = changes[0]!;
      assert.equal(c.type, 'taskStatus');
      if (c.type !== 'taskStatus') return;
      master.update(t.frameworkId, t.id, state, c.update.status);
      assert.equal(applyStateChange(inc, c), undefined, `seed ${seed}: ${t.id} is held`);
      check(`step ${step}: ${t.id} → ${state}`);
    } else if (x < 0.85) {
      // A new task: TASK_ADDED while staging, running later through TASK_UPDATED.
      const fw = pick(r, master.state.frameworks);
      const task: MesosTask = {
        id: `new-${step}`,
        name: pick(r, JOBS),
        frameworkId: fw.id,
        agentId: pick(r, ['S0', 'S1', 'S2']),
        state: 'TASK_STAGING',
        ports: [32000 + step],
        statuses: [],
        labels: [],
      };
      fw.tasks = [...fw.tasks, task];
      inc.applyTask(task);
      check(`step ${step}: ${task.id} added`);
    } else if (x < 0.95) {
      // An agent leaves (its tasks keep their specs) and comes back.
      const agent = pick(r, master.state.agents);
      inc.removeAgent(agent.id);
      assert.equal(
        zoneText(inc),
        zoneText(
          generateRecords(
            { ...master.state, agents: master.state.agents.filter((a) => a !== agent) },
            cfg,
          ),
        ),
        `seed ${seed}: step ${step} without ${agent.id}`,
      );
      inc.applyAgent(agent);
      check(`step ${step}: ${agent.id} back`);
    } else {
      // A task of an agent that is gone updated while the agent is away.
      const agent = pick(r, master.state.agents);
      const t = live.find((u) => u.agentId === agent.id && u.state === 'TASK_RUNNING');
      if (!t) continue;
      inc.removeAgent(agent.id);
      const without = { ...master.state, agents: master.state.agents.filter((a) => a !== agent) };
      const s = v1Status(r, t.id, 'TASK_RUNNING', ts++, step);
      const [c] = eventChanges({
        type: 'TASK_UPDATED',
        task_updated: { framework_id: id(t.frameworkId), state: 'TASK_RUNNING', status: s },
      }).changes;
      if (c?.type !== 'taskStatus') assert.fail('a status change');
      master.update(t.frameworkId, t.id, 'TASK_RUNNING', c.update.status);
      applyStateChange(inc, c);
      assert.equal(
        zoneText(inc),
        zoneText(generateRecords({ ...without, frameworks: master.state.frameworks }, cfg)),
        `seed ${seed}: step ${step} parked update`,
      );
      inc.applyAgent(agent);
      check(`step ${step}: ${agent.id} back after a parked update`);
    }
  }
  // A framework goes with every task it has, running or not.
  const fw = master.state.frameworks[0]!;
  inc.removeFramework(fw.id);
  master.state = { ...master.state, frameworks: master.state.frameworks.slice(1) };
  check('framework removed');
  const gone = fw.tasks[0];
  if (gone) {
    const [c] = eventChanges({
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: id(fw.id),
        state: 'TASK_RUNNING',
        status: { task_id: id(gone.id), state: 'TASK_RUNNING' },
      },
    }).changes;
    assert.match(applyStateChange(inc, c!) ?? '', /unknown task .* of framework F1; ignored/);
  }
}

/** A v0 state of agent S0 and framework F1 with one task t1 `web` (port 31000), `task` over it. */
function oneTask(task: Record<string, unknown>, o: { agentIp?: string; fwName?: string } = {}) {
  return parseState({
    slaves: [{ id: 'S0', hostname: 'h0', pid: `slave(1)@${o.agentIp ?? '10.0.0.1'}:5051` }],
    frameworks: [
      {
        id: 'F1',
        name: o.fwName ?? 'aurora',
        tasks: [
          { id: 't1', name: 'web', slave_id: 'S0', resources: { ports: '[31000-31000]' }, ...task },
        ],
      },
    ],
  }).state;
}

/** The change of a TASK_UPDATED of F1's `taskId`. */
function statusChange(taskId: string, state: string, status: Record<string, unknown>) {
  const [c] = eventChanges({
    type: 'TASK_UPDATED',
    task_updated: { framework_id: id('F1'), state, status: { task_id: id(taskId), ...status } },
  }).changes;
  assert.ok(c);
  return c;
}

const configs: [string, RecordsConfig][] = [
  [
    'netinfo, mesos, host; health filter',
    makeRecordsConfig({ ipSources: ['netinfo', 'mesos', 'host'] }),
  ],
  ['host, mesos; health filter', makeRecordsConfig({ ipSources: ['host', 'mesos'] })],
  [
    'mesos, netinfo; no health filter',
    makeRecordsConfig({ ipSources: ['mesos', 'netinfo'], healthFilter: false }),
  ],
];

describe('TASK_UPDATED applied by the record set equals a rebuild of the master state', () => {
  for (const [name, cfg] of configs) {
    it(name, () => {
      for (let seed = 1; seed <= 25; seed++) run(seed, cfg);
    });
  }

  it('a task that waited while its agent and framework changed runs with their new values', () => {
    const cfg = makeRecordsConfig({ ipSources: ['host'] });
    const rs = generateRecords(oneTask({ state: 'TASK_RUNNING' }), cfg);
    const update = (state: string) =>
      assert.equal(applyStateChange(rs, statusChange('t1', state, { state })), undefined);
    update('TASK_UNREACHABLE');
    const after = oneTask({ state: 'TASK_RUNNING' }, { agentIp: '10.0.0.2', fwName: 'thermos' });
    rs.applyAgent(after.agents[0]!);
    rs.applyFramework(after.frameworks[0]!);
    update('TASK_RUNNING');
    assert.equal(zoneText(rs), zoneText(generateRecords(after, cfg)));
    assert.deepEqual(rs.get('web.thermos.mesos.')?.a, ['10.0.0.2']);
  });

  it('tasks of a framework never announced go with its FRAMEWORK_REMOVED', () => {
    const cfg = makeRecordsConfig({});
    const rs = generateRecords(
      parseState({ slaves: [{ id: 'S0', hostname: 'h0', pid: 'slave(1)@10.0.0.1:5051' }] }).state,
      cfg,
    );
    const task = (tid: string, state: string) => ({
      type: 'TASK_ADDED',
      task_added: {
        task: { task_id: id(tid), framework_id: id('F9'), agent_id: id('S0'), name: 'web', state },
      },
    });
    for (const e of [task('staged', 'TASK_STAGING'), task('running', 'TASK_RUNNING')])
      for (const c of eventChanges(e).changes) assert.equal(applyStateChange(rs, c), undefined);
    for (const c of eventChanges({
      type: 'FRAMEWORK_REMOVED',
      framework_removed: { framework_info: { id: id('F9') } },
    }).changes)
      applyStateChange(rs, c);
    for (const tid of ['staged', 'running']) {
      const [c] = eventChanges({
        type: 'TASK_UPDATED',
        task_updated: {
          framework_id: id('F9'),
          state: 'TASK_RUNNING',
          status: { task_id: id(tid), state: 'TASK_RUNNING' },
        },
      }).changes;
      assert.match(
        applyStateChange(rs, c!) ?? '',
        new RegExp(`unknown task ${tid} of framework F9`),
      );
    }
  });

  it('a waiting task keeps the statuses a rebuild picks, ties included', () => {
    const cfg = makeRecordsConfig({ ipSources: ['netinfo'] });
    const st = (state: string, ip: string, healthy?: boolean) => ({
      state,
      timestamp: 3,
      container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] },
      ...(healthy === undefined ? {} : { healthy }),
    });
    const doc = (state: string) =>
      oneTask({
        state,
        // Equal timestamps: the first running one gives the address, the last with a health
        // result the health.
        statuses: [
          st('TASK_STARTING', '10.0.9.9'),
          st('TASK_RUNNING', '10.0.9.1'),
          st('TASK_RUNNING', '10.0.9.2', false),
          st('TASK_RUNNING', '10.0.9.3', true),
          st('TASK_RUNNING', '10.0.9.4', false),
        ],
      });
    const rs = generateRecords(doc('TASK_STAGING'), cfg);
    // Running, with no usable status of its own: what it had decides.
    assert.equal(applyStateChange(rs, statusChange('t1', 'TASK_RUNNING', {})), undefined);
    const rebuilt = generateRecords(doc('TASK_RUNNING'), cfg);
    assert.equal(zoneText(rs), zoneText(rebuilt));
    assert.ok(zoneText(rs).includes('10.0.9.1'));
  });

  it("during a resubscription's build, an update of a task only the new snapshot holds waits for it, without a warning", async () => {
    const store = new RecordStore(makeRecordsConfig({}));
    const state = (tasks: Record<string, unknown>[]) =>
      parseState({
        slaves: [{ id: 'S0', hostname: 'h0', pid: 'slave(1)@10.0.0.1:5051' }],
        frameworks: [{ id: 'F1', name: 'aurora', tasks }],
      }).state;
    const filler = Array.from({ length: 300 }, (_, i) => ({
      id: `f${i}`,
      name: `job${i}`,
      slave_id: 'S0',
      state: 'TASK_RUNNING',
    }));
    store.loadState(state(filler), Date.now());
    const staged = { id: 't2', name: 'late', slave_id: 'S0', state: 'TASK_STAGING' };
    const building = store.loadStateSliced(state([...filler, staged]), Date.now(), { sliceMs: 0 });
    const running = { state: 'TASK_RUNNING' };
    const c = statusChange('t2', 'TASK_RUNNING', running);
    assert.equal(store.apply(c), undefined, 'no warning: the set being built takes it');
    await building;
    assert.deepEqual(store.view?.get('late.aurora.mesos.')?.a, ['10.0.0.1']);
    // With no build running, the same update of a task no set holds is a warning.
    const d = statusChange('nope', 'TASK_RUNNING', running);
    assert.match(store.apply(d) ?? '', /unknown task nope/);
  });

  it('an update without framework_id finds the task by its id, served or waiting', () => {
    // Mesos always names the framework; an update that does not is applied to the first task of
    // that id the set holds (served, then parked, then waiting).
    const rs = generateRecords(oneTask({ state: 'TASK_RUNNING' }), makeRecordsConfig({}));
    const bare = (taskId: string, state: string, status: Record<string, unknown> = { state }) => {
      const [c] = eventChanges({
        type: 'TASK_UPDATED',
        task_updated: { state, status: { task_id: id(taskId), ...status } },
      }).changes;
      assert.ok(c && c.type === 'taskStatus' && c.update.frameworkId === undefined);
      return c;
    };
    assert.equal(applyStateChange(rs, bare('t1', 'TASK_KILLING')), undefined);
    assert.equal(rs.get('web.aurora.mesos.'), undefined, 'served, then waiting');
    const running = { state: 'TASK_RUNNING', timestamp: 3 };
    assert.equal(applyStateChange(rs, bare('t1', 'TASK_RUNNING', running)), undefined);
    assert.deepEqual(rs.get('web.aurora.mesos.')?.a, ['10.0.0.1'], 'waiting, then served again');
    assert.match(applyStateChange(rs, bare('nope', 'TASK_RUNNING')) ?? '', /unknown task nope;/);
  });

  it('a task staged in the snapshot runs on its TASK_UPDATED', () => {
    const rs = generateRecords(oneTask({ state: 'TASK_STAGING' }), makeRecordsConfig({}));
    assert.equal(rs.get('web.aurora.mesos.'), undefined);
    const c = statusChange('t1', 'TASK_RUNNING', { state: 'TASK_RUNNING', timestamp: 2 });
    assert.equal(applyStateChange(rs, c), undefined);
    assert.deepEqual(rs.get('web.aurora.mesos.')?.a, ['10.0.0.1']);
  });
});
