// The v1 event reducer on its own: bytes-free, socket-free, one event at a time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  emptyModel,
  reduceEvent,
  stateOf,
  taskKey,
  type ClusterModel,
} from '../../src/model/mesos-events.js';

const id = (value: string) => ({ value });

function v1Task(taskId: string, state: string, fw = 'F1') {
  return {
    task_id: id(taskId),
    framework_id: id(fw),
    agent_id: id('S0'),
    name: 'web',
    state,
    resources: [
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] } },
    ],
  };
}

function withTask(): ClusterModel {
  const m = emptyModel();
  reduceEvent(m, { type: 'TASK_ADDED', task_added: { task: v1Task('t1', 'TASK_STAGING') } });
  return m;
}

describe('v1 event reducer', () => {
  it('TASK_ADDED adds a live task and yields one task change', () => {
    const m = emptyModel();
    const r = reduceEvent(m, {
      type: 'TASK_ADDED',
      task_added: { task: v1Task('t1', 'TASK_STAGING') },
    });
    assert.equal(r.model, m);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.changes.length, 1);
    assert.equal(r.changes[0]!.type, 'task');
    assert.ok(m.tasks.has(taskKey('F1', 't1')));
  });

  it('TASK_UPDATED appends the status and moves the state; a terminal state drops the task', () => {
    const m = withTask();
    const running = reduceEvent(m, {
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: id('F1'),
        state: 'TASK_RUNNING',
        status: { task_id: id('t1'), state: 'TASK_RUNNING', healthy: true },
      },
    });
    const t = m.tasks.get(taskKey('F1', 't1'))!;
    assert.equal(t.state, 'TASK_RUNNING');
    assert.equal(t.statuses.at(-1)!.healthy, true);
    assert.equal(running.changes.length, 1);
    reduceEvent(m, {
      type: 'TASK_UPDATED',
      task_updated: { framework_id: id('F1'), state: 'TASK_FAILED', status: { task_id: id('t1') } },
    });
    assert.equal(m.tasks.size, 0);
  });

  it('an update of an unknown task is a warning, not a change', () => {
    const r = reduceEvent(withTask(), {
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: id('F9'),
        state: 'TASK_RUNNING',
        status: { task_id: id('t1') },
      },
    });
    assert.deepEqual(r.changes, []);
    assert.match(r.warnings[0]!.message, /unknown task t1 of framework F9/);
  });

  it('agents and frameworks come and go; a removed framework takes its tasks', () => {
    const m = withTask();
    reduceEvent(m, {
      type: 'AGENT_ADDED',
      agent_added: {
        agent: { agent_info: { id: id('S0'), hostname: 'a0' }, pid: 'slave(1)@10.0.0.1:5051' },
      },
    });
    reduceEvent(m, {
      type: 'FRAMEWORK_ADDED',
      framework_added: { framework: { framework_info: { id: id('F1'), name: 'aurora' } } },
    });
    assert.deepEqual(
      stateOf(m).frameworks.map((f) => [f.name, f.tasks.length]),
      [['aurora', 1]],
    );
    const gone = reduceEvent(m, {
      type: 'FRAMEWORK_REMOVED',
      framework_removed: { framework_info: { id: id('F1') } },
    });
    assert.deepEqual(gone.changes, [{ type: 'frameworkRemoved', frameworkId: 'F1' }]);
    assert.equal(m.tasks.size, 0);
    reduceEvent(m, { type: 'AGENT_REMOVED', agent_removed: { agent_id: id('S0') } });
    assert.equal(m.agents.size, 0);
  });

  it('HEARTBEAT, unknown types and malformed events change nothing', () => {
    const m = withTask();
    for (const e of [{ type: 'HEARTBEAT' }, { type: 'SOMETHING_NEW' }, { type: 'TASK_ADDED' }]) {
      const r = reduceEvent(m, e);
      assert.deepEqual(r.changes, []);
    }
    assert.match(reduceEvent(m, 'garbage').warnings[0]!.message, /not a JSON object/);
    assert.match(reduceEvent(m, [1]).warnings[0]!.message, /not a JSON object/);
    assert.equal(m.tasks.size, 1);
  });
});
