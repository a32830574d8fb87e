// Incremental updates equal a full rebuild: over a few random states, adding tasks one by one,
// removing, updating, and agent/framework changes give exactly the records generateRecords gives
// for the resulting state; names shared by several tasks stay until their last task goes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MesosState, MesosTask } from '../../src/model/mesos-state.js';
import { parseState } from '../../src/model/mesos-state.js';
import { generateRecords, makeRecordsConfig, zoneText } from '../../src/records/index.js';
import { rng, shuffle } from '../helpers/random.js';

/** A random v0 document: few job names (so names are shared), DiscoveryInfo on some tasks,
 *  IPv4/IPv6 netinfo on some, non-running tasks and tasks on unknown agents. */
function randomDoc(seed: number, tasks: number): unknown {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const agents = Array.from({ length: 4 }, (_, i) => ({
    id: `c-S${i}`,
    hostname: `h${i}`,
    pid: i === 3 ? `slave(1)@[fd00::${i + 1}]:5051` : `slave(1)@10.0.0.${i + 1}:5051`,
  }));
  const jobs = ['web', 'api', 'db', 'Big Job', 'x'.repeat(70)];
  const mk = (fw: string, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const job = pick(jobs);
      const p = 31000 + Math.floor(r() * 20);
      const t: Record<string, unknown> = {
        id: `${fw}-${job}-${i}-${Math.floor(r() * 1e6)}`,
        name: `role/env/${job}`,
        slave_id: r() < 0.1 ? 'c-S9' : pick(agents).id,
        state: r() < 0.15 ? 'TASK_FAILED' : 'TASK_RUNNING',
        resources: { ports: r() < 0.3 ? '[]' : `[${p}-${p + Math.floor(r() * 2)}]` },
        statuses:
          r() < 0.5
            ? []
            : [
                {
                  state: 'TASK_RUNNING',
                  timestamp: r(),
                  container_status: {
                    network_infos: [
                      {
                        ip_addresses: [{ ip_address: r() < 0.5 ? `10.9.0.${i}` : `fd00::9:${i}` }],
                      },
                    ],
                  },
                },
              ],
      };
      if (r() < 0.5) {
        t.discovery = {
          name: `${job.replace(/ /g, '_')}.env.role`,
          ports: {
            ports: [
              { number: p, name: pick(['http', 'health', '']), protocol: pick(['TCP', 'udp', '']) },
            ],
          },
        };
      }
      return t;
    });
  return {
    leader: 'master@10.0.0.100:5050',
    slaves: agents,
    frameworks: [
      { id: 'fa', name: 'Aurora', pid: 'scheduler@10.0.0.200:8083', tasks: mk('a', tasks) },
      { id: 'fm', name: 'marathon', hostname: '10.0.0.201', tasks: mk('m', Math.floor(tasks / 3)) },
    ],
  };
}

const cfg = makeRecordsConfig({ selfAddresses: ['10.0.0.5'], masters: ['10.0.0.100:5050'] });

function withTasks(
  state: MesosState,
  keep: (t: MesosTask) => boolean,
  change?: (t: MesosTask) => MesosTask,
): MesosState {
  return {
    ...state,
    frameworks: state.frameworks.map((f) => ({
      ...f,
      tasks: f.tasks.filter(keep).map((t) => (change ? change(t) : t)),
    })),
  };
}

function allTasks(state: MesosState): MesosTask[] {
  return state.frameworks.flatMap((f) => f.tasks);
}

describe('incremental updates equal a full rebuild', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random state ${seed}`, () => {
      const r = rng(seed * 101);
      const { state } = parseState(randomDoc(seed, 40));
      const full = zoneText(generateRecords(state, cfg));

      // add one by one, in random order
      const inc = generateRecords(
        withTasks(state, () => false),
        cfg,
      );
      for (const t of shuffle(allTasks(state), r)) inc.applyTask(t);
      assert.equal(zoneText(inc), full);

      // remove a random third
      const gone = new Set(
        allTasks(state)
          .filter(() => r() < 0.33)
          .map((t) => t.id),
      );
      for (const t of allTasks(state)) if (gone.has(t.id)) inc.removeTask(t.frameworkId, t.id);
      assert.equal(
        zoneText(inc),
        zoneText(
          generateRecords(
            withTasks(state, (t) => !gone.has(t.id)),
            cfg,
          ),
        ),
      );

      // update: some tasks stop running, some get new IPs and ports
      const kept = withTasks(state, (t) => !gone.has(t.id));
      const changed = withTasks(
        kept,
        () => true,
        (t) => {
          const x = r();
          if (x < 0.2) return { ...t, state: 'TASK_KILLED' };
          if (x < 0.4) {
            return {
              ...t,
              ports: [40000 + Math.floor(r() * 10)],
              statuses: [
                {
                  state: 'TASK_RUNNING',
                  timestamp: 9,
                  labels: [],
                  networkIps: [`10.8.0.${Math.floor(r() * 250)}`],
                },
              ],
            };
          }
          return t;
        },
      );
      for (const t of allTasks(changed)) inc.applyTask(t);
      assert.equal(zoneText(inc), zoneText(generateRecords(changed, cfg)));

      // agent goes away and comes back
      const agent = changed.agents[0]!;
      inc.removeAgent(agent.id);
      assert.equal(
        zoneText(inc),
        zoneText(generateRecords({ ...changed, agents: changed.agents.slice(1) }, cfg)),
      );
      inc.applyAgent(agent);
      assert.equal(zoneText(inc), zoneText(generateRecords(changed, cfg)));

      // everything removed: only cluster records remain, none of any task
      for (const t of allTasks(state)) inc.removeTask(t.frameworkId, t.id);
      assert.equal(
        zoneText(inc),
        zoneText(
          generateRecords(
            withTasks(state, () => false),
            cfg,
          ),
        ),
      );
      assert.equal(inc.taskCount(), 0);
    });
  }
});

describe('shared names', () => {
  const doc = {
    slaves: [{ id: 's-S0', pid: 'slave(1)@10.0.0.1:5051' }],
    frameworks: [
      {
        id: 'f',
        name: 'Aurora',
        tasks: [1, 2].map((i) => ({
          id: `t${i}`,
          name: 'r/e/web',
          slave_id: 's-S0',
          state: 'TASK_RUNNING',
          resources: { ports: '[31000-31000]' },
        })),
      },
    ],
  };
  it('stay until the last task that makes them goes', () => {
    const rs = generateRecords(parseState(doc).state, cfg);
    const shared = 'reweb.aurora.mesos.';
    const srv = '_reweb._tcp.aurora.mesos.';
    assert.deepEqual(rs.get(shared)?.a, ['10.0.0.1']);
    assert.equal(rs.get(srv)?.srv.length, 2);
    const before = rs.zone.soa.serial;
    assert.equal(rs.removeTask('f', 't1'), true);
    assert.ok(rs.zone.soa.serial > before, 'serial moves on a change');
    assert.deepEqual(rs.get(shared)?.a, ['10.0.0.1']);
    assert.equal(rs.get(srv)?.srv.length, 1);
    assert.equal(rs.removeTask('f', 't1'), false);
    rs.removeTask('f', 't2');
    assert.equal(rs.get(shared), undefined);
    assert.equal(rs.get(srv), undefined);
    assert.equal(rs.exists('aurora.mesos.'), false);
  });
  it('a task leaving RUNNING through applyTask moves the serial (answer caches must drop it)', () => {
    const rs = generateRecords(parseState(doc).state, cfg);
    const before = rs.zone.soa.serial;
    const killed = parseState({
      ...doc,
      frameworks: [
        {
          ...doc.frameworks[0]!,
          tasks: [{ ...doc.frameworks[0]!.tasks[0]!, state: 'TASK_KILLED' }],
        },
      ],
    }).state.frameworks[0]!.tasks[0]!;
    assert.equal(rs.applyTask(killed), false);
    assert.ok(rs.zone.soa.serial > before, 'serial moves when a task loses its records');
    assert.equal(rs.get('_reweb._tcp.aurora.mesos.')?.srv.length, 1);
    const again = rs.zone.soa.serial;
    assert.equal(rs.applyTask(killed), false);
    assert.equal(rs.zone.soa.serial, again, 'no change, no serial move');
  });
  it('exists() knows empty non-terminals and follows updates', () => {
    const rs = generateRecords(parseState(doc).state, cfg);
    assert.equal(rs.exists('_tcp.aurora.mesos.'), true);
    assert.equal(rs.exists('aurora.mesos.'), true);
    assert.equal(rs.exists('nope.mesos.'), false);
    rs.removeTask('f', 't1');
    rs.removeTask('f', 't2');
    assert.equal(rs.exists('_tcp.aurora.mesos.'), false);
    assert.equal(rs.exists('mesos.'), true, 'ns1/slave records remain under the apex');
  });
});

describe('empty non-terminals follow updates once exists() has been asked', () => {
  /** Every proper ancestor of every listed name (what exists() must say yes to besides them). */
  const ancestorsOf = (rs: { names(): Iterable<string> }): Set<string> => {
    const out = new Set<string>();
    for (const n of rs.names())
      for (let i = n.indexOf('.'); i >= 0 && i < n.length - 1; i = n.indexOf('.', i + 1))
        out.add(n.slice(i + 1));
    return out;
  };
  for (const seed of [11, 12, 13]) {
    it(`random state ${seed}: adds, then removals`, () => {
      const r = rng(seed * 7);
      const { state } = parseState(randomDoc(seed, 30));
      const tasks = shuffle(allTasks(state), r);
      const first = new Set(tasks.slice(0, 10).map((t) => t.id));
      const rs = generateRecords(
        withTasks(state, (t) => first.has(t.id)),
        cfg,
      );
      assert.equal(rs.exists('nope.nowhere.'), false); // builds the index
      // Every ancestor ever seen: after a removal some must stop existing.
      const seen = new Set<string>();
      const check = (what: string) => {
        const want = ancestorsOf(rs);
        const names = new Set(rs.names());
        for (const a of want) seen.add(a);
        for (const a of seen) {
          const expect = want.has(a) || names.has(a);
          assert.equal(rs.exists(a), expect, `${what}: exists(${a})`);
        }
      };
      check('built');
      for (const t of tasks.slice(10)) {
        rs.applyTask(t);
        check(`added ${t.id}`);
      }
      for (const t of tasks) {
        rs.removeTask(t.frameworkId, t.id);
        check(`removed ${t.id}`);
      }
    });
  }
});

describe('frameworks and leader', () => {
  it('framework rename, removal and leader change equal a rebuild', () => {
    const { state } = parseState(randomDoc(9, 20));
    const rs = generateRecords(state, cfg);
    const fw = state.frameworks[0]!;
    const renamed = {
      ...state,
      frameworks: [{ ...fw, name: 'Other.Name' }, ...state.frameworks.slice(1)],
    };
    rs.applyFramework(renamed.frameworks[0]!);
    assert.equal(zoneText(rs), zoneText(generateRecords(renamed, cfg)));
    rs.removeFramework(fw.id);
    const without = { ...state, frameworks: state.frameworks.slice(1) };
    assert.equal(zoneText(rs), zoneText(generateRecords(without, cfg)));
    rs.setLeader({ host: '10.0.0.101', port: 5050 });
    assert.equal(
      zoneText(rs),
      zoneText(generateRecords({ ...without, leader: { host: '10.0.0.101', port: 5050 } }, cfg)),
    );
    rs.setLeader(undefined);
    assert.equal(rs.get('leader.mesos.'), undefined);
  });
  it('a task whose framework or agent arrives later gets its records then', () => {
    const { state } = parseState(randomDoc(11, 10));
    const rs = generateRecords({ agents: [], frameworks: [] }, cfg);
    for (const t of allTasks(state)) assert.equal(rs.applyTask(t), false);
    for (const a of state.agents) rs.applyAgent(a);
    for (const f of state.frameworks) rs.applyFramework(f);
    assert.equal(zoneText(rs), zoneText(generateRecords({ ...state, leader: undefined }, cfg)));
  });
});
