// ServerSet record names: the DiscoveryInfo scheme, and no label over 63 bytes even for long
// path segments (only the part that would not fit is shortened).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serversetRecords, serversetServiceName } from '../../src/records/serverset-records.js';
import type { Member } from '../../src/serverset/watcher.js';

const naming = { root: '/aurora', framework: 'aurora' };
const member = (port: number): Member => ({
  name: 'member_0000000001',
  endpoint: { host: '10.0.0.1', port },
  weight: 1,
  vectors: [],
  instance: {
    serviceEndpoint: { host: '10.0.0.1', port },
    additionalEndpoints: { http: { host: '10.0.0.1', port } },
    status: 'ALIVE',
  },
});
const ips = (h: string) => [h];

test('Aurora paths map to job.env.role, as DiscoveryInfo names do', () => {
  assert.equal(
    serversetServiceName('/aurora/vagrant/test/http_example', naming),
    'http_example.test.vagrant',
  );
  assert.equal(serversetServiceName('/aurora/Web Team/prod/x', naming), 'x.prod.webteam');
  assert.equal(serversetServiceName('/aurora/a/b/c', { ...naming, template: '{2}-{0}' }), 'c-a');
  assert.equal(serversetServiceName('/aurora', naming), undefined);
  const names = serversetRecords(
    '/aurora/vagrant/test/http_example',
    [member(31000)],
    naming,
    'mesos',
    ips,
  ).map((r) => r.name);
  assert.ok(names.includes('http_example.test.vagrant.aurora.mesos.'));
  assert.ok(names.includes('_http_example.test.vagrant._tcp.aurora.mesos.'));
  assert.ok(names.includes('_http._http_example.test.vagrant._tcp.aurora.mesos.'));
});

test('no label over 63 bytes for long segments; short names unchanged', () => {
  const job = 'j'.repeat(63);
  const records = serversetRecords(`/aurora/role/env/${job}`, [member(1)], naming, 'mesos', ips);
  for (const r of [
    ...records.map((x) => x.name),
    ...records.filter((x) => x.type === 'SRV').map((x) => x.value),
  ]) {
    for (const label of r.split('.').filter(Boolean)) {
      assert.ok(label.length <= 63, `label ${label.length} bytes in ${r}`);
      assert.ok(!label.endsWith('-'), `label ends in '-' in ${r}`);
    }
  }
  assert.ok(
    records.some((r) => r.name === `${job}.env.role.aurora.mesos.`),
    'the A name keeps the full label',
  );
  const role = 'r'.repeat(60);
  const t = serversetRecords(`/aurora/${role}/env/job`, [member(1)], naming, 'mesos', ips).find(
    (r) => r.type === 'SRV',
  )!;
  assert.match(t.value, /^job\.env\.r{54}-[a-z0-9]{5}-ss\.aurora\.mesos\.$/);
});
