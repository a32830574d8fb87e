// The v1 events as changes, on their own: bytes-free, socket-free, one event at a time. No state
// is kept here: what a change does to the cluster is the record set's (test/records/task-status).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventChanges } from '../../src/model/mesos-events.js';

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

describe('v1 events as changes', () => {
  it('TASK_ADDED yields one task change with the parsed task', () => {
    const r = eventChanges({
      type: 'TASK_ADDED',
      task_added: { task: v1Task('t1', 'TASK_STAGING') },
    });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.changes.length, 1);
    const c = r.changes[0]!;
    assert.equal(c.type, 'task');
    if (c.type === 'task') {
      assert.equal(c.task.id, 't1');
      assert.equal(c.task.state, 'TASK_STAGING');
      assert.deepEqual(c.task.ports, [31000]);
    }
  });

  it('TASK_UPDATED yields the task, its new state and the parsed status', () => {
    const r = eventChanges({
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: id('F1'),
        state: 'TASK_RUNNING',
        status: {
          task_id: id('t1'),
          state: 'TASK_RUNNING',
          timestamp: 7.5,
          healthy: true,
          container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.1.0.1' }] }] },
        },
      },
    });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.changes, [
      {
        type: 'taskStatus',
        update: {
          taskId: 't1',
          frameworkId: 'F1',
          state: 'TASK_RUNNING',
          status: {
            state: 'TASK_RUNNING',
            timestamp: 7.5,
            labels: [],
            networkIps: ['10.1.0.1'],
            healthy: true,
          },
        },
      },
    ]);
  });

  it("TASK_UPDATED without a state takes the status's; an unusable status moves only the state", () => {
    const [a] = eventChanges({
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: id('F1'),
        status: { task_id: id('t1'), state: 'TASK_KILLING' },
      },
    }).changes;
    assert.ok(a?.type === 'taskStatus');
    assert.equal(a.update.state, 'TASK_KILLING');
    const [b] = eventChanges({
      type: 'TASK_UPDATED',
      task_updated: { state: 'TASK_FAILED', status: { task_id: id('t1') } },
    }).changes;
    assert.ok(b?.type === 'taskStatus');
    assert.deepEqual(b.update, {
      taskId: 't1',
      frameworkId: undefined,
      state: 'TASK_FAILED',
      status: undefined,
    });
  });

  it('TASK_UPDATED without a task id is a warning, not a change', () => {
    const r = eventChanges({
      type: 'TASK_UPDATED',
      task_updated: { framework_id: id('F9'), state: 'TASK_RUNNING', status: {} },
    });
    assert.deepEqual(r.changes, []);
    assert.match(r.warnings[0]!.message, /status\.task_id is missing; ignored/);
  });

  it('agents and frameworks come and go', () => {
    const changes = [
      {
        type: 'AGENT_ADDED',
        agent_added: {
          agent: { agent_info: { id: id('S0'), hostname: 'a0' }, pid: 'slave(1)@10.0.0.1:5051' },
        },
      },
      {
        type: 'FRAMEWORK_ADDED',
        framework_added: { framework: { framework_info: { id: id('F1'), name: 'aurora' } } },
      },
      {
        type: 'FRAMEWORK_UPDATED',
        framework_updated: { framework: { framework_info: { id: id('F1'), name: 'thermos' } } },
      },
      { type: 'FRAMEWORK_REMOVED', framework_removed: { framework_info: { id: id('F1') } } },
      { type: 'AGENT_REMOVED', agent_removed: { agent_id: id('S0') } },
    ].flatMap((e) => eventChanges(e).changes);
    assert.deepEqual(
      changes.map((c) => c.type),
      ['agent', 'framework', 'framework', 'frameworkRemoved', 'agentRemoved'],
    );
    const [agent, added, renamed] = changes;
    assert.ok(agent?.type === 'agent' && added?.type === 'framework');
    assert.deepEqual(agent.agent.ips, ['10.0.0.1']);
    assert.equal(added.framework.name, 'aurora');
    assert.ok(renamed?.type === 'framework');
    assert.equal(renamed.framework.name, 'thermos');
    assert.deepEqual(changes.slice(3), [
      { type: 'frameworkRemoved', frameworkId: 'F1' },
      { type: 'agentRemoved', agentId: 'S0' },
    ]);
  });

  it('HEARTBEAT, unknown types and malformed events change nothing', () => {
    for (const e of [{ type: 'HEARTBEAT' }, { type: 'SOMETHING_NEW' }, { type: 'TASK_ADDED' }]) {
      assert.deepEqual(eventChanges(e).changes, []);
    }
    assert.match(eventChanges('garbage').warnings[0]!.message, /not a JSON object/);
    assert.match(eventChanges([1]).warnings[0]!.message, /not a JSON object/);
  });
});
