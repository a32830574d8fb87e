// Secrets never leave Beacon: `beacon dns` runs at debug log level with a Mesos secret (basic
// auth), a ZooKeeper digest password in `zk`, through loads, failures (error, garbage, master
// down, ZooKeeper gone) and recoveries; neither stdout, stderr (the logs), /v1/config, /healthz
// nor /metrics may contain the secret strings — while the test checks the secrets really were
// used. `beacon serverset … --auth digest:USER:PASS` and bad config values get the same check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { ZkAuthError } from '../../src/errors.js';
import { EmbeddedStore, startZkWireServer, type ZkWireServer } from '../../src/zk/index.js';
import {
  beacon,
  beaconAsync,
  exitWhenFileExists,
  killStartedBeacons,
  startBeacon,
} from '../helpers/cli.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { writeJson } from '../helpers/files.js';
import { waitFor } from '../helpers/wait.js';
import { udp } from '../dns/client.js';

const MESOS_SECRET = 'Mesos-S3cret-987';
const PRINCIPAL = 'beacon-principal';
const ZK_PASSWORD = 'Zk-PaSS-123';
const SS_PASSWORD = 'SsPass-456';
const BASIC = Buffer.from(`${PRINCIPAL}:${MESOS_SECRET}`).toString('base64');
/** Every form a secret could take in output. */
const FORBIDDEN = [MESOS_SECRET, ZK_PASSWORD, SS_PASSWORD, BASIC];
const env = { ...process.env, BEACON_LOG: 'debug' };

const dir = mkdtempSync(join(tmpdir(), 'beacon-secrets-'));
after(() => {
  killStartedBeacons();
  rmSync(dir, { recursive: true, force: true });
});

function assertClean(what: string, text: string): void {
  for (const s of FORBIDDEN) {
    const at = text.indexOf(s);
    assert.equal(
      at,
      -1,
      `${what} contains a secret: …${text.slice(Math.max(0, at - 120), at + 40)}…`,
    );
  }
}

const config = (name: string, obj: Record<string, unknown>) => writeJson(dir, name, obj);
const DEBUG = { BEACON_LOG: 'debug' };
const run = (args: string[]) => startBeacon(args, DEBUG);
/** Runs a command to its end without blocking the event loop (the ZooKeeper wire server under
 *  test lives in this process). */
const runToEnd = (args: string[]) => beaconAsync(args, DEBUG);

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

describe('secrets stay out of output, logs and the HTTP API', () => {
  it('beacon dns at debug level: zk digest password and Mesos secret, through failures', async () => {
    const store = new EmbeddedStore();
    let wire: ZkWireServer | undefined = await startZkWireServer({ store });
    const m = await FakeMaster.start();
    const setup = store.connect();
    try {
      await setup.mkdirp('/mesos');
      const info = { address: { hostname: 'localhost', ip: m.host, port: m.port }, port: m.port };
      await setup.create('/mesos/json.info_0000000001', Buffer.from(JSON.stringify(info)));
      const c = config('dns.json', {
        zk: `zk://zkuser:${ZK_PASSWORD}@${wire.connectString}/mesos`,
        masters: [m.address],
        MesosAuthentication: 'basic',
        MesosCredentials: { Principal: PRINCIPAL, Secret: MESOS_SECRET },
        refreshSeconds: 1,
        stateTimeoutSeconds: 2,
        zkDetectionTimeout: 5,
        listener: '127.0.0.1',
        HTTPListener: '127.0.0.1',
        resolvers: [],
        externalon: false,
      });
      const r = run(['dns', '--config', c, '--port', '0', '--http-port', '0']);
      const line = await waitFor(
        'the listening line',
        () => {
          if (r.child.exitCode !== null) throw new Error(`exited: ${r.stderr()}`);
          return r
            .stdout()
            .split('\n')
            .find((l) => l.startsWith('beacon dns: DNS on'));
        },
        15000,
      );
      const [, dnsPort, httpPort] =
        /DNS on 127\.0\.0\.1:(\d+) .* HTTP on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)!.map(Number);
      const status = async () =>
        JSON.parse((await get(httpPort, '/healthz')).body) as { status: string };
      await waitFor('records loaded', async () => (await status()).status === 'ok');
      // The secrets were really used: the master saw our basic auth.
      assert.equal(m.lastAuthorization, `Basic ${BASIC}`);
      await udp(dnsPort, 'http_example.test.vagrant.aurora.mesos', 'A');
      await udp(dnsPort, 'missing.mesos', 'A');

      // Failures of every kind, each followed by a recovery.
      const requests = () => m.requests;
      for (const mode of ['error', 'garbage'] as const) {
        m.setMode(mode);
        const n = requests();
        await waitFor(
          `a refresh against a master answering ${mode}`,
          async () => requests() > n + 1 && (await status()).status === 'degraded',
        );
        m.setMode('ok');
        await waitFor('recovery', async () => (await status()).status === 'ok');
      }
      await m.down();
      await waitFor(
        'degraded while the master is down',
        async () => (await status()).status === 'degraded',
      );
      await m.up();
      await waitFor('recovery', async () => (await status()).status === 'ok');
      // ZooKeeper goes away: the session logs the disconnection and keeps reconnecting with the
      // credentials while the records are still served.
      const before = r.stderr().length;
      await wire.close();
      wire = undefined;
      await waitFor('the ZooKeeper session to log the disconnection', () =>
        /"component":"zk"[^\n]*disconnected/.test(r.stderr().slice(before)),
      );
      const bodies: string[] = [];
      for (const p of [
        '/v1/config',
        '/healthz',
        '/healthz?strict',
        '/metrics',
        '/v1/version',
        '/v1/axfr',
      ]) {
        const b = await get(httpPort, p);
        bodies.push(b.body);
        assertClean(p, b.body);
      }
      const shown = JSON.parse(bodies[0]) as { zk: string; MesosCredentials: { Secret: string } };
      assert.equal(shown.MesosCredentials.Secret, '******');
      assert.match(shown.zk, /^zk:\/\/\*+@127\.0\.0\.1:\d+\/mesos$/);
      r.child.kill('SIGTERM');
      assert.equal((await r.exited).code, 0, r.stderr());
      assert.match(r.stderr(), /"level":20/, 'debug logging was on');
      assertClean('stdout', r.stdout());
      assertClean('stderr (logs)', r.stderr());
    } finally {
      await setup.close();
      await wire?.close();
      await m.stop();
    }
  });

  it('the logger masks secret fields and credentials inside any logged string', () => {
    const log = fileURLToPath(new URL('../../src/log.js', import.meta.url));
    const script = `
      const { logger } = await import(${JSON.stringify(log)});
      const l = logger('test');
      l.debug({ password: '${MESOS_SECRET}', auth: 'u:${ZK_PASSWORD}', headers: { authorization: 'Basic ${BASIC}' },
        MesosCredentials: { Principal: 'p', Secret: '${MESOS_SECRET}' } }, 'fields');
      l.warn({ url: 'zk://u:${ZK_PASSWORD}@h:2181/mesos' }, 'connecting to http://p:${MESOS_SECRET}@m:5050/');
      l.error({ err: new Error('auth failed for digest:ssuser:${SS_PASSWORD}') }, 'sent Authorization: Basic %s', '${BASIC}');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env,
      timeout: 20000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 3, r.stderr);
    assert.match(r.stderr, /zk:\/\/\*+@h:2181/);
    assert.match(r.stderr, /digest:ssuser:\*+/);
    assertClean('log lines', r.stderr);
  });

  it('config errors about secret-bearing keys do not echo the secret', () => {
    const cases: Record<string, unknown>[] = [
      { MesosCredentials: { Principal: 5, Secret: MESOS_SECRET } },
      { MesosCredentials: { Principal: 'p', Secret: MESOS_SECRET, extra: 1 } },
      { zk: `http://zkuser:${ZK_PASSWORD}@10.0.0.1:2181/mesos` },
      { zk: `zk://zkuser:${ZK_PASSWORD}@bad host:2181/mesos`, listener: '127.0.0.1' },
      { zk: `zk://zkuser:${ZK_PASSWORD}@10.0.0.1:2181/mesos`, listener: 'not-an-ip' },
    ];
    for (const [i, obj] of cases.entries()) {
      const c = config(`bad-${i}.json`, {
        HTTPListener: '127.0.0.1',
        port: 0,
        httpport: 0,
        ...obj,
      });
      const r = beacon(['dns', '--config', c], DEBUG, 20000);
      assert.notEqual(r.status, 0, `case ${i} should fail: ${r.stderr}`);
      assert.match(r.stderr, /BEACON_E_CONFIG/, `case ${i}: ${r.stderr}`);
      assertClean(`case ${i} stderr`, r.stderr);
      assertClean(`case ${i} stdout`, r.stdout);
    }
  });

  it('beacon serverset --auth digest:USER:PASS at debug level: used, never shown', async () => {
    const store = new EmbeddedStore();
    const wire = await startZkWireServer({ store });
    const auth = `digest:ssuser:${SS_PASSWORD}`;
    const flag = join(dir, 'stop-announce');
    const ann = run([
      'serverset',
      'announce',
      '--zk',
      wire.connectString,
      '--path',
      '/aurora/secret/test/job',
      '--host',
      '127.0.0.1',
      '--port',
      'http=8080',
      '--auth',
      auth,
      '--acl',
      `${auth}:cdrwa`,
      '--',
      ...exitWhenFileExists(flag),
    ]);
    try {
      const ls = () =>
        runToEnd([
          'serverset',
          'ls',
          `zk!${wire.connectString}!/aurora/secret/test/job`,
          '--zk-timeout',
          '5',
          '--auth',
          auth,
        ]);
      const seen = await waitFor('the member, read with the credentials', async () => {
        const r = await ls();
        return r.status === 0 && r.stdout.includes('127.0.0.1:8080') ? r : undefined;
      });
      // Without the credentials the member is unreadable: the ACL (and so the password) is real.
      const anonymous = store.connect();
      try {
        await assert.rejects(
          anonymous.getChildren('/aurora/secret/test/job'),
          (e: unknown) => e instanceof ZkAuthError,
        );
      } finally {
        await anonymous.close();
      }
      // Bad flag values that carry the password.
      const badAcl = await runToEnd([
        'serverset',
        'announce',
        '--zk',
        wire.connectString,
        '--path',
        '/x',
        '--port',
        'http=1',
        '--acl',
        `${auth}:zzz`,
        '--',
        'true',
      ]);
      assert.notEqual(badAcl.status, 0);
      assert.match(
        badAcl.stderr,
        /--acl "digest:ssuser:\*+:zzz"/,
        'the bad spec is still recognisable',
      );
      const badAuth = await runToEnd([
        'serverset',
        'ls',
        'zk!127.0.0.1:1!/x',
        '--auth',
        `digest-x:ssuser:${SS_PASSWORD}`,
      ]);
      assert.notEqual(badAuth.status, 0);
      assert.match(badAuth.stderr, /BEACON_E_INPUT/);
      writeFileSync(flag, '');
      assert.equal((await ann.exited).code, 0, ann.stderr());
      assert.match(ann.stderr(), /"level":20/, 'debug logging was on');
      for (const [what, text] of [
        ['announce stdout', ann.stdout()],
        ['announce stderr', ann.stderr()],
        ['ls stdout', seen.stdout],
        ['ls stderr', seen.stderr],
        ['bad --acl stderr', badAcl.stderr],
        ['bad --auth stderr', badAuth.stderr],
      ] as const)
        assertClean(what, text);
    } finally {
      await wire.close();
    }
  });
});
