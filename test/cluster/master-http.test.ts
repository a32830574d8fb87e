// The master's endpoints through the HTTP floor, against a bare master and scheduler (no agents,
// so no processes): HEAD where GET is, every error a coded JSON reply with the registry's status
// (405 with Allow, 415, 413, 409, 404), and the operator API's Mesos-style text errors.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { parseJobText } from '../../src/cluster/job-schema.js';
import { Master } from '../../src/cluster/master.js';
import { createMasterServer } from '../../src/cluster/master-http.js';
import { Scheduler } from '../../src/cluster/scheduler.js';
import { ErrorRegistry } from '../../src/errors.js';

const KEY = 'test/www-data/prod/floor';
const JOB = `job: ${KEY}\nprocesses:\n  - name: s\n    cmdline: exec sleep 60\n`;

describe('master HTTP through the floor', () => {
  let server: http.Server;
  let base: string;

  before(async () => {
    const master = new Master({
      ip: '127.0.0.1',
      port: 5050,
      hostname: '127.0.0.1',
      frameworkName: 'Aurora',
      cluster: 'test',
    });
    const scheduler = new Scheduler({
      master,
      populateDiscoveryInfo: true,
      discoveryPortAliases: true,
    });
    server = createMasterServer({ master, scheduler, heartbeatSeconds: 15 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const post = (path: string, body: string, type = 'application/json') =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  async function coded(res: Response, kind: keyof typeof ErrorRegistry): Promise<string> {
    const { code, status } = ErrorRegistry[kind];
    assert.equal(res.status, status, kind);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = (await res.json()) as { error: string; code: string };
    assert.equal(body.code, code);
    return body.error;
  }

  test('HEAD answers wherever GET does, with its headers and no body', async () => {
    for (const path of ['/master/state', '/state.json', '/jobs', '/devcluster/agents']) {
      const get = await fetch(`${base}${path}`);
      const text = await get.text();
      const head = await fetch(`${base}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal(await head.text(), '', path);
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(text)), path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
    }
  });

  test('jobs API errors are coded JSON with the registry status', async () => {
    const config = parseJobText(JOB, 'floor.yaml');
    const create = JSON.stringify({ key: KEY, config });
    assert.equal((await post('/jobs', create)).status, 200);
    assert.match(await coded(await post('/jobs', create), 'JOB_EXISTS'), /already exists/);
    assert.match(
      await coded(await post('/jobs', create, 'text/plain'), 'MEDIA_TYPE'),
      /application\/json/,
    );
    const big = JSON.stringify({ key: KEY, pad: 'x'.repeat(2 << 20) });
    assert.match(await coded(await post('/jobs', big), 'BODY_TOO_LARGE'), /larger than 1 MiB/);
    assert.match(await coded(await post('/jobs', '{"key":'), 'INPUT'), /not a JSON object/);
    assert.match(await coded(await fetch(`${base}/jobs/test/a/b/none`), 'NOT_FOUND'), /none/);
    assert.match(await coded(await fetch(`${base}/jobs/%E0%A4%A`), 'INPUT'), /percent-encoding/);
    assert.match(await coded(await fetch(`${base}/no/such`), 'NOT_FOUND'), /no such endpoint/);
    const r = await fetch(`${base}/api/v1`);
    assert.equal(r.headers.get('allow'), 'POST');
    assert.match(await coded(r, 'METHOD_NOT_ALLOWED'), /use POST/);
  });

  test("the operator API answers errors in Mesos's plain text, with the registry status", async () => {
    const cases: [string, string, keyof typeof ErrorRegistry, RegExp][] = [
      ['{}', 'application/x-protobuf', 'MEDIA_TYPE', /Expecting 'Content-Type'/],
      ['not json', 'application/json', 'INPUT', /Failed to parse body into JSON/],
      ['{"type":"NOPE"}', 'application/json', 'INPUT', /Unsupported call type "NOPE"/],
      [`"${'x'.repeat(2 << 20)}"`, 'application/json', 'BODY_TOO_LARGE', /larger than 1 MiB/],
    ];
    for (const [body, type, kind, message] of cases) {
      const r = await post('/api/v1', body, type);
      assert.equal(r.status, ErrorRegistry[kind].status, kind);
      assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.match(await r.text(), message);
    }
    const state = await post('/api/v1', '{"type":"GET_HEALTH"}');
    assert.deepEqual(await state.json(), { type: 'GET_HEALTH', get_health: { healthy: true } });
  });
});
