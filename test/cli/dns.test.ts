// `beacon dns` as a subprocess: serves a fake master's state over DNS (checked with dig) and HTTP,
// reloads a --state file on SIGHUP, exits 0 on SIGTERM, and fails with one line naming the key,
// the port or the file on bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dnsListening, killStartedBeacons, startBeacon, type BeaconChild } from '../helpers/cli.js';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { writeJson } from '../helpers/files.js';
import { dig } from '../helpers/dig.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer, zookeeperInstalled } from '../helpers/zookeeper.js';
import { ZkSession } from '../../src/zk/session.js';

const TASK = 'http_example.test.vagrant.aurora.mesos.';
const dir = mkdtempSync(join(tmpdir(), 'beacon-dns-cli-'));
after(() => {
  killStartedBeacons();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]): BeaconChild => startBeacon(['dns', ...args]);

/** Where it listens (the HTTP API is on in every test here). */
async function listening(
  r: BeaconChild,
): Promise<{ dnsPort: number; httpPort: number; line: string }> {
  const l = await dnsListening(r, 15000);
  assert.ok(l.httpPort !== undefined, l.line);
  return { ...l, httpPort: l.httpPort };
}

const config = (name: string, obj: Record<string, unknown>) => writeJson(dir, name, obj);

const LOOPBACK = {
  listener: '127.0.0.1',
  HTTPListener: '127.0.0.1',
  resolvers: [],
  externalon: false,
};

describe('beacon dns (subprocess)', () => {
  it("serves a master's state over DNS and HTTP and exits 0 on SIGTERM", async () => {
    const m = await FakeMaster.start();
    try {
      const c = config('ok.json', { ...LOOPBACK, masters: [m.address], domain: 'mesos' });
      const r = run(['--config', c, '--port', '0', '--http-port', '0']);
      const { dnsPort, httpPort, line } = await listening(r);
      assert.match(line, new RegExp(`state from masters ${m.address.replace(/\./g, '\\.')}`));
      const answer = await waitFor('the task record', async () => {
        const d = await dig(dnsPort, [TASK, 'A']);
        return d.status === 'NOERROR' ? d : undefined;
      });
      assert.deepEqual(
        answer.answer.map((x) => x.at(-1)),
        ['10.0.0.21'],
      );
      assert.ok(answer.flags.includes('aa'));
      const srv = await dig(dnsPort, [
        '_http._http_example.test.vagrant._tcp.aurora.mesos.',
        'SRV',
      ]);
      assert.equal(srv.answer.length, 1);
      assert.match(
        srv.answer[0]!.join(' '),
        /SRV 0 1 31000 http_example\.test\.vagrant-s7nnu-s0\.aurora\.mesos\.$/,
      );
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');
      r.child.kill('SIGTERM');
      const { code } = await r.exited;
      assert.equal(code, 0, r.stderr());
    } finally {
      await m.stop();
    }
  });

  it(
    'finds the leader through a real ZooKeeper (zk://)',
    { skip: zookeeperInstalled() ? false : 'ZooKeeper not installed' },
    async () => {
      const zk = await ZkServer.start();
      const m = await FakeMaster.start();
      const session = new ZkSession(zk.connectString, { sessionTimeoutMs: 4000 });
      try {
        await session.waitConnected(10000);
        await session.mkdirp('/mesos');
        const info = {
          address: { hostname: 'localhost', ip: m.host, port: m.port },
          hostname: 'localhost',
          port: m.port,
        };
        await session.create('/mesos/json.info_', Buffer.from(JSON.stringify(info)), {
          mode: 'ephemeralSequential',
        });
        const c = config('zk.json', { ...LOOPBACK, zk: `zk://${zk.connectString}/mesos` });
        const r = run(['--config', c, '--port', '0', '--http-port', '0']);
        const { dnsPort, line } = await listening(r);
        assert.match(line, /state from zk zk:\/\/127\.0\.0\.1:\d+\/mesos/);
        const answer = await waitFor('the task record', async () => {
          const d = await dig(dnsPort, [TASK, 'A']);
          return d.status === 'NOERROR' ? d : undefined;
        });
        assert.deepEqual(
          answer.answer.map((x) => x.at(-1)),
          ['10.0.0.21'],
        );
        const leader = await dig(dnsPort, ['leader.mesos.', 'A']);
        assert.deepEqual(
          leader.answer.map((x) => x.at(-1)),
          ['127.0.0.1'],
        );
        r.child.kill('SIGTERM');
        assert.equal((await r.exited).code, 0, r.stderr());
      } finally {
        await session.close();
        await m.stop();
        await zk.stop();
      }
    },
  );

  it('serves a --state file and re-reads it on SIGHUP', async () => {
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify(sampleState()));
    const r = run([
      '--state',
      state,
      '--port',
      '0',
      '--http-port',
      '0',
      '--listener',
      '127.0.0.1',
      '--http-listener',
      '127.0.0.1',
    ]);
    const { dnsPort } = await listening(r);
    const first = await dig(dnsPort, [TASK, 'A']);
    assert.deepEqual(
      first.answer.map((x) => x.at(-1)),
      ['10.0.0.21'],
    );
    writeFileSync(state, JSON.stringify(sampleState({ taskIp: '10.0.0.77' })));
    r.child.kill('SIGHUP');
    await waitFor('the reloaded record', async () =>
      (await dig(dnsPort, [TASK, 'A'])).answer.some((x) => x.at(-1) === '10.0.0.77'),
    );
    r.child.kill('SIGINT');
    assert.equal((await r.exited).code, 0);
  });

  it('a bad config value: one line naming the key, exit ≠ 0', async () => {
    const c = config('bad.json', {
      ...LOOPBACK,
      masters: ['127.0.0.1:5050'],
      refreshSeconds: 'often',
    });
    const r = run(['--config', c]);
    const { code } = await r.exited;
    assert.notEqual(code, 0);
    const lines = r.stderr().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr());
    assert.match(lines[0]!, /"refreshSeconds" must be a positive integer/);
    assert.match(lines[0]!, /BEACON_E_CONFIG/);
    assert.equal(r.stdout(), '');
  });

  it('no state source configured: one line saying what to set', async () => {
    const c = config('nosource.json', { ...LOOPBACK });
    const r = run(['--config', c, '--port', '0', '--http-port', '0']);
    const { code } = await r.exited;
    assert.notEqual(code, 0);
    const lines = r.stderr().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr());
    assert.match(lines[0]!, /set "zk" or "masters"/);
  });

  it('an HTTP port in use: one line naming the port, exit ≠ 0', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const c = config('busy.json', { ...LOOPBACK, masters: ['127.0.0.1:1'] });
      const r = run(['--config', c, '--port', '0', '--http-port', String(port)]);
      const { code } = await r.exited;
      assert.notEqual(code, 0);
      const lines = r.stderr().trim().split('\n');
      assert.equal(lines.length, 1, r.stderr());
      assert.match(lines[0]!, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
      assert.match(lines[0]!, /httpport/);
      assert.match(lines[0]!, /BEACON_E_PORT_IN_USE/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('a DNS port in use: one line naming the port, exit ≠ 0', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const c = config('busy-dns.json', { ...LOOPBACK, masters: ['127.0.0.1:1'] });
      const r = run(['--config', c, '--port', String(port), '--http-port', '0']);
      const { code } = await r.exited;
      assert.notEqual(code, 0);
      const lines = r.stderr().trim().split('\n');
      assert.equal(lines.length, 1, r.stderr());
      assert.match(lines[0]!, new RegExp(`:${port} is already in use`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('an unreadable --state file: one line naming it, exit ≠ 0', async () => {
    const r = run([
      '--state',
      join(dir, 'missing.json'),
      '--port',
      '0',
      '--http-port',
      '0',
      '--listener',
      '127.0.0.1',
      '--http-listener',
      '127.0.0.1',
    ]);
    const { code } = await r.exited;
    assert.notEqual(code, 0);
    const lines = r.stderr().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr());
    assert.match(lines[0]!, /--state .*missing\.json: cannot read the file \(ENOENT\)/);
  });
});
