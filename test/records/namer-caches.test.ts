// The Namer's caches of job names and agent tails are kept within twice the live set when the
// record set tells it that size: a long churn of new jobs and agents must not fill them with
// names of jobs long gone (heap in use rose ~0.5 MiB/min at 200 changes/s with a fixed limit).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeRecordsConfig } from '../../src/records/index.js';
import { Namer } from '../../src/records/task-records.js';

const cfg = makeRecordsConfig({});

test('job-name and agent-tail caches are cleared at twice the live jobs and agents', () => {
  let jobs = 3000;
  let agents = 600;
  const namer = new Namer(cfg, { jobs: () => jobs, agents: () => agents });
  for (let i = 0; i < 5999; i++) namer.group('fw', `job-${i}`, false);
  assert.equal(namer.cached().groups, 5999, 'below twice 3,000 jobs: all kept');
  namer.group('fw', 'job-5999', false);
  namer.group('fw', 'job-6000', false);
  assert.equal(namer.cached().groups, 1, 'at 6,000 the cache starts over');
  // Names made again after the clear are the same names.
  const again = namer.group('fw', 'job-17', false);
  assert.equal(again.main?.arec, 'job-17.fw.mesos.');

  for (let i = 0; i < 1199; i++) namer.agentSuffix(`agent-S${i}`);
  assert.equal(namer.cached().tails, 1199);
  namer.agentSuffix('agent-S1199');
  namer.agentSuffix('agent-S1200');
  assert.equal(namer.cached().tails, 1, 'at twice 600 agents the cache starts over');

  // The live set grew: the limits follow it.
  jobs = 10_000;
  agents = 5_000;
  for (let i = 0; i < 9000; i++) namer.group('fw', `next-${i}`, false);
  assert.equal(namer.cached().groups, 9002);
  for (let i = 0; i < 5000; i++) namer.agentSuffix(`next-S${i}`);
  assert.equal(namer.cached().tails, 5001);
});

test('a small cluster keeps a floor; without a live size the old fixed limit applies', () => {
  const small = new Namer(cfg, { jobs: () => 3, agents: () => 1 });
  for (let i = 0; i < 4000; i++) small.group('fw', `job-${i}`, false);
  for (let i = 0; i < 1000; i++) small.agentSuffix(`a-S${i}`);
  assert.deepEqual(small.cached(), { groups: 4000, tails: 1000 });
  const oneShot = new Namer(cfg);
  for (let i = 0; i < 20_000; i++) oneShot.group('fw', `job-${i}`, false);
  assert.equal(oneShot.cached().groups, 20_000);
});
