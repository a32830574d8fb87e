// Fail-open answers counted where they are sent: every DNS response whose Answer section holds
// records of unhealthy tasks (none behind the name and type is healthy) counts once in the
// server's stats — the first one, which builds and caches the answer, and every cache hit after
// it, over UDP and TCP; answers from healthy records, other types of the same name, negative
// answers and a new record set's answers count nothing extra, and the count never goes back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Packet, SrvAnswer } from 'dns-packet';
import { parseState } from '../../src/model/mesos-state.js';
import { generateRecords, makeRecordsConfig } from '../../src/records/index.js';
import { healthState, WEB, WEB_NAMED } from '../helpers/health-state.js';
import { tcp, udp } from './client.js';
import { startDns, type Running } from './fixture.js';

const records = (health: boolean[], ipv6: number[] = []) =>
  generateRecords(parseState(healthState(health, { ipv6 })).state, makeRecordsConfig({}));
const rcode = (p: Packet) => (p as Packet & { rcode?: string }).rcode;
const ips = (p: Packet) => (p.answers ?? []).map((a) => ('data' in a ? String(a.data) : '')).sort();

describe('fail-open answers in the DNS server stats', () => {
  let dns: Running;
  const count = () => dns.server.stats.failOpenAnswers;
  before(async () => {
    dns = await startDns({ records: records([false, false, false]) });
  });
  after(() => dns.close());

  it('N identical queries for a fail-open name count N (cache hits included), UDP and TCP', async () => {
    assert.equal(count(), 0);
    for (let i = 0; i < 5; i++) {
      const { packet } = await udp(dns.port, WEB, 'A');
      assert.deepEqual(ips(packet), ['10.1.0.1', '10.1.0.2', '10.1.0.3'], 'the unhealthy ones');
      assert.equal(count(), i + 1, `after query ${i + 1}`);
    }
    // Another case of the same name: the same cached answer, counted too.
    await udp(dns.port, WEB.toUpperCase(), 'A');
    await tcp(dns.port, WEB, 'A');
    await tcp(dns.port, WEB, 'A');
    assert.equal(count(), 8);
    const srv = (await udp(dns.port, WEB_NAMED, 'SRV')).packet;
    assert.equal(srv.answers?.length, 3);
    assert.equal(count(), 9, 'a fail-open SRV answer counts once, not per record');
  });

  it('answers not built from fail-open records count nothing', async () => {
    const before = count();
    const srv = (await udp(dns.port, WEB_NAMED, 'SRV')).packet;
    assert.equal(count(), before + 1);
    // The SRV targets: each task's own name, never health-filtered.
    const target = (srv.answers![0] as SrvAnswer).data.target;
    for (let i = 0; i < 3; i++) {
      assert.equal((await udp(dns.port, target, 'A')).packet.answers?.length, 1);
      assert.equal(rcode((await udp(dns.port, 'nothing.aurora.mesos.', 'A')).packet), 'NXDOMAIN');
      assert.equal((await udp(dns.port, WEB, 'AAAA')).packet.answers?.length, 0, 'NODATA');
      await udp(dns.port, 'mesos.', 'SOA');
    }
    assert.equal(count(), before + 1);
  });

  it('per record type, and the count carries on across a new record set', async () => {
    const before = count();
    // Instance 1, alone unhealthy, alone has an IPv6 address: AAAA fails open, A does not.
    dns.server.setRecords(records([true, false, true], [1]));
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(ips((await udp(dns.port, WEB, 'A')).packet), ['10.1.0.1', '10.1.0.3']);
      assert.deepEqual(ips((await udp(dns.port, WEB, 'ANY')).packet), ['10.1.0.1', '10.1.0.3']);
      assert.equal((await udp(dns.port, WEB_NAMED, 'SRV')).packet.answers?.length, 2);
    }
    assert.equal(count(), before, 'healthy answers of a name whose AAAA failed open');
    for (let i = 0; i < 3; i++)
      assert.deepEqual(ips((await udp(dns.port, WEB, 'AAAA')).packet), ['fd00::2']);
    assert.equal(count(), before + 3);
  });
});
