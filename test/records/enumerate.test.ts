// Sorted views of a record set: JSON list, /v1/enumerate (framework → task → records) and the
// /v1/axfr record maps, and the RecordSet contract (get, counts, names).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { axfrRecords, enumerate, recordList } from '../../src/records/index.js';
import { loadFixture } from './fixtures.js';

describe('listing', () => {
  const { rs } = loadFixture('aurora-discovery');
  it('recordList is sorted by name and agrees with counts()', () => {
    const list = recordList(rs);
    const names = list.map((l) => l.name);
    assert.deepEqual(names, [...names].sort());
    const c = rs.counts();
    assert.equal(list.length, c.a + c.aaaa + c.srv + c.ptr);
    assert.equal(list.filter((l) => l.type === 'SRV').length, c.srv);
    const srv = list.find((l) => l.name === '_http._http_example.test.vagrant._tcp.aurora.mesos.');
    assert.deepEqual(srv, {
      name: '_http._http_example.test.vagrant._tcp.aurora.mesos.',
      type: 'SRV',
      ttl: 60,
      data: 'http_example.test.vagrant-s7nnu-s0.aurora.mesos.',
      priority: 0,
      weight: 1,
      port: 31000,
    });
  });
  it('enumerate groups records by framework and task, like Mesos-DNS /v1/enumerate', () => {
    const e = enumerate(rs);
    assert.equal(e.frameworks.length, 1);
    const fw = e.frameworks[0]!;
    assert.equal(fw.name, 'Aurora');
    assert.equal(fw.tasks.length, 1);
    const task = fw.tasks[0]!;
    assert.equal(task.id, 'vagrant-test-http_example-0-4f6c');
    assert.equal(task.name, 'vagrant/test/http_example');
    assert.ok(
      task.records.some(
        (r) =>
          r.rtype === 'A' &&
          r.name === 'http_example.test.vagrant.aurora.mesos.' &&
          r.host === '10.0.0.21',
      ),
    );
    assert.ok(
      task.records.some(
        (r) =>
          r.rtype === 'SRV' &&
          r.name === '_http_example.test.vagrant._tcp.aurora.mesos.' &&
          r.host === 'http_example.test.vagrant-s7nnu-s0.aurora.mesos.:31000',
      ),
    );
    // every task record is in the set; no duplicates within a task
    const keys = task.records.map((r) => `${r.name} ${r.rtype} ${r.host}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const r of task.records) assert.ok(rs.get(r.name), r.name);
  });
  it('axfrRecords maps names to values per type', () => {
    const x = axfrRecords(rs);
    assert.deepEqual(x.As['leader.mesos.'], ['10.0.0.10']);
    assert.deepEqual(x.As['master.mesos.'], ['10.0.0.10', '10.0.0.12', '10.0.0.13']);
    assert.deepEqual(x.SRVs['_leader._tcp.mesos.'], ['leader.mesos.:5050']);
    assert.deepEqual(x.PTRs['21.0.0.10.in-addr.arpa.'], [
      'http-example-test-vagrant-s7nnu-s0.aurora.mesos.',
      'slave.mesos.',
    ]);
    assert.deepEqual(x.AAAAs, {});
  });
  it('get() returns fresh empty arrays for absent types (never shared between names)', () => {
    const a = rs.get('leader.mesos.')!;
    const b = rs.get('slave.mesos.')!;
    assert.deepEqual(a.srv, []);
    assert.notEqual(a.aaaa, b.aaaa);
    assert.equal(rs.get('nothing.mesos.'), undefined);
  });
});
