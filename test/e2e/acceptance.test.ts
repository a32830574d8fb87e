// Issue 4's acceptance, end to end through real processes: `beacon devcluster` runs the example
// job; /master/state shows its tasks with DiscoveryInfo (aliases included); the ServerSet holds two
// members with http, tcp, health and alias; each instance answers with its id; DNS (dig) answers
// A and SRV records for it; a killed process is restarted and the ServerSet and DNS follow;
// `beacon job kill` removes the members and the records.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Coordination } from '../../src/zk/types.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';
import { beacon } from '../helpers/cli.js';
import { request } from '../helpers/http.js';
import {
  EXAMPLE_KEY,
  jobStatus,
  masterState,
  members,
  processesMentioning,
  startDevclusterProc,
  waitRunning,
  zkClient,
  type DevclusterProc,
} from './devcluster-proc.js';

const WITH_DNS = process.env.BEACON_E2E_NO_DNS !== '1';
let dc: DevclusterProc;
let zk: Coordination;

before(async () => {
  dc = await startDevclusterProc({ dns: WITH_DNS });
  zk = await zkClient(dc.zk);
});
after(async () => {
  await zk?.close();
  await dc?.stop();
});

interface StateTask {
  id: string;
  name: string;
  state: string;
  executor_id: string;
  slave_id: string;
  resources: { ports: string };
  discovery: {
    name: string;
    ports: { ports: { number: number; name: string; protocol: string }[] };
  };
  labels: { key: string; value: string }[];
}

test('the example job runs two instances, spread over the two agents', async () => {
  const inst = await waitRunning(dc.masterUrl, 2);
  assert.deepEqual(
    inst.map((i) => i.host).sort(),
    [dc.agentIp, dc.agentIp.replace(/\.1$/, '.2')].sort(),
  );
});

test('/master/state shows the tasks with DiscoveryInfo, aliases included', async () => {
  const inst = await waitRunning(dc.masterUrl, 2);
  const state = (await masterState(dc.masterUrl)) as {
    frameworks: { name: string; tasks: StateTask[] }[];
  };
  const fw = state.frameworks[0]!;
  assert.equal(fw.name, 'Aurora');
  const tasks = fw.tasks.filter((t) => t.state === 'TASK_RUNNING');
  assert.equal(tasks.length, 2);
  for (const t of tasks) {
    assert.equal(t.name, 'vagrant/test/http_example');
    assert.match(t.id, /^vagrant-test-http_example-[01]-[0-9a-f-]{36}$/);
    assert.equal(t.executor_id, `thermos-${t.id}`);
    assert.deepEqual(t.labels, [{ key: 'org.apache.aurora.tier', value: 'preemptible' }]);
    assert.equal(t.discovery.name, 'http_example.test.vagrant');
    const names = t.discovery.ports.ports.map((p) => p.name);
    assert.deepEqual(names, ['health', 'http', 'tcp', 'alias']);
    const byName = Object.fromEntries(t.discovery.ports.ports.map((p) => [p.name, p.number]));
    assert.equal(byName.alias, byName.http);
    const mine = inst.find((i) => i.taskId === t.id)!;
    assert.equal(byName.http, mine.ports!.http);
  }
});

test('the ServerSet holds two members with http, tcp, health and alias; each answers with its instance id', async () => {
  await waitRunning(dc.masterUrl, 2);
  const ms = await waitFor('two members', async () => {
    const m = await members(zk);
    return m.length === 2 ? m : undefined;
  });
  assert.deepEqual(ms.map((m) => m.data.shard).sort(), [0, 1]);
  for (const m of ms) {
    assert.deepEqual(Object.keys(m.data.additionalEndpoints).sort(), [
      'alias',
      'health',
      'http',
      'tcp',
    ]);
    assert.equal(m.data.status, 'ALIVE');
    assert.deepEqual(m.data.serviceEndpoint, m.data.additionalEndpoints.http);
    const { host, port } = m.data.serviceEndpoint;
    const body = (await request(`http://${host}:${port}/`)).text;
    assert.match(body, new RegExp(`^Hello from instance ${m.data.shard} `));
    const health = (
      await request(`http://${host}:${m.data.additionalEndpoints.health!.port}/health`)
    ).text;
    assert.equal(health, 'ok');
  }
  // The same members through the CLI, from another process, over the ZooKeeper wire.
  const ls = beacon(['serverset', 'ls', `zk!${dc.zk}!/aurora/vagrant/test/http_example`]);
  assert.equal(ls.status, 0, ls.stderr);
  assert.equal(
    ls.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('member_')).length,
    2,
    ls.stdout,
  );
});

test(
  'DNS answers A and SRV records for the example job (dig)',
  { skip: !WITH_DNS && 'DNS disabled' },
  async () => {
    const inst = await waitRunning(dc.masterUrl, 2);
    const port = dc.dnsPort!;
    const a = await waitFor('two A records', async () => {
      const r = await dig(port, ['http_example.test.vagrant.aurora.mesos', 'A']);
      return r.answer.length === 2 ? r : undefined;
    });
    assert.deepEqual(a.answer.map((rr) => rr[4]).sort(), inst.map((i) => i.host).sort());
    const srvHttp = await dig(port, ['_http._http_example.test.vagrant._tcp.aurora.mesos', 'SRV']);
    const httpPorts = srvHttp.answer.map((rr) => Number(rr[6])).sort();
    assert.deepEqual(httpPorts, inst.map((i) => i.ports!.http).sort());
    const alias = await dig(port, ['_alias._http_example.test.vagrant._tcp.aurora.mesos', 'SRV']);
    assert.deepEqual(alias.answer.map((rr) => Number(rr[6])).sort(), httpPorts);
    const all = await dig(port, ['_http_example.test.vagrant._tcp.aurora.mesos', 'SRV']);
    // Every published port (health, http, tcp, alias) of both instances.
    assert.equal(all.answer.length >= 6, true, all.raw);
    // curl each SRV target:port: it answers with its instance id.
    const targets = srvHttp.answer.map((rr) => ({ target: rr[7]!, port: Number(rr[6]) }));
    for (const t of targets) {
      const ar = await dig(port, [t.target, 'A']);
      const ip = ar.answer[0]![4]!;
      const body = (await request(`http://${ip}:${t.port}/`)).text;
      assert.match(body, /^Hello from instance [01] /);
    }
  },
);

test('a killed process is restarted, and the ServerSet follows', async () => {
  const before = await waitRunning(dc.masterUrl, 2);
  const victim = before.find((i) => i.instance === 1)!;
  const pids = processesMentioning(`--task-id ${victim.taskId}`);
  assert.ok(pids.length > 0, 'the task process is visible');
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const after = await waitFor(
    'instance 1 replaced and running',
    async () => {
      const v = await jobStatus(dc.masterUrl);
      const i1 = v?.find((i) => i.instance === 1);
      return i1 && i1.taskId !== victim.taskId && i1.status === 'RUNNING' ? v : undefined;
    },
    30000,
    100,
  );
  const ms = await waitFor('two members again', async () => {
    const m = await members(zk);
    return m.length === 2 ? m : undefined;
  });
  const i1 = after.find((i) => i.instance === 1)!;
  const m1 = ms.find((m) => m.data.shard === 1)!;
  assert.equal(m1.data.serviceEndpoint.port, i1.ports!.http);
  const body = (await request(`http://${i1.host}:${i1.ports!.http}/`)).text;
  assert.ok(body.includes(`task ${i1.taskId}`), body);
  if (WITH_DNS) {
    await waitFor('DNS A records for both instances again', async () => {
      const r = await dig(dc.dnsPort!, ['http_example.test.vagrant.aurora.mesos', 'A']);
      return r.answer.length === 2;
    });
  }
});

test('beacon job kill removes the members and the records', async () => {
  await waitRunning(dc.masterUrl, 2);
  const r = beacon(['job', 'kill', EXAMPLE_KEY, '--master', dc.masterUrl]);
  assert.equal(r.status, 0, r.stderr);
  await waitFor('no job', async () => (await jobStatus(dc.masterUrl)) === undefined, 20000);
  await waitFor('no members', async () => (await members(zk)).length === 0);
  const state = (await masterState(dc.masterUrl)) as { frameworks: { tasks: unknown[] }[] };
  assert.equal(state.frameworks[0]!.tasks.length, 0);
  if (WITH_DNS) {
    await waitFor('NXDOMAIN', async () => {
      const res = await dig(dc.dnsPort!, ['http_example.test.vagrant.aurora.mesos', 'A']);
      return res.status === 'NXDOMAIN';
    });
  }
  assert.deepEqual(processesMentioning(`--host ${dc.agentIp.replace(/\.1$/, '.')}`), []);
});
