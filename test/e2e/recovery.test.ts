// Restart recovery and clean exits, through real processes: a job created with the CLI survives a
// devcluster restart on the same data dir; SIGTERM deannounces and kills every task process and
// exits 0; even SIGKILL of the devcluster leaves no task process behind.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import { beacon, ROOT } from '../helpers/cli.js';
import { uniqueAgentIp } from '../helpers/net.js';
import {
  EXAMPLE_KEY,
  jobStatus,
  members,
  processesMentioning,
  startDevclusterProc,
  waitRunning,
  zkClient,
} from './devcluster-proc.js';

const SLEEPER_KEY = 'devcluster/www-data/prod/sleeper';

function sleeperJob(dir: string, instances: number): string {
  const file = join(dir, 'sleeper.yaml');
  writeFileSync(
    file,
    [
      `job: ${SLEEPER_KEY}`,
      `instances: ${instances}`,
      'processes:',
      '  - name: sleeper',
      // The agent address in the command line lets the test find the processes.
      `    cmdline: node -e 'setTimeout(() => {}, 300000)' {{mesos.hostname}} {{thermos.ports[http]}}`,
      'announce:',
      '  primary_port: http',
      'kill_grace_secs: 1',
    ].join('\n'),
  );
  return file;
}

test('jobs survive a devcluster restart on the same data dir; SIGTERM leaves nothing behind', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'beacon-recovery-'));
  const agentIp = uniqueAgentIp();
  const prefix = agentIp.replace(/\.1$/, '.');
  const first = await startDevclusterProc({ dataDir, agentIp });
  try {
    await waitRunning(first.masterUrl, 2);
    const r = beacon([
      'job',
      'create',
      SLEEPER_KEY,
      sleeperJob(dataDir, 3),
      '--master',
      first.masterUrl,
    ]);
    assert.equal(r.status, 0, r.stderr);
    await waitRunning(first.masterUrl, 3, SLEEPER_KEY);
    // Kill instance 0 of the example: its instance 1 alone is kept.
    assert.equal(
      beacon(['job', 'kill', EXAMPLE_KEY, '--instances', '0', '--master', first.masterUrl]).status,
      0,
    );
    await waitFor('instance 0 gone', async () => (await jobStatus(first.masterUrl))?.length === 1);
    assert.ok(processesMentioning(prefix).length > 0);
  } finally {
    const code = await first.stop('SIGTERM');
    assert.equal(code, 0, first.output());
  }
  assert.match(first.output(), /devcluster stopped\./);
  assert.deepEqual(processesMentioning(prefix), [], 'no task process outlives the devcluster');

  const second = await startDevclusterProc({ dataDir, agentIp });
  try {
    const sleepers = await waitRunning(second.masterUrl, 3, SLEEPER_KEY);
    assert.deepEqual(
      sleepers.map((i) => i.instance),
      [0, 1, 2],
    );
    const example = await waitRunning(second.masterUrl, 1);
    assert.deepEqual(
      example.map((i) => i.instance),
      [1],
    );
    const zk = await zkClient(second.zk);
    try {
      await waitFor(
        'three sleeper members',
        async () => (await members(zk, '/aurora/www-data/prod/sleeper')).length === 3,
      );
    } finally {
      await zk.close();
    }
    const list = beacon(['job', 'list', '--master', second.masterUrl]);
    assert.match(
      list.stdout,
      /devcluster\/www-data\/prod\/sleeper\s+instances=3 running=3/,
      list.stderr,
    );
  } finally {
    assert.equal(await second.stop('SIGTERM'), 0);
  }
  assert.deepEqual(processesMentioning(prefix), []);
});

test('SIGKILL of the devcluster still leaves no task process behind', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'beacon-sigkill-'));
  const agentIp = uniqueAgentIp();
  const prefix = agentIp.replace(/\.1$/, '.');
  const dc = await startDevclusterProc({
    dataDir,
    agentIp,
    extra: ['--example-file', join(ROOT, 'examples', 'http_example.yaml')],
  });
  await waitRunning(dc.masterUrl, 2);
  assert.ok(processesMentioning(prefix).length >= 2);
  await dc.stop('SIGKILL');
  // The runners notice their parent is gone and take their process groups down.
  await waitFor('task processes gone', () => processesMentioning(prefix).length === 0, 15000, 100);
});

test('a killed task takes what its processes left behind with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-leftover-'));
  const dc = await startDevclusterProc({ extra: ['--no-example'] });
  const marker = `leftover-${process.pid}-${Date.now()}`;
  const file = join(dir, 'leftover.yaml');
  writeFileSync(
    file,
    [
      'job: devcluster/www-data/prod/leftover',
      'processes:',
      '  - name: main',
      // A background child the shell does not wait for, then the main process.
      `    cmdline: node -e 'setTimeout(() => {}, 300000)' ${marker} & exec sleep 300`,
      'kill_grace_secs: 1',
    ].join('\n'),
  );
  try {
    assert.equal(
      beacon(['job', 'create', 'devcluster/www-data/prod/leftover', file, '--master', dc.masterUrl])
        .status,
      0,
    );
    await waitRunning(dc.masterUrl, 1, 'devcluster/www-data/prod/leftover');
    await waitFor('the background child', () => processesMentioning(marker).length === 1);
    assert.equal(
      beacon(['job', 'kill', 'devcluster/www-data/prod/leftover', '--master', dc.masterUrl]).status,
      0,
    );
    await waitFor(
      'the background child gone',
      () => processesMentioning(marker).length === 0,
      10000,
      50,
    );
  } finally {
    await dc.stop();
  }
});
