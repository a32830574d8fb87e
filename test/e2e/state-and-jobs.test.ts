// The devcluster's documents read by the DNS side's own parser (v0 /master/state under its four
// names, v1 GET_STATE, agents' /state), and the `beacon job` CLI against a real devcluster: job
// file errors, pending with a reason, partial kill, restart.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseState } from '../../src/model/mesos-state.js';
import { waitFor } from '../helpers/wait.js';
import { beacon } from '../helpers/cli.js';
import { getJson, post, request } from '../helpers/http.js';
import {
  EXAMPLE_KEY,
  jobStatus,
  startDevclusterProc,
  waitRunning,
  type DevclusterProc,
} from './devcluster-proc.js';

let dc: DevclusterProc;
let dir: string;
before(async () => {
  dc = await startDevclusterProc();
  dir = mkdtempSync(join(tmpdir(), 'beacon-jobs-'));
});
after(async () => {
  await dc?.stop();
});

test('the state document is parsed by the DNS state parser without warnings, under all four names', async () => {
  const inst = await waitRunning(dc.masterUrl, 2);
  for (const path of ['/master/state', '/state', '/state.json', '/master/state.json']) {
    const doc = (await getJson(`${dc.masterUrl}${path}`)).body;
    const { state, warnings } = parseState(doc);
    assert.deepEqual(warnings, [], path);
    assert.equal(`${state.leader?.host}:${state.leader?.port}`, `127.0.0.1:${dc.masterPort}`);
    assert.equal(state.agents.length, 2);
    for (const a of state.agents) assert.deepEqual(a.ips, [a.hostname]);
    const fw = state.frameworks.find((f) => f.name === 'Aurora')!;
    const running = fw.tasks.filter((t) => t.state === 'TASK_RUNNING');
    assert.equal(running.length, 2);
    for (const t of running) {
      const i = inst.find((x) => x.taskId === t.id)!;
      assert.deepEqual(t.ports.sort(), Object.values(i.ports!).sort());
      assert.equal(t.discovery?.name, 'http_example.test.vagrant');
      assert.deepEqual(
        t.discovery?.ports.map((p) => `${p.name}:${p.number}:${p.protocol}`),
        [
          `health:${i.ports!.health}:TCP`,
          `http:${i.ports!.http}:TCP`,
          `tcp:${i.ports!.tcp}:TCP`,
          `alias:${i.ports!.http}:TCP`,
        ],
      );
      assert.deepEqual(t.statuses.at(-1)?.networkIps, [i.host]);
    }
  }
});

test('v1 GET_STATE parses to the same tasks', async () => {
  await waitRunning(dc.masterUrl, 2);
  const res = await post(`${dc.masterUrl}/api/v1`, { type: 'GET_STATE' });
  const doc = JSON.parse(res.text) as { type: string };
  assert.equal(doc.type, 'GET_STATE');
  const { state, warnings } = parseState(doc);
  assert.deepEqual(warnings, []);
  const tasks = state.frameworks.flatMap((f) => f.tasks).filter((t) => t.state === 'TASK_RUNNING');
  assert.equal(tasks.length, 2);
  for (const t of tasks)
    assert.deepEqual(
      t.discovery?.ports.map((p) => p.name),
      ['health', 'http', 'tcp', 'alias'],
    );
});

test("each agent serves its own /state and /slave(1)/state with its tasks' DiscoveryInfo", async () => {
  const inst = await waitRunning(dc.masterUrl, 2);
  for (const i of inst) {
    for (const path of ['/state', '/slave(1)/state']) {
      const doc = (await getJson(`http://${i.host}:${dc.agentPort}${path}`)).body as {
        hostname: string;
        pid: string;
        frameworks: {
          name: string;
          executors: { id: string; tasks: { id: string; discovery: { name: string } }[] }[];
        }[];
      };
      assert.equal(doc.hostname, i.host);
      assert.equal(doc.pid, `slave(1)@${i.host}:${dc.agentPort}`);
      const tasks = doc.frameworks[0]!.executors.flatMap((e) => e.tasks);
      const mine = tasks.find((t) => t.id === i.taskId);
      assert.ok(mine, `task ${i.taskId} on ${i.host}`);
      assert.equal(mine.discovery.name, 'http_example.test.vagrant');
    }
  }
});

test('job file errors are reported by the CLI with the file and the field', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'job: devcluster/vagrant/test/bad\ninstances: -1\nprocesses: []\n');
  const r = beacon(['job', 'create', 'devcluster/vagrant/test/bad', bad, '--master', dc.masterUrl]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.yaml: instances: expected an integer ≥ 1 \(got number -1\)/);
  assert.match(r.stderr, /processes: expected at least one process/);
  assert.match(r.stderr, /\[BEACON_E_JOB\]/);
  const mismatch = beacon([
    'job',
    'create',
    'devcluster/vagrant/test/other',
    join('examples', 'http_example.yaml'),
    '--master',
    dc.masterUrl,
  ]);
  assert.equal(mismatch.status, 1);
  assert.match(
    mismatch.stderr,
    /does not match the job file's 'job: devcluster\/vagrant\/test\/http_example'/,
  );
  const unreachable = beacon(['job', 'list', '--master', 'http://127.0.0.1:1']);
  assert.equal(unreachable.status, 1);
  assert.match(unreachable.stderr, /cannot reach the master at http:\/\/127.0.0.1:1/);
});

test('a job that fits on no agent stays PENDING with the reason', async () => {
  const big = join(dir, 'big.yaml');
  writeFileSync(
    big,
    'job: devcluster/vagrant/test/big\nresources: {cpu: 64}\nprocesses: [{name: p, cmdline: sleep 30}]\n',
  );
  const r = beacon(['job', 'create', 'devcluster/vagrant/test/big', big, '--master', dc.masterUrl]);
  assert.equal(r.status, 0, r.stderr);
  const v = await jobStatus(dc.masterUrl, 'devcluster/vagrant/test/big');
  assert.equal(v![0]!.status, 'PENDING');
  assert.match(
    v![0]!.message!,
    /insufficient resources on every agent .*cpus [\d.]+ free, 64 needed/,
  );
  const status = beacon(['job', 'status', 'devcluster/vagrant/test/big', '--master', dc.masterUrl]);
  assert.match(status.stdout, /0 {2}PENDING .*insufficient resources/);
  assert.equal(
    beacon(['job', 'kill', 'devcluster/vagrant/test/big', '--master', dc.masterUrl]).status,
    0,
  );
  assert.equal(await jobStatus(dc.masterUrl, 'devcluster/vagrant/test/big'), undefined);
});

test('restart replaces the tasks at once; an existing job cannot be created twice', async () => {
  const before = await waitRunning(dc.masterUrl, 2);
  const r = beacon(['job', 'restart', EXAMPLE_KEY, '--instances', '0', '--master', dc.masterUrl]);
  assert.equal(r.status, 0, r.stderr);
  await waitFor(
    'instance 0 replaced',
    async () => {
      const v = await jobStatus(dc.masterUrl);
      const i0 = v?.find((i) => i.instance === 0);
      return i0?.status === 'RUNNING' && i0.taskId !== before.find((i) => i.instance === 0)!.taskId;
    },
    30000,
    100,
  );
  const again = beacon([
    'job',
    'create',
    EXAMPLE_KEY,
    join('examples', 'http_example.yaml'),
    '--master',
    dc.masterUrl,
  ]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists/);
});

test('the jobs API refuses changes that are not JSON', async () => {
  const res = await request(`${dc.masterUrl}/jobs/${EXAMPLE_KEY}/kill`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(res.status, 415);
  assert.ok(await jobStatus(dc.masterUrl));
});
