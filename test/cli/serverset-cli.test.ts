// `beacon serverset announce|ls|watch` as a user runs them: real processes against a real
// ZooKeeper, exit codes passed on, and one clear line for every kind of bad input.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digestId } from '../../src/zk/acl.js';
import { ZkSession } from '../../src/zk/session.js';
import { Perms } from '../../src/zk/types.js';
import {
  beacon as runBeacon,
  exitWhenFileExists,
  killStartedBeacons,
  startBeacon,
  type BeaconChild,
} from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';

const QUIET = { BEACON_LOG: 'error' };
const beacon = (args: string[], timeoutMs?: number) => runBeacon(args, QUIET, timeoutMs);
const start = (args: string[]) => startBeacon(args, QUIET);
/** The exit code of a started command. */
const exitCode = async (r: BeaconChild) => (await r.exited).code;

describe('beacon serverset (CLI, real ZooKeeper)', () => {
  let zk: ZkServer;
  let observer: ZkSession;
  const dir = mkdtempSync(join(tmpdir(), 'beacon-cli-'));
  /** `serverset announce --zk <this ZooKeeper> --path <path>`, to be followed by the rest. */
  const announceArgs = (path: string) => [
    'serverset',
    'announce',
    '--zk',
    zk.connectString,
    '--path',
    path,
  ];

  before(async () => {
    zk = await ZkServer.start();
    observer = new ZkSession(zk.connectString);
    await observer.waitConnected(15000);
  });
  after(async () => {
    killStartedBeacons();
    await observer.close();
    await zk.stop();
  });

  test('announce: member present while CMD runs, gone right after it exits, exit code passed on', async () => {
    const flag = join(dir, 'exit-7');
    const path = '/aurora/vagrant/test/sidecar';
    const run = start([
      ...announceArgs(path),
      '--host',
      '127.0.0.1',
      '--port',
      'http=8080',
      '--port',
      'health=8081',
      '--portmap',
      'alias=http',
      '--portmap',
      'aurora=http',
      '--shard',
      '3',
      '--',
      ...exitWhenFileExists(flag, 7),
    ]);
    const children = await waitFor(
      'member announced',
      async () => {
        const c = await observer.getChildren(path).catch(() => []);
        return c.length === 1 ? c : undefined;
      },
      20000,
    );
    const { data } = await observer.getData(`${path}/${children[0]}`);
    assert.equal(
      data.toString(),
      '{"serviceEndpoint":{"host":"127.0.0.1","port":8080},"additionalEndpoints":{"alias":{"host":"127.0.0.1","port":8080},"aurora":{"host":"127.0.0.1","port":8080},"health":{"host":"127.0.0.1","port":8081},"http":{"host":"127.0.0.1","port":8080}},"status":"ALIVE","shard":3}',
    );

    const ls = beacon(['serverset', 'ls', `zk!${zk.connectString}!${path}!health`]);
    assert.equal(ls.status, 0, ls.stderr);
    assert.match(ls.stdout, /^member_\d{10}\t127\.0\.0\.1:8081 shard=3\t/);
    const lsJson = JSON.parse(
      beacon(['serverset', 'ls', '--json', `zk2!${zk.connectString}!${path}`]).stdout,
    );
    assert.equal(lsJson.length, 1);
    assert.deepEqual(lsJson[0].endpoint, { host: '127.0.0.1', port: 8080 });
    assert.equal(lsJson[0].shard, 3);

    writeFileSync(flag, '');
    assert.equal(await exitCode(run), 7);
    assert.deepEqual(
      await observer.getChildren(path),
      [],
      'deannounced by the time the sidecar exits',
    );
    assert.match(run.stderr(), /announced .*member_/);
  });

  test('announce: a child killed by a signal gives 128+N; SIGTERM to the sidecar deannounces first', async () => {
    const path = '/aurora/vagrant/test/signals';
    const killed = beacon([
      ...announceArgs(path),
      '--host',
      '127.0.0.1',
      '--port',
      'http=9000',
      '--',
      process.execPath,
      '-e',
      "setTimeout(()=>process.kill(process.pid,'SIGKILL'),300)",
    ]);
    assert.equal(killed.status, 137, killed.stderr);

    const run = start([
      ...announceArgs(path),
      '--host',
      '127.0.0.1',
      '--port',
      'http=9001',
      '--',
      ...exitWhenFileExists(join(dir, 'never'), 0),
    ]);
    await waitFor(
      'member announced',
      async () => (await observer.getChildren(path).catch(() => [])).length === 1,
      20000,
    );
    run.child.kill('SIGTERM');
    assert.equal(await exitCode(run), 143);
    assert.deepEqual(await observer.getChildren(path), []);
  });

  test('watch --json prints a snapshot, then one line per join and leave', async () => {
    const path = '/aurora/vagrant/test/watched';
    const w = start([
      'serverset',
      'watch',
      '--json',
      `/$/com.twitter.serverset/${zk.connectString}${path}`,
    ]);
    await waitFor('snapshot line', () => w.stdout().includes('"snapshot"'), 20000);
    const flag = join(dir, 'watched-exit');
    const a = start([
      ...announceArgs(path),
      '--host',
      '127.0.0.1',
      '--port',
      'http=9100',
      '--',
      ...exitWhenFileExists(flag, 0),
    ]);
    await waitFor('join line', () => w.stdout().includes('"join"'), 20000);
    writeFileSync(flag, '');
    assert.equal(await exitCode(a), 0);
    await waitFor('leave line', () => w.stdout().includes('"leave"'), 20000);
    const events = w
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    assert.deepEqual(events, ['snapshot', 'join', 'leave']);
    w.child.kill('SIGTERM');
    assert.equal(await exitCode(w), 0);
  });

  test('ls on a path only a digest user may read: NoAuth reported at once, then read with --auth', async () => {
    const owner = new ZkSession(zk.connectString, {
      auth: [{ scheme: 'digest', auth: 'alice:pw' }],
    });
    await owner.waitConnected(15000);
    const path = '/aurora/secret/test/job';
    await owner.mkdirp(path, [{ scheme: 'digest', id: digestId('alice', 'pw'), perms: Perms.ALL }]);
    await owner.close();
    const denied = beacon(
      ['serverset', 'ls', '--zk-timeout', '5', `zk!${zk.connectString}!${path}`],
      20000,
    );
    assert.notEqual(denied.status, 0);
    assert.equal(denied.stderr.trim().split('\n').length, 1, denied.stderr);
    assert.match(denied.stderr, /not authorised \(NoAuth\).*--auth digest:USER:PASSWORD/);
    const allowed = beacon([
      'serverset',
      'ls',
      '--auth',
      'digest:alice:pw',
      `zk!${zk.connectString}!${path}`,
    ]);
    assert.equal(allowed.status, 0, allowed.stderr);
  });

  test('bad input: one clear line, exit ≠ 0, no stack trace', async () => {
    const deadPort = await freePort();
    const cases: Array<{ args: string[]; expect: RegExp }> = [
      { args: ['serverset', 'ls', 'zk!nohostport'], expect: /zk!nohostport/ },
      { args: ['serverset', 'ls', 'zk2!127.0.0.1:2181!relative/path'], expect: /path|absolute/i },
      {
        args: ['serverset', 'ls', '--zk-timeout', '1', `zk!127.0.0.1:${deadPort}!/aurora/x`],
        expect: /could not connect to ZooKeeper at 127\.0\.0\.1:\d+ within 1 s/,
      },
      {
        args: [
          ...announceArgs('/a/b'),
          '--port',
          'http=1',
          '--acl',
          'digest:onlyuser',
          '--',
          'true',
        ],
        expect: /--acl "digest:onlyuser"/,
      },
      {
        args: [...announceArgs('/a/b'), '--port', 'http=1', '--auth', 'user:pass', '--', 'true'],
        expect: /--auth "user:\*+": expected digest:USER:PASSWORD/,
      },
      {
        args: [
          ...announceArgs('/a/b'),
          '--port',
          'http=1',
          '--portmap',
          'a=b',
          '--portmap',
          'b=a',
          '--',
          'true',
        ],
        expect: /cycle/i,
      },
      {
        args: [...announceArgs('/a/b'), '--port', 'http=1', '--primary', 'thrift', '--', 'true'],
        expect: /--primary "thrift" is not an assigned port/,
      },
      {
        args: [...announceArgs('/a/b'), '--port', 'http=99999', '--', 'true'],
        expect: /--port "http=99999"/,
      },
      {
        args: [
          'serverset',
          'announce',
          '--zk',
          `127.0.0.1:${deadPort}`,
          '--zk-timeout',
          '1',
          '--path',
          '/a/b',
          '--port',
          'http=1',
          '--',
          'sleep',
          '30',
        ],
        expect: /could not (connect|announce)/,
      },
    ];
    for (const c of cases) {
      const r = beacon(c.args);
      assert.notEqual(r.status, 0, `${c.args.join(' ')} should fail`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line for ${c.args.join(' ')}: ${r.stderr}`);
      assert.match(lines[0]!, c.expect);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.ok(!existsSync(join(dir, 'never')));
  });
});
