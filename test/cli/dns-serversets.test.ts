// `beacon dns` with `serversets` configured, as a user runs it: a member announced (ACL-protected,
// read with the configured credentials) by the
// `beacon serverset announce` sidecar into a real ZooKeeper answers in DNS and in the HTTP API
// under DiscoveryInfo-style names (aliases included), merged with the state's records, and goes
// away when the sidecar's command exits.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitWhenFileExists, killStartedBeacons, startBeacon } from '../helpers/cli.js';
import { dig } from '../helpers/dig.js';
import { writeJson } from '../helpers/files.js';
import { freePort } from '../helpers/net.js';
import { waitFor, withDeadline } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';

const QUIET = { BEACON_LOG: 'error' };
const STATE = fileURLToPath(
  new URL('../../../test/fixtures/state/aurora-discovery.json', import.meta.url),
);

describe('beacon dns with serversets', () => {
  let zk: ZkServer;
  let dnsPort: number;
  let httpPort: number;
  const dir = mkdtempSync(join(tmpdir(), 'beacon-dns-ss-'));

  before(async () => {
    zk = await ZkServer.start();
    dnsPort = await freePort();
    httpPort = await freePort();
    const config = writeJson(dir, 'config.json', {
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      externalon: false,
      serversets: [{ zk: zk.connectString, root: '/aurora', auth: 'digest:svc:s3cret-pw' }],
    });
    startBeacon(
      [
        'dns',
        '--config',
        config,
        '--state',
        STATE,
        '--port',
        String(dnsPort),
        '--http-port',
        String(httpPort),
      ],
      QUIET,
    );
    await waitFor(
      'beacon dns answering',
      async () => (await dig(dnsPort, ['mesos', 'SOA'])).status === 'NOERROR',
      20000,
    );
  });
  after(async () => {
    killStartedBeacons();
    await zk.stop();
  });

  test('an announced member answers under DiscoveryInfo names, merged without duplicates; gone after exit', async () => {
    const flag = join(dir, 'stop');
    const sidecar = startBeacon(
      [
        'serverset',
        'announce',
        '--zk',
        zk.connectString,
        '--path',
        '/aurora/vagrant/test/http_example',
        '--host',
        '10.0.0.21',
        '--port',
        'http=31000',
        '--port',
        'health=31001',
        '--portmap',
        'alias=http',
        '--shard',
        '0',
        '--',
        ...exitWhenFileExists(flag),
      ],
      QUIET,
    );
    const srv = async (name: string) =>
      (await dig(dnsPort, [name, 'SRV'])).answer
        .map((r) => `${r[r.length - 2]} ${r[r.length - 1]}`)
        .sort();
    await waitFor(
      'alias SRV from the ServerSet',
      async () => (await srv('_alias._http_example.test.vagrant._tcp.aurora.mesos')).length === 1,
      20000,
    );
    const alias = await srv('_alias._http_example.test.vagrant._tcp.aurora.mesos');
    assert.match(alias[0]!, /^31000 http_example\.test\.vagrant-[a-z0-9]{5}-ss\.aurora\.mesos\.$/);
    // The same instance from DiscoveryInfo (state) and from the ServerSet answers once.
    assert.deepEqual(await srv('_http._http_example.test.vagrant._tcp.aurora.mesos'), [
      '31000 http_example.test.vagrant-s7nnu-s0.aurora.mesos.',
    ]);
    const res = await fetch(
      `http://127.0.0.1:${httpPort}/v1/services/_alias._http_example.test.vagrant._tcp.aurora.mesos.`,
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as Array<{ ip: string; port: string }>;
    assert.deepEqual(
      body.map((e) => `${e.ip}:${e.port}`),
      ['10.0.0.21:31000'],
    );

    const config = await (await fetch(`http://127.0.0.1:${httpPort}/v1/config`)).text();
    assert.ok(config.includes('digest:svc:'), 'the serversets entry is shown');
    assert.ok(!config.includes('s3cret-pw'), 'but never its password');

    writeFileSync(flag, '');
    await withDeadline(sidecar.exited, 20000, 'the sidecar to exit');
    await waitFor(
      'alias gone',
      async () =>
        (await dig(dnsPort, ['_alias._http_example.test.vagrant._tcp.aurora.mesos', 'SRV']))
          .status === 'NXDOMAIN',
      20000,
    );
    assert.deepEqual(
      await srv('_http._http_example.test.vagrant._tcp.aurora.mesos'),
      ['31000 http_example.test.vagrant-s7nnu-s0.aurora.mesos.'],
      'state records stay',
    );
  });
});
