// The Mesos-DNS-compatible HTTP API of a running service: shapes of /v1/*, 404 JSON on misses
// (or Mesos-DNS's 200 + empty entry with compat404), 405 on wrong methods, /v1/config redaction,
// 503 before the first load, 403 with EnumerationOn false.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VERSION } from '../../src/version.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { getJson } from '../helpers/http.js';
import { startService, type Started } from './fixture.js';

const TASK = 'http_example.test.vagrant.aurora.mesos.';
const CANON = 'http_example.test.vagrant-s7nnu-s0.aurora.mesos.';

describe('HTTP API', () => {
  let s: Started;
  before(async () => {
    s = await startService({
      config: {
        MesosAuthentication: 'basic',
        MesosCredentials: { Principal: 'beacon', Secret: 'hunter2' },
      },
    });
  });
  after(async () => s.close());

  it('/v1/version names Beacon', async () => {
    const r = await getJson(`${s.base}/v1/version`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { Service: 'Beacon', URL: '', Version: VERSION });
  });

  it('/v1/config shows the effective config with the secret redacted', async () => {
    const r = await getJson(`${s.base}/v1/config`);
    assert.equal(r.status, 200);
    const c = r.body as Record<string, unknown>;
    assert.deepEqual(c.MesosCredentials, { Principal: 'beacon', Secret: '******' });
    assert.equal(c.domain, 'mesos');
    assert.deepEqual(c.masters, [s.masters[0]!.address]);
    assert.ok(!JSON.stringify(c).includes('hunter2'));
    // The master really got the secret.
    assert.equal(
      s.masters[0]!.lastAuthorization,
      `Basic ${Buffer.from('beacon:hunter2').toString('base64')}`,
    );
  });

  it('/v1/hosts/{host} lists A records, case-insensitively, with or without the trailing dot', async () => {
    for (const q of [
      'http_example.test.vagrant.aurora.mesos',
      'HTTP_example.test.vagrant.aurora.mesos.',
    ]) {
      const r = await getJson(`${s.base}/v1/hosts/${q}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, [{ host: TASK, ip: '10.0.0.21' }]);
    }
    const leader = await getJson(`${s.base}/v1/hosts/leader.mesos`);
    assert.deepEqual(leader.body, [{ host: 'leader.mesos.', ip: '127.0.0.1' }]);
  });

  it('/v1/services/{service} lists SRV targets with their IPs and string ports', async () => {
    const r = await getJson(
      `${s.base}/v1/services/_http._http_example.test.vagrant._tcp.aurora.mesos`,
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      {
        service: '_http._http_example.test.vagrant._tcp.aurora.mesos.',
        host: CANON,
        ip: '10.0.0.21',
        port: '31000',
      },
    ]);
    const both = await getJson(
      `${s.base}/v1/services/_http_example.test.vagrant._tcp.aurora.mesos.`,
    );
    const ports = (both.body as Array<{ port: string }>).map((e) => e.port).sort();
    assert.deepEqual(ports, ['31000', '31001']);
  });

  it('misses are 404 with a JSON error body', async () => {
    const h = await getJson(`${s.base}/v1/hosts/nope.mesos`);
    assert.equal(h.status, 404);
    assert.equal((h.body as { code: string }).code, 'BEACON_E_NOT_FOUND');
    assert.match((h.body as { error: string }).error, /nope\.mesos/);
    const sv = await getJson(`${s.base}/v1/services/_nope._tcp.mesos`);
    assert.equal(sv.status, 404);
    assert.equal((sv.body as { code: string }).code, 'BEACON_E_NOT_FOUND');
  });

  it('/v1/enumerate has Mesos-DNS shape', async () => {
    const r = await getJson(`${s.base}/v1/enumerate`);
    assert.equal(r.status, 200);
    const body = r.body as {
      frameworks: Array<{
        name: string;
        tasks: Array<{
          name: string;
          id: string;
          records: Array<{ name: string; host: string; rtype: string }>;
        }>;
      }>;
    };
    assert.equal(body.frameworks.length, 1);
    assert.equal(body.frameworks[0]!.name, 'Aurora');
    const task = body.frameworks[0]!.tasks[0]!;
    assert.equal(task.id, 'vagrant-test-http_example-0-4f6c');
    assert.ok(
      task.records.some((x) => x.name === TASK && x.host === '10.0.0.21' && x.rtype === 'A'),
    );
    assert.ok(task.records.some((x) => x.rtype === 'SRV' && x.host === `${CANON}:31000`));
  });

  it('/v1/axfr has Mesos-DNS shape', async () => {
    const r = await getJson(`${s.base}/v1/axfr`);
    assert.equal(r.status, 200);
    const b = r.body as Record<string, unknown> & {
      Records: { As: Record<string, string[]>; SRVs: Record<string, string[]> };
    };
    assert.equal(b.TTL, 60);
    assert.equal(b.RefreshSeconds, 60);
    assert.equal(b.Mname, 'ns1.mesos.');
    assert.equal(b.Rname, 'root.ns1.mesos.');
    assert.equal(b.Domain, 'mesos');
    assert.equal(typeof b.Serial, 'number');
    assert.deepEqual(b.Records.As[TASK], ['10.0.0.21']);
    assert.deepEqual(b.Records.SRVs['_http._http_example.test.vagrant._tcp.aurora.mesos.'], [
      `${CANON}:31000`,
    ]);
  });

  it('unknown paths are 404 JSON; wrong methods are 405 JSON with Allow', async () => {
    for (const p of ['/', '/v1', '/v1/hosts/', '/v2/hosts/x', '/v1/versionx']) {
      const r = await getJson(`${s.base}${p}`);
      assert.equal(r.status, 404, p);
      assert.match((r.body as { error: string }).error, /no such endpoint/);
    }
    const r = await getJson(`${s.base}/v1/version`, { method: 'POST', body: '{}' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    assert.match((r.body as { error: string }).error, /POST/);
    const head = await fetch(`${s.base}/v1/version`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});

describe('HTTP API with compat404 and EnumerationOn false', () => {
  let s: Started;
  before(async () => {
    s = await startService({ config: { compat404: true, EnumerationOn: false } });
  });
  after(async () => s.close());

  it("answers a miss with Mesos-DNS's 200 and one empty entry", async () => {
    const h = await getJson(`${s.base}/v1/hosts/nope.mesos`);
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, [{ host: '', ip: '' }]);
    const sv = await getJson(`${s.base}/v1/services/_nope._tcp.mesos`);
    assert.equal(sv.status, 200);
    assert.deepEqual(sv.body, [{ service: '', host: '', ip: '', port: '' }]);
  });

  it('refuses enumeration when it is off', async () => {
    for (const p of ['/v1/enumerate', '/v1/axfr']) {
      const r = await getJson(`${s.base}${p}`);
      assert.equal(r.status, 403, p);
      assert.match((r.body as { error: string }).error, /EnumerationOn/);
    }
  });
});

describe('HTTP API before the first load', () => {
  it('answers record queries with 503 and /healthz with not ready', async () => {
    const down = await FakeMaster.start({ down: true });
    const s = await startService({ masters: [down], waitLoaded: false });
    try {
      for (const p of [
        '/v1/hosts/leader.mesos',
        '/v1/services/_leader._tcp.mesos',
        '/v1/enumerate',
        '/v1/axfr',
      ]) {
        const r = await getJson(`${s.base}${p}`);
        assert.equal(r.status, 503, p);
        assert.match((r.body as { error: string }).error, /not ready/);
      }
      const v = await getJson(`${s.base}/v1/version`);
      assert.equal(v.status, 200);
    } finally {
      await s.close();
    }
  });
});
