// Task identity (issue: duplicate task IDs were dropped). Mesos guarantees a task id unique only
// within its framework: two frameworks may each run a task `same`, and real states — Mesos-DNS's
// own test state (records/generator_test.go's fake.json, copied to test/fixtures) among them —
// even repeat an id inside one framework. Mesos-DNS names every one of them; so must Beacon, in
// full loads and on the event stream.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventChanges, freeTaskKey } from '../../src/model/mesos-events.js';
import { parseState } from '../../src/model/mesos-state.js';
import { applyStateChange } from '../../src/records/changes.js';
import { DEFAULT_RECORDS_CONFIG, generateRecords, listRecords } from '../../src/records/index.js';
import { TaskKeys } from '../../src/records/state-walk.js';
import { pick, rng } from '../helpers/random.js';
import { ROOT } from './fixtures.js';

const cfg = { ...DEFAULT_RECORDS_CONFIG };

function task(fw: string, id: string, name: string, port: number) {
  return {
    id,
    name,
    framework_id: fw,
    slave_id: 'S0',
    state: 'TASK_RUNNING',
    resources: { ports: `[${port}-${port}]` },
  };
}

const twoFrameworks = {
  leader: 'master@10.0.0.9:5050',
  slaves: [{ id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
  frameworks: [
    { id: 'F1', name: 'aurora', tasks: [task('F1', 'same', 'web', 31000)] },
    { id: 'F2', name: 'marathon', tasks: [task('F2', 'same', 'api', 31001)] },
  ],
};

const srvPorts = (rs: ReturnType<typeof generateRecords>, name: string) =>
  (rs.get(name)?.srv ?? []).map((s) => s.port).sort();

describe('tasks are keyed by framework and task id', () => {
  it('TaskKeys gives the keys freeTaskKey gives over every key given before', () => {
    // Ids that repeat, and ids that look like another id's repeat key (`a\u00001`).
    const ids = ['a', 'b', '1', 'a\u00001', 'a\u00002', 'a\u00001\u00001', 'b\u00001'];
    for (let seed = 1; seed <= 600; seed++) {
      const r = rng(seed);
      // Half the runs with a framework id holding the separator (keyed the slow way).
      const nul = seed % 2 === 0;
      const keys = new TaskKeys(nul);
      const done = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const fw = pick(r, nul ? ['F1', 'F2', 'F1\u0000a'] : ['F1', 'F2', 'F3']);
        const id = pick(r, ids);
        const want = freeTaskKey(fw, id, (k) => done.has(k));
        done.add(want);
        assert.equal(JSON.stringify(keys.next(fw, id)), JSON.stringify(want), `seed ${seed} #${i}`);
      }
    }
  });

  it('two frameworks each with a task `same`: both get records (full load)', () => {
    const { state, warnings } = parseState(twoFrameworks);
    assert.deepEqual(warnings, []);
    const rs = generateRecords(state, cfg);
    assert.deepEqual(srvPorts(rs, '_web._tcp.aurora.mesos.'), [31000]);
    assert.deepEqual(srvPorts(rs, '_api._tcp.marathon.mesos.'), [31001]);
    assert.equal(rs.taskCount(), 2);
    // The one-shot listing (`beacon records`) makes the same choice.
    const listed = new Set<string>();
    listRecords(state, cfg).forEach((name) => listed.add(name));
    assert.ok(listed.has('_api._tcp.marathon.mesos.'));
    assert.ok(listed.has('_web._tcp.aurora.mesos.'));
  });

  it('the event stream keeps both apart: an update of one leaves the other', () => {
    const { state } = parseState(twoFrameworks);
    const rs = generateRecords(state, cfg);
    const killed = eventChanges({
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: { value: 'F2' },
        state: 'TASK_KILLED',
        status: { task_id: { value: 'same' }, agent_id: { value: 'S0' }, state: 'TASK_KILLED' },
      },
    });
    assert.deepEqual(killed.warnings, []);
    assert.equal(killed.changes.length, 1);
    for (const c of killed.changes) assert.equal(applyStateChange(rs, c), undefined);
    assert.deepEqual(srvPorts(rs, '_web._tcp.aurora.mesos.'), [31000]);
    assert.equal(rs.get('_api._tcp.marathon.mesos.'), undefined);
    assert.equal(rs.taskCount(), 1);
    // The incremental result equals a rebuild of the state without F2's task.
    const rebuilt = generateRecords(
      {
        ...state,
        frameworks: state.frameworks.map((f) => (f.id === 'F2' ? { ...f, tasks: [] } : f)),
      },
      cfg,
    );
    assert.deepEqual([...rs.names()].sort(), [...rebuilt.names()].sort());
  });

  it("Mesos-DNS's test state: an id repeated inside one framework serves both tasks, with one warning", () => {
    const doc: unknown = JSON.parse(
      readFileSync(`${ROOT}test/fixtures/mesos-dns-fake.json`, 'utf8'),
    );
    const { state, warnings } = parseState(doc);
    const repeated = warnings.filter((w) => /appears more than once/.test(w.message));
    assert.equal(repeated.length, 1);
    assert.match(repeated[0]!.message, /liquor-store\.b8db9f73/);
    const rs = generateRecords(state, cfg);
    // generator_test.go expects the names of both tasks of the shared id (the second one's
    // DiscoveryInfo names it big.dog).
    assert.ok(rs.get('liquor-store.marathon.mesos.'), 'liquor-store');
    assert.ok(rs.get('big-dog.marathon.mesos.'), 'big-dog');
  });
});
