// Response-rate limiting against amplification: a token bucket per client /24 (IPv4) or /56
// (IPv6), every Nth limited response slipped as TC=1, TCP and exempt networks never limited, a
// bounded bucket table under a flood of spoofed sources, and the drop/slip counts reaching the
// metrics. The limiter's clock is frozen and moved by hand, so every count is exact.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import {
  ClientAddress,
  ResponseRateLimiter,
  type QueryInfo,
  type RateLimitAction,
} from '../../src/dns/index.js';
import { ServiceMetrics } from '../../src/http/metrics.js';
import { waitFor } from '../helpers/wait.js';
import { buildQuery, udp } from './client.js';
import { startDns } from './fixture.js';
import { SourcedClient, tcpFrom } from './security-client.js';

const TASK = 'http_example.test.vagrant.aurora.mesos';
const TC = 0x02;

function limiter(rate: number, slip = 2, tableSize?: number) {
  const clock = { t: 1_000_000 };
  const rrl = new ResponseRateLimiter({
    responsesPerSecond: rate,
    slip,
    tableSize,
    now: () => clock.t,
  });
  const a = new ClientAddress();
  const check = (addr: string) => {
    assert.notEqual(a.parse(addr), 0, addr);
    return rrl.check(a);
  };
  return { rrl, clock, check };
}

describe('ResponseRateLimiter', () => {
  it('allows a burst of one second, then drops and slips every 2nd; refills at the rate, capped', () => {
    const { clock, check } = limiter(5);
    const first = Array.from({ length: 11 }, () => check('192.0.2.1'));
    assert.deepEqual(first, [
      ...Array(5).fill('send'),
      'drop',
      'slip',
      'drop',
      'slip',
      'drop',
      'slip',
    ]);
    clock.t += 200; // 5/s → one token
    assert.equal(check('192.0.2.1'), 'send');
    assert.notEqual(check('192.0.2.1'), 'send');
    clock.t += 60_000; // idle a minute: back to a full burst, not 300 tokens
    const after = Array.from({ length: 7 }, () => check('192.0.2.1'));
    assert.equal(after.filter((v) => v === 'send').length, 5);
  });

  it('slip 0 never slips, slip 1 always does', () => {
    const never = limiter(1, 0);
    const always = limiter(1, 1);
    assert.equal(never.check('192.0.2.1'), 'send');
    assert.equal(always.check('192.0.2.1'), 'send');
    for (let i = 0; i < 6; i++) {
      assert.equal(never.check('192.0.2.1'), 'drop');
      assert.equal(always.check('192.0.2.1'), 'slip');
    }
  });

  it('shares one bucket per IPv4 /24 and IPv6 /56; IPv4-mapped clients count as IPv4', () => {
    const { check, rrl } = limiter(2);
    assert.equal(check('198.51.100.1'), 'send');
    assert.equal(check('::ffff:198.51.100.200'), 'send');
    assert.notEqual(check('198.51.100.77'), 'send', 'same /24: same bucket');
    assert.equal(check('198.51.101.1'), 'send', 'next /24: its own bucket');
    assert.equal(check('2001:db8:0:1200::1'), 'send');
    assert.equal(check('2001:db8:0:12ff:ffff::9'), 'send');
    assert.notEqual(check('2001:db8:0:1234::5'), 'send', 'same /56');
    assert.equal(check('2001:db8:0:1300::1'), 'send', 'next /56');
    assert.equal(rrl.size, 4);
  });

  it('keeps the table bounded under 100,000 spoofed /24s, sweeping idle buckets first', () => {
    const { rrl, clock, check } = limiter(10, 2, 1000);
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      check(`${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.1`);
      if (rrl.size > max) max = rrl.size;
    }
    assert.ok(max <= 1000, `at most 1000 buckets (saw ${max})`);
    // A busy client keeps its (empty) bucket while idle ones are swept, once they have refilled.
    const busy = '203.0.113.5';
    while (check(busy) === 'send');
    clock.t += 60_000;
    for (let i = 0; i < 10; i++) check(busy);
    // New netblocks fill the table up; the insert that finds it full sweeps every idle bucket.
    let i = 0;
    for (let prev = rrl.size; i < 1000; i++) {
      check(`100.${64 + (i >>> 8)}.${i & 255}.1`);
      if (rrl.size < prev) break;
      prev = rrl.size;
    }
    assert.ok(i < 1000, 'a sweep happened');
    assert.ok(
      rrl.size <= i + 2,
      `only the busy and the new buckets are left (${rrl.size}, ${i + 1} new)`,
    );
    assert.notEqual(check(busy), 'send', 'the busy client is still limited after the sweep');
  });
});

describe('response-rate limiting in the server', () => {
  const clients: SourcedClient[] = [];
  after(() => clients.forEach((c) => c.close()));
  const from = async (source: string) => {
    const c = await SourcedClient.bind(source);
    clients.push(c);
    return c;
  };

  it('limits a foreign UDP client per /24, slips TC=1 answers, exempts TCP and exempt networks', async () => {
    const clock = { t: 5_000_000 };
    const answered: QueryInfo[] = [];
    const limited: RateLimitAction[] = [];
    const metrics = new ServiceMetrics(
      { stateFetchedAt: () => undefined, recordCounts: () => undefined },
      { processMetrics: false },
    );
    const dns = await startDns({
      rrlResponsesPerSecond: 3,
      rrlSlip: 2,
      rrlExemptNetworks: ['127.0.0.1/32'],
      rrlClock: () => clock.t,
      onQuery: (i) => answered.push(i),
      onRateLimited: (a) => {
        limited.push(a);
        metrics.observeRateLimited(a);
      },
    });
    try {
      const c = await from('127.0.0.2');
      for (let id = 0; id < 10; id++) c.send(dns.port, buildQuery(TASK, 'A', { id }));
      await waitFor('10 queries handled', () => answered.length + limited.length === 10);
      assert.equal(answered.length, 3, 'the burst: 3 responses per second');
      assert.deepEqual(limited, ['drop', 'slip', 'drop', 'slip', 'drop', 'slip', 'drop']);
      await waitFor('6 datagrams (3 answers, 3 slips)', () => c.replies.length === 6);
      const full = c.replies.filter((r) => (r[2] & TC) === 0);
      const slips = c.replies.filter((r) => (r[2] & TC) !== 0);
      assert.equal(full.length, 3);
      assert.equal(slips.length, 3);
      for (const s of slips) {
        const p = dnsPacket.decode(s);
        assert.equal(p.answers?.length, 0, 'a slip carries no records');
        assert.equal(p.questions?.[0].name, TASK);
        assert.ok(s.length <= buildQuery(TASK, 'A').length, 'a slip is no larger than the query');
      }

      // Another address in the same /24 shares the bucket; the next /24 has its own.
      const neighbour = await from('127.0.0.9');
      neighbour.send(dns.port, buildQuery(TASK, 'A', { id: 100 }));
      await waitFor('the neighbour limited', () => limited.length === 8);
      assert.equal(limited[7], 'slip');
      const other = await from('127.0.1.2');
      other.send(dns.port, buildQuery(TASK, 'A', { id: 101 }));
      await waitFor('the other /24 answered', () => other.replies.length === 1);
      assert.equal(dnsPacket.decode(other.replies[0]).answers?.length, 2);

      // TCP is never limited, nor an exempt client.
      const t = dnsPacket.decode(await tcpFrom('127.0.0.2', dns.port, buildQuery(TASK, 'A')));
      assert.equal(t.answers?.length, 2);
      for (let i = 0; i < 20; i++)
        assert.equal((await udp(dns.port, TASK, 'A')).packet.answers?.length, 2);
      assert.equal(limited.length, 8);

      // One second later the bucket has refilled.
      clock.t += 1000;
      c.send(dns.port, buildQuery(TASK, 'A', { id: 200 }));
      await waitFor('the refilled answer', () => c.replies.length === 7);
      assert.equal(c.replies[6][2] & TC, 0);

      const body = (await metrics.render()).body;
      assert.match(body, /^beacon_dns_rrl_dropped_total 4$/m);
      assert.match(body, /^beacon_dns_rrl_slipped_total 4$/m);
    } finally {
      await dns.close();
    }
  });

  it('by default loopback is exempt: a local burst of 500 queries is never throttled', async () => {
    const limited: RateLimitAction[] = [];
    const dns = await startDns({ onRateLimited: (a) => limited.push(a) });
    try {
      const c = await from('127.0.0.5');
      for (let id = 0; id < 500; id++) c.send(dns.port, buildQuery(TASK, 'A', { id }));
      await waitFor('500 answers', () => c.replies.length === 500);
      assert.equal(limited.length, 0);
    } finally {
      await dns.close();
    }
  });

  it('rrlResponsesPerSecond 0 turns the limiter off for every client', async () => {
    const limited: RateLimitAction[] = [];
    const dns = await startDns({
      rrlResponsesPerSecond: 0,
      rrlExemptNetworks: [],
      onRateLimited: (a) => limited.push(a),
    });
    try {
      const c = await from('127.0.0.6');
      for (let id = 0; id < 300; id++) c.send(dns.port, buildQuery(TASK, 'A', { id }));
      await waitFor('300 answers', () => c.replies.length === 300);
      assert.equal(limited.length, 0);
    } finally {
      await dns.close();
    }
  });
});
