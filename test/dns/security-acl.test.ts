// DNS is not an open resolver: out-of-zone queries are forwarded only for clients in
// forwardAllowedNetworks (others get REFUSED without the upstream being asked), answers from the
// records stay available to everyone, CIDR lists parse strictly and match like net.BlockList, and
// bad config entries are rejected naming the key and the entry. "Foreign" clients are simulated
// by sending from 127.0.0.2 to a server that allows only 127.0.0.1/32.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { parseConfig, defaultConfig } from '../../src/config/mesos-dns.js';
import {
  ClientAddress,
  PRIVATE_NETWORKS,
  createDnsServer,
  parseCidr,
  parseNetworks,
  type QueryInfo,
} from '../../src/dns/index.js';
import { ConfigError } from '../../src/errors.js';
import { waitFor } from '../helpers/wait.js';
import { buildQuery, udp } from './client.js';
import { startDns } from './fixture.js';
import { SourcedClient, tcpFrom } from './security-client.js';
import { startUpstream, type FakeUpstream } from './upstream.js';
import { rng as prng } from '../helpers/random.js';

const rcodeOf = (raw: Buffer) => raw[3] & 0xf;
const REFUSED = 5;
const NOERROR = 0;
const TASK = 'http_example.test.vagrant.aurora.mesos';

describe('forwardAllowedNetworks: CIDR parsing and matching', () => {
  const a = new ClientAddress();
  const has = (list: readonly string[], addr: string) => {
    a.parse(addr);
    return parseNetworks(list).has(a);
  };

  it('the default admits loopback and private ranges (also IPv4-mapped) and nothing else', () => {
    for (const ok of [
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '10.200.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      'fc00::1',
      'fdff:1:2::3',
      '::ffff:10.1.2.3',
      '::ffff:127.0.0.1',
    ])
      assert.equal(has(PRIVATE_NETWORKS, ok), true, ok);
    for (const no of [
      '8.8.8.8',
      '172.32.0.1',
      '172.15.255.255',
      '192.169.0.1',
      '11.0.0.0',
      '2001:db8::1',
      'fe80::1',
      '::ffff:8.8.8.8',
      '::2',
      'not-an-ip',
      '',
    ])
      assert.equal(has(PRIVATE_NETWORKS, no), false, no);
  });

  it('matches exactly like net.BlockList on 3,000 random addresses and networks', () => {
    const rnd = prng(6);
    const word = () => Math.floor(rnd() * 2 ** 32);
    const v4 = (w: number) => `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
    const v6 = (ws: number[]) =>
      ws.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
    for (let i = 0; i < 3000; i++) {
      const six = rnd() < 0.5;
      const bits = six ? 128 : 32;
      const prefix = Math.floor(rnd() * (bits + 1));
      // Addresses near the network: share a random number of leading bits with it.
      const net6 = [word(), word(), word(), word()];
      const addr6 = net6.map((w, k) => (rnd() < 0.7 && k < prefix / 32 + 1 ? w : word()));
      const netWords = six ? net6 : [net6[0]];
      const masked = netWords.map((w, k) => {
        const m = prefix - 32 * k;
        return m >= 32 ? w : m <= 0 ? 0 : (w & ((0xffffffff << (32 - m)) >>> 0)) >>> 0;
      });
      // Keep IPv4-mapped space out of the IPv6 cases: BlockList treats it differently.
      if (six && masked[0] === 0 && masked[1] === 0) continue;
      const cidr = six ? `${v6(masked)}/${prefix}` : `${v4(masked[0])}/${prefix}`;
      const addr = six
        ? v6(addr6)
        : v4(rnd() < 0.5 ? addr6[0] : (net6[0] ^ (1 << Math.floor(rnd() * 32))) >>> 0);
      const bl = new net.BlockList();
      bl.addSubnet(cidr.split('/')[0], prefix, six ? 'ipv6' : 'ipv4');
      assert.equal(has([cidr], addr), bl.check(addr, six ? 'ipv6' : 'ipv4'), `${addr} in ${cidr}`);
    }
  });

  it('parses hosts, IPv6 forms and IPv4-mapped networks; rejects the rest with the entry named', () => {
    assert.deepEqual(parseCidr('10.1.2.3'), { family: 4, words: [0x0a010203], prefix: 32 });
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), {
      family: 4,
      words: [0x0a000000],
      prefix: 8,
    });
    assert.equal(parseCidr('2001:DB8::/32').prefix, 32);
    assert.equal(has(['::/0'], '8.8.8.8'), true, '::/0 also covers IPv4 clients (mapped)');
    assert.equal(has(['0.0.0.0/0'], '2001:db8::1'), false);
    assert.equal(has(['0.0.0.0/0'], '::ffff:1.2.3.4'), true);
    for (const [bad, why] of [
      ['10.0.0.1/8', /bits are set past the \/8 prefix \(did you mean 10\.0\.0\.0\/8\?\)/],
      ['10.0.0.0/33', /prefix length must be a number 0-32/],
      ['::/129', /0-128/],
      ['256.0.0.0/8', /expected an IP address/],
      ['010.0.0.0/8', /expected an IP address/],
      ['fe80::1%eth0/64', /zone/],
      ['1:2:3:4:5:6:7:8:9/64', /expected an IP address/],
      ['10.0.0.0/-1', /prefix length/],
      ['', /expected an IP address/],
    ] as const) {
      assert.throws(
        () => parseNetworks(['127.0.0.0/8', bad], 'forwardAllowedNetworks'),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message.includes('"forwardAllowedNetworks"[1]') &&
          e.message.includes(JSON.stringify(bad)) &&
          why.test(e.message),
        bad,
      );
    }
  });

  it('config: defaults, case-insensitive keys, and errors naming the key and the entry', () => {
    const d = defaultConfig();
    assert.deepEqual(d.forwardAllowedNetworks, [...PRIVATE_NETWORKS]);
    assert.deepEqual(d.rrlExemptNetworks, ['127.0.0.0/8', '::1/128']);
    assert.equal(d.rrlResponsesPerSecond, 100);
    assert.equal(d.rrlSlip, 2);
    const c = parseConfig({ ForwardAllowedNetworks: ['10.0.0.0/8'], rrlexemptnetworks: [] }).config;
    assert.deepEqual(c.forwardAllowedNetworks, ['10.0.0.0/8']);
    assert.deepEqual(c.rrlExemptNetworks, []);
    assert.throws(
      () => parseConfig({ forwardallowednetworks: ['10.0.0.0/8', '10.0.0.0/40'] }, 'c.json'),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^c\.json: "forwardallowednetworks"\[1\]: "10\.0\.0\.0\/40" is not a network/.test(
          e.message,
        ),
    );
    assert.throws(
      () => parseConfig({ rrlExemptNetworks: '127.0.0.0/8' }),
      /"rrlExemptNetworks" must be a list of networks/,
    );
    assert.throws(() => parseConfig({ rrlResponsesPerSecond: -1 }), /"rrlResponsesPerSecond"/);
    assert.throws(() => parseConfig({ rrlSlip: 1.5 }), /"rrlSlip"/);
  });
});

describe('forwardAllowedNetworks: the server', () => {
  const ups: FakeUpstream[] = [];
  const clients: SourcedClient[] = [];
  after(async () => {
    for (const u of ups) await u.close();
    for (const c of clients) c.close();
  });
  const from = async (source: string) => {
    const c = await SourcedClient.bind(source);
    clients.push(c);
    return c;
  };

  it('refuses recursion to a client outside the list, without asking upstream; answers it from the records', async () => {
    const up = await startUpstream('answer', '192.0.2.');
    ups.push(up);
    const seen: QueryInfo[] = [];
    const dns = await startDns({
      resolvers: [up.address],
      forwardAllowedNetworks: ['127.0.0.1/32'],
      rrlResponsesPerSecond: 0,
      onQuery: (i) => seen.push(i),
    });
    try {
      const foreign = await from('127.0.0.2');
      foreign.send(dns.port, buildQuery('www.example.com', 'A', { id: 1 }));
      foreign.send(dns.port, buildQuery('9.9.9.9.in-addr.arpa', 'PTR', { id: 2 }));
      foreign.send(dns.port, buildQuery(TASK, 'A', { id: 3 }));
      foreign.send(dns.port, buildQuery('1.0.0.10.in-addr.arpa', 'PTR', { id: 4 }));
      await waitFor('four replies', () => foreign.replies.length === 4);
      const byId = new Map(foreign.replies.map((r) => [r.readUInt16BE(0), r]));
      assert.equal(rcodeOf(byId.get(1)!), REFUSED);
      assert.equal(
        rcodeOf(byId.get(2)!),
        REFUSED,
        'reverse names we hold no PTR for are forwarded: refused too',
      );
      const task = dnsPacket.decode(byId.get(3)!);
      assert.equal(rcodeOf(byId.get(3)!), NOERROR);
      assert.equal(task.answers?.length, 2, 'authoritative answers are for everyone');
      assert.equal(rcodeOf(byId.get(4)!), NOERROR);
      assert.equal(dnsPacket.decode(byId.get(4)!).answers?.length, 1);
      // TCP from outside: refused too.
      const t = await tcpFrom('127.0.0.2', dns.port, buildQuery('www.example.com', 'A'));
      assert.equal(rcodeOf(t), REFUSED);
      assert.equal(up.udpQueries + up.tcpQueries, 0, 'the upstream was never asked');
      assert.ok(seen.some((s) => s.rcode === 'REFUSED' && !s.forwarded));
      // The allowed client is forwarded as before.
      const ok = await udp(dns.port, 'www.example.com', 'A');
      assert.equal(rcodeOf(ok.raw), NOERROR);
      assert.equal(up.udpQueries, 1);
    } finally {
      await dns.close();
    }
  });

  it('with the default list, a 127/8 client is forwarded; an empty list refuses everyone', async () => {
    const up = await startUpstream('answer', '192.0.2.');
    ups.push(up);
    const open = await startDns({ resolvers: [up.address], rrlResponsesPerSecond: 0 });
    const closed = await startDns({ resolvers: [up.address], forwardAllowedNetworks: [] });
    try {
      const c = await from('127.0.0.3');
      c.send(open.port, buildQuery('www.example.com', 'A', { id: 7 }));
      await waitFor('the forwarded reply', () => c.replies.length === 1);
      assert.equal(rcodeOf(c.replies[0]), NOERROR);
      assert.equal(up.udpQueries, 1);
      const r = await udp(closed.port, 'www.example.com', 'A');
      assert.equal(rcodeOf(r.raw), REFUSED);
      assert.equal(up.udpQueries, 1);
    } finally {
      await open.close();
      await closed.close();
    }
  });

  it('a bad entry given to the server directly is a ConfigError naming the option', () => {
    assert.throws(
      () => createDnsServer({ forwardAllowedNetworks: ['nope'] }),
      /"forwardAllowedNetworks"\[0\]: "nope" is not a network/,
    );
  });
});
