// The scheduler's append-only log: state survives a reopen, a torn last line is ignored, a
// removed job stays removed, and the log is compacted on open.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseJobText } from '../../src/cluster/job-schema.js';
import { SchedulerStore } from '../../src/cluster/store.js';

const config = parseJobText('job: c/r/e/a\nprocesses: [{name: p, cmdline: sleep 9}]\n', 'a.yaml');

test('jobs and task states survive a reopen; a torn last line is ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-store-'));
  const { store } = SchedulerStore.open(dir);
  store.saveFramework('fw-1');
  store.saveJob('c/r/e/a', config, [0, 1]);
  store.saveJob('c/r/e/b', { ...config, job: 'c/r/e/b' }, [0]);
  store.saveTask('c/r/e/a', {
    taskId: 't0',
    instance: 0,
    agentId: 'S0',
    state: 'TASK_RUNNING',
    message: '',
    at: 1,
  });
  store.saveTask('c/r/e/a', {
    taskId: 't0',
    instance: 0,
    agentId: 'S0',
    state: 'TASK_FAILED',
    message: 'x',
    at: 2,
  });
  store.removeJob('c/r/e/b');
  store.close();
  appendFileSync(join(dir, 'scheduler.log'), '{"t":"job","key":"c/r/e/torn","con');

  const { store: again, state } = SchedulerStore.open(dir);
  again.close();
  assert.equal(state.frameworkId, 'fw-1');
  assert.deepEqual([...state.jobs.keys()], ['c/r/e/a']);
  const a = state.jobs.get('c/r/e/a')!;
  assert.deepEqual(a.instances, [0, 1]);
  assert.deepEqual(
    a.tasks.map((t) => [t.taskId, t.state]),
    [['t0', 'TASK_FAILED']],
  );
  // Compacted: one framework line, one job line, one task line.
  const lines = readFileSync(join(dir, 'scheduler.log'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);
});
