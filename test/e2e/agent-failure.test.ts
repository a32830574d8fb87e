// Agent failure, end to end: failing an agent makes its tasks TASK_LOST (reason
// REASON_AGENT_REMOVED), they are rescheduled on the other agent, the failed agent's processes are
// gone and its ServerSet members vanish with its session; the agent leaves /master/state.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Coordination } from '../../src/zk/types.js';
import { waitFor } from '../helpers/wait.js';
import { post } from '../helpers/http.js';
import {
  jobStatus,
  masterState,
  members,
  processesMentioning,
  startDevclusterProc,
  waitRunning,
  zkClient,
  type DevclusterProc,
} from './devcluster-proc.js';

let dc: DevclusterProc;
let zk: Coordination;
before(async () => {
  dc = await startDevclusterProc();
  zk = await zkClient(dc.zk);
});
after(async () => {
  await zk?.close();
  await dc?.stop();
});

test("a failed agent's tasks are LOST and rescheduled on the other agent", async () => {
  const before = await waitRunning(dc.masterUrl, 2);
  const failed = dc.agentIp; // agent 0
  const other = dc.agentIp.replace(/\.1$/, '.2');
  const lostTask = before.find((i) => i.host === failed)!;
  const res = await post(`${dc.masterUrl}/devcluster/agents/${failed}/fail`, {});
  assert.equal(res.status, 200, res.text);

  const after = await waitFor(
    'both instances running on the other agent',
    async () => {
      const v = await jobStatus(dc.masterUrl);
      return v && v.every((i) => i.status === 'RUNNING' && i.host === other) ? v : undefined;
    },
    30000,
    100,
  );
  assert.notEqual(after.find((i) => i.instance === lostTask.instance)!.taskId, lostTask.taskId);

  const state = (await masterState(dc.masterUrl)) as {
    slaves: { hostname: string }[];
    frameworks: { completed_tasks: { id: string; state: string; slave_id: string }[] }[];
  };
  assert.deepEqual(
    state.slaves.map((s) => s.hostname),
    [other],
  );
  const lost = state.frameworks[0]!.completed_tasks.find((t) => t.id === lostTask.taskId);
  assert.equal(lost?.state, 'TASK_LOST');

  assert.deepEqual(
    processesMentioning(`--host ${failed} `),
    [],
    "the failed agent's processes are gone",
  );
  const ms = await waitFor('two members, both on the other agent', async () => {
    const m = await members(zk);
    return m.length === 2 && m.every((x) => x.data.serviceEndpoint.host === other) ? m : undefined;
  });
  assert.deepEqual(ms.map((m) => m.data.shard).sort(), [0, 1]);
  // Two instances on one agent: distinct ports.
  assert.notEqual(after[0]!.ports!.http, after[1]!.ports!.http);
});
