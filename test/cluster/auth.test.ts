// The master API's security: a master beyond loopback without a token is refused before anything
// binds (library and CLI); with a token, every state-changing call without the right bearer gets
// 401 JSON and changes nothing, reads stay open, and `beacon job` sends the token from
// --api-token or BEACON_API_TOKEN.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  API_TOKEN_ENV,
  assertListenAllowed,
  bearerMatches,
  isLoopbackAddress,
  resolveApiToken,
} from '../../src/cluster/auth.js';
import { startDevcluster, type Devcluster } from '../../src/cluster/devcluster.js';
import { JobsClient } from '../../src/cluster/jobs-client.js';
import { parseJobText } from '../../src/cluster/job-schema.js';
import { ErrorCodes, UnauthorizedError, UsageError } from '../../src/errors.js';
import { beacon, beaconAsync } from '../helpers/cli.js';
import { request } from '../helpers/http.js';
import { freePort, uniqueAgentIp } from '../helpers/net.js';

const TOKEN = 'correct-horse-battery-staple-0123';
const KEY = 'devcluster/www-data/prod/authsleeper';
const JOB = `job: ${KEY}\nprocesses:\n  - name: s\n    cmdline: exec sleep 60\nkill_grace_secs: 0\n`;

/** Resolves when `port` can be bound on `host` (i.e. nobody listens there). */
function bindable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

describe('auth helpers', () => {
  test('loopback addresses: 127/8, ::1, IPv4-mapped, localhost; nothing else', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost'])
      assert.equal(isLoopbackAddress(a), true, a);
    for (const a of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '192.168.1.5',
      '::ffff:10.0.0.1',
      '127.example.com',
      'example.com',
      '',
      undefined,
    ])
      assert.equal(isLoopbackAddress(a), false, String(a));
  });

  test('the token comes from the flag, else the environment; bad tokens are refused by name', () => {
    assert.equal(resolveApiToken(undefined, {}), undefined);
    assert.equal(resolveApiToken(undefined, { [API_TOKEN_ENV]: '' }), undefined);
    assert.equal(resolveApiToken(undefined, { [API_TOKEN_ENV]: TOKEN }), TOKEN);
    assert.equal(
      resolveApiToken('flag-token-flag-token', { [API_TOKEN_ENV]: TOKEN }),
      'flag-token-flag-token',
    );
    assert.throws(
      () => resolveApiToken('short', {}),
      (e: unknown) => e instanceof UsageError && /--api-token.*at least 16/.test(e.message),
    );
    assert.throws(
      () => resolveApiToken(undefined, { [API_TOKEN_ENV]: 'has a space in it!!' }),
      (e: unknown) => e instanceof UsageError && e.message.startsWith(API_TOKEN_ENV),
    );
    assert.throws(() => resolveApiToken('', {}), UsageError);
  });

  test('listening beyond loopback needs a token; the error names the flag and the variable', () => {
    assertListenAllowed('127.0.0.1', undefined);
    assertListenAllowed('::1', undefined);
    assertListenAllowed('0.0.0.0', TOKEN);
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'master.example.com']) {
      assert.throws(
        () => assertListenAllowed(host, undefined),
        (e: unknown) =>
          e instanceof UsageError &&
          e.message.includes(host) &&
          e.message.includes('--api-token') &&
          e.message.includes(API_TOKEN_ENV),
      );
    }
  });

  test('bearer check: only the exact token in a Bearer header passes', () => {
    assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`bearer ${TOKEN}`, TOKEN), true, 'the scheme is case-insensitive');
    for (const h of [
      undefined,
      '',
      'Bearer',
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      `Bearer ${TOKEN} extra`,
      TOKEN,
    ])
      assert.equal(bearerMatches(h, TOKEN), false, String(h));
  });
});

describe('a master beyond loopback without a token', () => {
  test('startDevcluster refuses before binding anything or touching the data dir', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'beacon-auth-')), 'never');
    const masterPort = await freePort();
    const zkPort = await freePort();
    await assert.rejects(
      startDevcluster({
        dataDir,
        masterHost: '0.0.0.0',
        masterPort,
        zkPort,
        agentIp: uniqueAgentIp(),
        agentPort: await freePort(),
        exampleJob: undefined,
      }),
      (e: unknown) =>
        e instanceof UsageError &&
        /--api-token/.test(e.message) &&
        e.message.includes(API_TOKEN_ENV),
    );
    assert.equal(existsSync(dataDir), false, 'no data dir created');
    assert.equal(await bindable(masterPort), true, 'the master port was never taken');
    assert.equal(await bindable(zkPort), true, 'the ZooKeeper port was never taken');
  });

  test('`beacon devcluster --master-host 0.0.0.0` exits with one line naming --api-token', async () => {
    const r = beacon(
      [
        'devcluster',
        '--master-host',
        '0.0.0.0',
        '--master-port',
        String(await freePort()),
        '--no-dns',
        '--no-example',
        '--data-dir',
        mkdtempSync(join(tmpdir(), 'beacon-auth-cli-')),
      ],
      { [API_TOKEN_ENV]: undefined },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--api-token TOKEN or set BEACON_API_TOKEN/);
    assert.match(r.stderr, new RegExp(ErrorCodes.USAGE));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  test('a too-short token is refused by the CLI', async () => {
    const r = beacon(
      [
        'devcluster',
        '--api-token',
        'abc',
        '--no-dns',
        '--no-example',
        '--master-port',
        String(await freePort()),
        '--zk-port',
        '0',
        '--data-dir',
        mkdtempSync(join(tmpdir(), 'beacon-auth-cli-')),
      ],
      { [API_TOKEN_ENV]: undefined },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--api-token: the token is 3 characters/);
  });
});

describe('a master with a token (on 127.0.0.1)', () => {
  let dc: Devcluster;
  let jobFile: string;
  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'beacon-auth-dc-'));
    jobFile = join(dataDir, 'authsleeper.yaml');
    writeFileSync(jobFile, JOB);
    dc = await startDevcluster({
      dataDir,
      masterPort: 0,
      zkPort: 0,
      agents: 1,
      agentIp: uniqueAgentIp(),
      agentPort: await freePort(),
      exampleJob: undefined,
      apiToken: TOKEN,
    });
  });
  after(async () => {
    await dc?.close();
  });

  const post = (path: string, body: unknown, auth?: string) =>
    request(`${dc.masterUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });

  test('every state-changing call without the right bearer is 401 JSON and changes nothing', async () => {
    const config = parseJobText(JOB, 'authsleeper.yaml');
    const agent = dc.agents[0]!.info.id;
    const calls: [string, string, unknown][] = [
      ['POST', '/jobs', { key: KEY, config }],
      ['POST', `/jobs/${KEY}/kill`, {}],
      ['POST', `/jobs/${KEY}/restart`, {}],
      ['POST', `/devcluster/agents/${agent}/fail`, {}],
      ['POST', '/no/such/endpoint', {}],
      ['DELETE', `/jobs/${KEY}`, {}],
      ['PUT', '/jobs', {}],
    ];
    for (const auth of [
      undefined,
      'Bearer wrong-token-wrong-token',
      `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      TOKEN,
    ]) {
      for (const [method, path, body] of calls) {
        const r = await request(`${dc.masterUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body: JSON.stringify(body),
        });
        assert.equal(r.status, 401, `${method} ${path} with ${auth ?? 'no auth'}: ${r.text}`);
        const j = JSON.parse(r.text) as { error: string; code: string };
        assert.equal(j.code, ErrorCodes.UNAUTHORIZED);
        assert.match(j.error, auth ? /does not match/ : /Authorization: Bearer TOKEN.*--api-token/);
      }
    }
    assert.deepEqual(dc.scheduler.list(), [], 'no job was created');
    assert.equal(dc.master.agents().length, 1, 'the agent was not failed');
    const www = await post('/jobs', {});
    assert.match(www.text, /BEACON_E_UNAUTHORIZED/);
  });

  test('reads stay open without a token: state, jobs, agents, operator API', async () => {
    for (const path of ['/master/state', '/state.json', '/jobs', '/devcluster/agents', '/health']) {
      assert.equal((await request(`${dc.masterUrl}${path}`)).status, 200, path);
    }
    const op = await post('/api/v1', { type: 'GET_STATE' });
    assert.equal(op.status, 200, op.text);
    assert.equal((JSON.parse(op.text) as { type: string }).type, 'GET_STATE');
  });

  test('with the token, the jobs API works (client and `beacon job`, flag or environment)', async () => {
    const anon = new JobsClient(dc.masterUrl);
    await assert.rejects(
      anon.create(KEY, parseJobText(JOB, jobFile), jobFile),
      (e: unknown) =>
        e instanceof UnauthorizedError &&
        /--api-token/.test(e.message) &&
        e.message.includes(dc.masterUrl),
    );
    const client = new JobsClient(dc.masterUrl, TOKEN);
    const created = await client.create(KEY, parseJobText(JOB, jobFile), jobFile);
    assert.equal(created.key, KEY);
    assert.equal((await anon.status(KEY)).key, KEY, 'status is a read: no token needed');

    const noToken = await beaconAsync(['job', 'restart', KEY, '--master', dc.masterUrl], {
      [API_TOKEN_ENV]: undefined,
    });
    assert.notEqual(noToken.status, 0);
    assert.match(noToken.stderr, /needs an API token.*--api-token.*\[BEACON_E_UNAUTHORIZED\]/);
    const wrong = await beaconAsync([
      'job',
      'restart',
      KEY,
      '--master',
      dc.masterUrl,
      '--api-token',
      'not-the-token-at-all',
    ]);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /does not match/);
    const viaFlag = await beaconAsync(
      ['job', 'restart', KEY, '--master', dc.masterUrl, '--api-token', TOKEN],
      { [API_TOKEN_ENV]: undefined },
    );
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    const viaEnv = await beaconAsync(['job', 'kill', KEY, '--master', dc.masterUrl], {
      [API_TOKEN_ENV]: TOKEN,
    });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    const list = await beaconAsync(['job', 'list', '--master', dc.masterUrl], {
      [API_TOKEN_ENV]: undefined,
    });
    assert.equal(list.status, 0, 'list is a read');
  });
});
