// End-to-end checks through the real `dig` client: A, SRV with Additional, NXDOMAIN with SOA,
// TCP, EDNS buffer sizes and truncation, case echo.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dig } from '../helpers/dig.js';
import {
  fixtureRecords,
  memoryRecordSet,
  testZone,
  type TestRecord,
} from '../helpers/recordset.js';
import { startDns, type Running } from './fixture.js';

const wide: TestRecord[] = [];
for (let i = 0; i < 60; i++) {
  const target = `w${i}-abcde-s1.marathon.slave.mesos`;
  wide.push({ name: '_w._tcp.marathon.mesos', type: 'SRV', target, port: 31000 + i });
  wide.push({ name: target, type: 'A', ip: `10.3.0.${i}` });
}

describe('DNS through dig', () => {
  let dns: Running;
  before(async () => {
    dns = await startDns({
      records: memoryRecordSet([...fixtureRecords(), ...wide], testZone({ soa: { minttl: 45 } })),
    });
  });
  after(() => dns.close());

  it('A', async () => {
    const r = await dig(dns.port, ['http_example.test.vagrant.aurora.mesos', 'A']);
    assert.equal(r.status, 'NOERROR');
    assert.ok(r.flags.includes('aa'));
    assert.deepEqual(r.answer.map((a) => a[4]).sort(), ['10.0.0.1', '10.0.0.2']);
    assert.equal(r.ednsUdp, 1232);
  });

  it('SRV with Additional', async () => {
    const r = await dig(dns.port, ['_http_example.test.vagrant._tcp.aurora.mesos', 'SRV']);
    assert.deepEqual(r.answer.map((a) => a.slice(3).join(' ')).sort(), [
      'SRV 0 1 31000 http_example-abcde-s1.test.vagrant.aurora.slave.mesos.',
      'SRV 0 1 31001 http_example-fghij-s2.test.vagrant.aurora.slave.mesos.',
    ]);
    assert.deepEqual(r.additional.map((a) => `${a[0]} ${a[3]} ${a[4]}`).sort(), [
      'http_example-abcde-s1.test.vagrant.aurora.slave.mesos. A 10.0.0.1',
      'http_example-fghij-s2.test.vagrant.aurora.slave.mesos. A 10.0.0.2',
    ]);
  });

  it('NXDOMAIN with the SOA in Authority at the negative TTL', async () => {
    const r = await dig(dns.port, ['nothere.aurora.mesos', 'SRV']);
    assert.equal(r.status, 'NXDOMAIN');
    assert.equal(r.answer.length, 0);
    assert.deepEqual(
      r.authority.map((a) => a.slice(0, 4)),
      [['mesos.', '45', 'IN', 'SOA']],
    );
    assert.equal(r.authority[0][4], 'ns1.mesos.');
  });

  it('apex SOA and NS in Answer', async () => {
    const soa = await dig(dns.port, ['mesos', 'SOA']);
    assert.deepEqual(
      soa.answer.map((a) => [a[0], a[3]]),
      [['mesos.', 'SOA']],
    );
    const ns = await dig(dns.port, ['mesos', 'NS']);
    assert.deepEqual(
      ns.answer.map((a) => [a[0], a[3], a[4]]),
      [['mesos.', 'NS', 'ns1.mesos.']],
    );
  });

  it('TCP gives the full answer', async () => {
    const r = await dig(dns.port, ['+tcp', '_w._tcp.marathon.mesos', 'SRV']);
    assert.equal(r.transport, 'TCP');
    assert.ok(!r.flags.includes('tc'));
    assert.equal(r.answer.length, 60);
    assert.equal(r.additional.length, 60);
  });

  it('respects the EDNS buffer size: truncated over UDP with +ignore, dig retries over TCP without', async () => {
    const small = await dig(dns.port, [
      '+bufsize=1000',
      '+ignore',
      '_w._tcp.marathon.mesos',
      'SRV',
    ]);
    assert.ok(small.flags.includes('tc'));
    assert.ok(small.answer.length > 0 && small.answer.length < 60);
    const noEdns = await dig(dns.port, ['+noedns', '+ignore', '_w._tcp.marathon.mesos', 'SRV']);
    assert.ok(noEdns.flags.includes('tc'));
    assert.ok(noEdns.answer.length < small.answer.length);
    assert.equal(noEdns.ednsUdp, undefined);
    const retried = await dig(dns.port, ['+bufsize=1000', '_w._tcp.marathon.mesos', 'SRV']);
    assert.equal(retried.answer.length, 60);
  });

  it("echoes the query's case", async () => {
    const r = await dig(dns.port, ['NS1.MeSoS', 'A']);
    assert.equal(r.question[0].split(/\s+/)[0], 'NS1.MeSoS.');
    assert.equal(r.answer[0][0], 'NS1.MeSoS.');
  });
});
