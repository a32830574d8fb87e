// Health-aware DNS end to end: a devcluster instance whose health check starts failing leaves the
// job's names (SRV and named-port SRV, /v1/services) within the event stream's latency while its
// own canonical name keeps answering, and comes back when the check passes again. The devcluster's
// executor reports it as Mesos does: TASK_RUNNING with healthy false, then true.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXAMPLE_JOB, startDevcluster } from '../../src/cluster/devcluster.js';
import { parseConfig } from '../../src/config/mesos-dns.js';
import { DnsService } from '../../src/service/dns-service.js';
import { dig } from '../helpers/dig.js';
import { freePort, uniqueAgentIp } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const JOB = 'devcluster/vagrant/test/http_example';
const NAMED = '_http._http_example.test.vagrant._tcp.aurora.mesos.';

test('an instance failing its health check leaves DNS and comes back when it passes', async () => {
  // The example job, with room to fail: many failures before the executor would kill the task.
  const dir = mkdtempSync(join(tmpdir(), 'beacon-health-'));
  const job = readFileSync(EXAMPLE_JOB, 'utf8').replace(
    /max_consecutive_failures: \d+/,
    'max_consecutive_failures: 100000',
  );
  writeFileSync(join(dir, 'job.yaml'), job);
  copyFileSync(
    join(EXAMPLE_JOB, '..', 'http_example_server.mjs'),
    join(dir, 'http_example_server.mjs'),
  );
  const masterPort = await freePort();
  const dc = await startDevcluster({
    dataDir: dir,
    masterPort,
    agentIp: uniqueAgentIp(),
    agentPort: await freePort(),
    zkPort: await freePort(),
    agentPorts: '31000-31100',
    heartbeatSeconds: 1,
    exampleJob: join(dir, 'job.yaml'),
  });
  const { config } = parseConfig(
    {
      masters: [`127.0.0.1:${masterPort}`],
      stateSource: 'stream',
      refreshSeconds: 1,
      listener: '127.0.0.1',
      port: 0,
      HTTPListener: '127.0.0.1',
      httpport: 0,
      externalon: false,
    },
    'test config',
  );
  const service = await DnsService.start({ config, processMetrics: false });
  const port = service.dnsAddress()!.port;
  const http = `http://127.0.0.1:${service.httpAddress()!.port}`;
  const srvPorts = async () =>
    (await dig(port, [NAMED, 'SRV'])).answer.map((a) => Number(a[6])).sort((x, y) => x - y);
  const health = (host: string, p: number, what: 'fail' | 'pass') =>
    fetch(`http://${host}:${p}/health/${what}`).then((r) => r.text());
  try {
    const running = await waitFor(
      'both instances healthy and running',
      () => {
        const v = dc.scheduler.status(JOB).instances;
        return v.length === 2 && v.every((i) => i.status === 'RUNNING') ? v : undefined;
      },
      30000,
    );
    const [i0, i1] = running.sort((x, y) => x.instance - y.instance);
    const both = [i0!.ports!.http!, i1!.ports!.http!].sort((x, y) => x - y);
    await waitFor(
      'both in the named SRV',
      async () => JSON.stringify(await srvPorts()) === JSON.stringify(both),
      15000,
    );
    const target = (await dig(port, [NAMED, 'SRV'])).answer.find(
      (a) => Number(a[6]) === i0!.ports!.http,
    )!;
    const canon = target[7]!;

    await health(i0!.host!, i0!.ports!.health!, 'fail');
    await waitFor(
      'instance 0 out of the named SRV',
      async () => JSON.stringify(await srvPorts()) === JSON.stringify([i1!.ports!.http]),
      15000,
    );
    // Its own name still answers, so a cached SRV target still resolves.
    assert.equal((await dig(port, [canon, 'A'])).answer.length, 1);
    const services = (await (await fetch(`${http}/v1/services/${NAMED}`)).json()) as unknown[];
    assert.equal(services.length, 1, JSON.stringify(services));
    assert.match(
      await (await fetch(`${http}/metrics`)).text(),
      /^beacon_health_tasks_left_out 1$/m,
    );
    assert.equal(
      dc.scheduler.status(JOB).instances.find((i) => i.instance === 0)!.status,
      'RUNNING',
    );

    await health(i0!.host!, i0!.ports!.health!, 'pass');
    await waitFor(
      'instance 0 back',
      async () => JSON.stringify(await srvPorts()) === JSON.stringify(both),
      15000,
    );
    assert.match(
      await (await fetch(`${http}/metrics`)).text(),
      /^beacon_health_tasks_left_out 0$/m,
    );
  } finally {
    await service.close();
    await dc.close();
  }
});
