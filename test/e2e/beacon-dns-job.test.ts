// examples/beacon_dns.yaml: `beacon dns` run by the devcluster as one of its own jobs. The task
// becomes RUNNING only once its /readyz health check passes (a state loaded over the master's
// event stream), answers DNS for the example job — and for itself — on the ports its agent
// assigned, and on kill leaves through its lameduck and exits 0 (KILLED, not FAILED).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { startDevcluster } from '../../src/cluster/devcluster.js';
import { loadJobFile } from '../../src/cluster/job-schema.js';
import { ROOT } from '../helpers/cli.js';
import { devclusterOptions } from '../helpers/devcluster.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';

const FILE = join(ROOT, 'examples', 'beacon_dns.yaml');
const EXAMPLE = 'devcluster/vagrant/test/http_example';

test('examples/beacon_dns.yaml runs beacon dns as a devcluster job', async () => {
  const options = await devclusterOptions('beacon-dns-job-');
  const dc = await startDevcluster(options);
  try {
    const job = loadJobFile(FILE);
    // The file names the default master; this devcluster's is on a free port.
    job.env = { ...job.env, MESOS_MASTER: `127.0.0.1:${options.masterPort}` };
    job.job_dir = dirname(FILE);
    dc.scheduler.create(job.job, job);
    const inst = await waitFor(
      'beacon dns RUNNING (its /readyz check passed)',
      () => {
        const i = dc.scheduler.status(job.job).instances[0];
        if (i?.status === 'FAILED') throw new Error(`the task failed: ${i.message}`);
        return i?.status === 'RUNNING' ? i : undefined;
      },
      60000,
    );
    const host = inst.host!;
    const port = inst.ports!.dns!;
    assert.ok(port >= 31000 && port <= 31100, `dns port ${port} from the agent's range`);
    const example = await waitFor(
      'the example job running',
      () => {
        const v = dc.scheduler.status(EXAMPLE).instances;
        return v.length === 2 && v.every((i) => i.status === 'RUNNING') ? v : undefined;
      },
      30000,
    );
    const answer = await waitFor(
      'both example instances over the job DNS server',
      async () => {
        const d = await dig(port, ['http_example.test.vagrant.aurora.mesos.', 'A'], host);
        return d.answer.length === 2 ? d : undefined;
      },
      15000,
    );
    assert.deepEqual(answer.answer.map((r) => r.at(-1)).sort(), example.map((i) => i.host!).sort());
    // It serves its own name too: the SRV of its job names both its ports.
    const self = await dig(port, ['_beacon_dns.prod.beacon._tcp.aurora.mesos.', 'SRV'], host);
    assert.deepEqual(
      self.answer.map((r) => Number(r.at(-2))).sort(),
      [port, inst.ports!.http!].sort(),
    );

    // Killed: SIGTERM starts the lameduck: /readyz fails at once while DNS keeps answering,
    // then the process exits (within kill_grace_secs) and the port goes quiet.
    const ready = `http://${host}:${inst.ports!.http!}/readyz`;
    assert.equal((await fetch(ready)).status, 200);
    dc.scheduler.kill(job.job, [0]);
    await waitFor('/readyz 503 in the lameduck', async () => {
      const r = await fetch(ready).catch(() => undefined);
      return r?.status === 503;
    });
    assert.equal(
      (await dig(port, ['http_example.test.vagrant.aurora.mesos.', 'A'], host)).answer.length,
      2,
      'DNS answers during the lameduck',
    );
    await waitFor(
      'the process gone',
      async () => (await fetch(ready).catch(() => undefined)) === undefined,
      10000,
    );
  } finally {
    await dc.close();
    rmSync(options.dataDir!, { recursive: true, force: true });
  }
});
