// Forwarding out-of-zone queries to local upstream servers: relay with the client's ID, TCP retry
// on truncation, hung upstream (timeout → next resolver / SERVFAIL), health ordering, parallel
// mode, REFUSED when external is off.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Packet } from 'dns-packet';
import { parseResolver, type QueryInfo } from '../../src/dns/index.js';
import { ConfigError } from '../../src/errors.js';
import { tcp, udp } from './client.js';
import { startDns } from './fixture.js';
import { startUpstream, type FakeUpstream } from './upstream.js';
import { waitFor } from '../helpers/wait.js';

const rcode = (p: Packet) => (p as Packet & { rcode?: string }).rcode;
const ips = (p: Packet) => (p.answers ?? []).map((a) => (a as { data: string }).data).sort();

describe('forwarding', () => {
  const ups: FakeUpstream[] = [];
  const up = async (...a: Parameters<typeof startUpstream>) => {
    const u = await startUpstream(...a);
    ups.push(u);
    return u;
  };
  after(async () => {
    for (const u of ups) await u.close();
  });

  it('relays an upstream answer with the client ID and reports it as forwarded', async () => {
    const good = await up('answer', '192.0.2.');
    const seen: QueryInfo[] = [];
    const dns = await startDns({ resolvers: [good.address], onQuery: (i) => seen.push(i) });
    try {
      const { packet } = await udp(dns.port, 'www.example.com', 'A', { id: 4321 });
      assert.equal(packet.id, 4321);
      assert.equal(rcode(packet), 'NOERROR');
      assert.deepEqual(ips(packet), ['192.0.2.0']);
      assert.equal(packet.questions?.[0].name, 'www.example.com');
      assert.equal(good.udpQueries, 1);
      assert.deepEqual(
        seen.map((s) => [s.qtype, s.rcode, s.forwarded]),
        [['A', 'NOERROR', true]],
      );
    } finally {
      await dns.close();
    }
  });

  it('forwards reverse names it holds no PTR for', async () => {
    const good = await up('answer', '192.0.2.');
    const dns = await startDns({ resolvers: [good.address] });
    try {
      await udp(dns.port, '9.9.9.9.in-addr.arpa', 'PTR');
      assert.equal(good.udpQueries, 1);
    } finally {
      await dns.close();
    }
  });

  it('retries over TCP when the upstream truncates and the client asked over TCP', async () => {
    const trunc = await up('truncate', '198.51.100.');
    const dns = await startDns({ resolvers: [trunc.address] });
    try {
      const viaUdp = await udp(dns.port, 'big.example.com', 'A');
      assert.ok(((viaUdp.packet.flags ?? 0) & (1 << 9)) !== 0, 'UDP client gets the TC answer');
      const { packet } = await tcp(dns.port, 'big.example.com', 'A');
      assert.deepEqual(ips(packet), ['198.51.100.0', '198.51.100.1', '198.51.100.2']);
      assert.equal(trunc.tcpQueries, 1);
    } finally {
      await dns.close();
    }
  });

  it('sequential: a hung resolver times out, the next answers, and the hung one goes last afterwards', async () => {
    const hung = await up('hang');
    const good = await up('answer', '192.0.2.');
    const dns = await startDns({ resolvers: [hung.address, good.address], forwardTimeoutMs: 1000 });
    try {
      const first = await udp(dns.port, 'a.example.com', 'A');
      assert.deepEqual(ips(first.packet), ['192.0.2.0']);
      assert.equal(hung.udpQueries, 1);
      const second = await udp(dns.port, 'b.example.com', 'A');
      assert.deepEqual(ips(second.packet), ['192.0.2.0']);
      assert.equal(hung.udpQueries, 1, 'the unhealthy resolver was not asked first again');
      const health = dns.server.upstreams();
      assert.equal(health[0].failures, 1);
      assert.equal(health[1].failures, 0);
    } finally {
      await dns.close();
    }
  });

  it('tries the next resolver when one answers SERVFAIL', async () => {
    const bad = await up('servfail');
    const good = await up('answer', '192.0.2.');
    const dns = await startDns({ resolvers: [bad.address, good.address] });
    try {
      const { packet } = await udp(dns.port, 'c.example.com', 'A');
      assert.deepEqual(ips(packet), ['192.0.2.0']);
    } finally {
      await dns.close();
    }
  });

  it('parallel: the first good answer wins over a hung resolver', async () => {
    const hung = await up('hang');
    const good = await up('answer', '203.0.113.');
    const dns = await startDns({
      resolvers: [hung.address, good.address],
      forwardMode: 'parallel',
      forwardTimeoutMs: 5000,
    });
    try {
      const { packet } = await udp(dns.port, 'd.example.com', 'A');
      assert.deepEqual(ips(packet), ['203.0.113.0']);
      await waitFor('the hung resolver to have been asked too', () => hung.udpQueries === 1);
    } finally {
      await dns.close();
    }
  });

  it('answers SERVFAIL when every resolver fails', async () => {
    const hung = await up('hang');
    const bad = await up('servfail');
    for (const forwardMode of ['sequential', 'parallel'] as const) {
      const dns = await startDns({
        resolvers: [hung.address, bad.address],
        forwardTimeoutMs: 200,
        forwardMode,
      });
      try {
        const { packet } = await udp(dns.port, 'e.example.com', 'A');
        assert.equal(rcode(packet), 'SERVFAIL');
        const t = await tcp(dns.port, 'e.example.com', 'A');
        assert.equal(rcode(t.packet), 'SERVFAIL');
      } finally {
        await dns.close();
      }
    }
  });

  it('answers REFUSED without asking upstream when externalOn is false', async () => {
    const good = await up('answer');
    const dns = await startDns({ resolvers: [good.address], externalOn: false });
    try {
      assert.equal(rcode((await udp(dns.port, 'f.example.com', 'A')).packet), 'REFUSED');
      assert.equal(good.udpQueries, 0);
    } finally {
      await dns.close();
    }
  });

  it('parses resolver addresses and rejects bad ones with ConfigError', () => {
    assert.deepEqual(parseResolver('8.8.8.8'), { host: '8.8.8.8', port: 53 });
    assert.deepEqual(parseResolver('10.0.0.2:5353'), { host: '10.0.0.2', port: 5353 });
    assert.deepEqual(parseResolver('[::1]:5300'), { host: '::1', port: 5300 });
    assert.deepEqual(parseResolver('2001:db8::1'), { host: '2001:db8::1', port: 53 });
    for (const bad of ['dns.google', '1.2.3.4:0', '1.2.3.4:99999', '']) {
      assert.throws(() => parseResolver(bad), ConfigError, bad);
    }
  });
});
