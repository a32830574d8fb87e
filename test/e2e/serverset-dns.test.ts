// The devcluster's DNS serves its ServerSets too: a service that is not an Aurora task, announced
// into the devcluster's ZooKeeper by the `beacon serverset announce` sidecar, gets DiscoveryInfo-
// style names; the example job's names stay exactly as DiscoveryInfo makes them (no duplicates).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dig } from '../helpers/dig.js';
import { waitFor, withDeadline } from '../helpers/wait.js';
import { exitWhenFileExists, killStartedBeacons, startBeacon } from '../helpers/cli.js';
import {
  EXAMPLE_KEY,
  startDevclusterProc,
  waitRunning,
  type DevclusterProc,
} from './devcluster-proc.js';

let dc: DevclusterProc;

before(async () => {
  dc = await startDevclusterProc({ dns: true });
  await waitRunning(dc.masterUrl, 2, EXAMPLE_KEY, 60000);
});
after(async () => {
  killStartedBeacons();
  await dc?.stop();
});

test('a sidecar-announced service answers in the devcluster DNS; Aurora names are not doubled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-ssdns-'));
  const flag = join(dir, 'stop');
  const sidecar = startBeacon(
    [
      'serverset',
      'announce',
      '--zk',
      dc.zk,
      '--path',
      '/aurora/www/prod/finagle_svc',
      '--host',
      '127.0.0.9',
      '--port',
      'thrift=9990',
      '--port',
      'admin=9991',
      '--primary',
      'thrift',
      '--',
      ...exitWhenFileExists(flag),
    ],
    { BEACON_LOG: 'error' },
  );
  const port = dc.dnsPort!;
  await waitFor(
    'sidecar service in DNS',
    async () => (await dig(port, ['finagle_svc.prod.www.aurora.mesos', 'A'])).status === 'NOERROR',
    30000,
  );
  assert.deepEqual(
    (await dig(port, ['finagle_svc.prod.www.aurora.mesos', 'A'])).answer.map((r) => r.at(-1)),
    ['127.0.0.9'],
  );
  const admin = await dig(port, ['_admin._finagle_svc.prod.www._tcp.aurora.mesos', 'SRV']);
  assert.deepEqual(
    admin.answer.map((r) => r.at(-2)),
    ['9991'],
  );

  // The example job is in DiscoveryInfo and in its ServerSet: each http port answers once.
  const http = await dig(port, ['_http._http_example.test.vagrant._tcp.aurora.mesos', 'SRV']);
  assert.equal(http.answer.length, 2, http.raw);

  writeFileSync(flag, '');
  await withDeadline(sidecar.exited, 20000, 'the sidecar to exit');
  await waitFor(
    'gone after the sidecar exits',
    async () => (await dig(port, ['finagle_svc.prod.www.aurora.mesos', 'A'])).status === 'NXDOMAIN',
    30000,
  );
});
