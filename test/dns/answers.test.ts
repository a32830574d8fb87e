// DNS serving rules through the in-process client over UDP: authority, record types, negative
// answers with SOA, case echo, shuffling, ANY, error rcodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Answer, Packet, SoaAnswer, SrvAnswer } from 'dns-packet';
import dnsPacket from 'dns-packet';
import {
  fixtureRecords,
  memoryRecordSet,
  testZone,
  type TestRecord,
} from '../helpers/recordset.js';
import { buildQuery, udp, udpRaw } from './client.js';
import { startDns, type Running } from './fixture.js';
import type { QueryInfo } from '../../src/dns/index.js';

const rcode = (p: Packet) => (p as Packet & { rcode?: string }).rcode;
const flag = (p: Packet, bit: number) => ((p.flags ?? 0) & bit) !== 0;
const AA = 1 << 10;
const TC = 1 << 9;
const RA = 1 << 7;

const zone = testZone({ ttl: 60, soa: { minttl: 30, serial: 7 } });
const shuffled: TestRecord[] = [1, 2, 3, 4, 5, 6].map((i) => ({
  name: 'many.mesos',
  type: 'A',
  ip: `10.9.0.${i}`,
}));

describe('DNS answers (in-process client, UDP)', () => {
  let dns: Running;
  const seen: QueryInfo[] = [];
  before(async () => {
    dns = await startDns({
      records: memoryRecordSet([...fixtureRecords(), ...shuffled], zone),
      onQuery: (i) => seen.push(i),
    });
  });
  after(() => dns.close());

  it('answers A authoritatively with every address, the zone TTL and RA (recurseon)', async () => {
    const { packet } = await udp(dns.port, 'http_example.test.vagrant.aurora.mesos', 'A');
    assert.equal(rcode(packet), 'NOERROR');
    assert.ok(flag(packet, AA));
    assert.ok(flag(packet, RA));
    assert.ok(!flag(packet, TC));
    assert.deepEqual(packet.answers?.map((a) => (a as { data: string }).data).sort(), [
      '10.0.0.1',
      '10.0.0.2',
    ]);
    for (const a of packet.answers ?? []) assert.equal((a as { ttl?: number }).ttl, 60);
  });

  it('answers AAAA', async () => {
    const { packet } = await udp(dns.port, 'v6task.marathon.mesos', 'AAAA');
    assert.deepEqual(
      packet.answers?.map((a) => [a.type, (a as { data: string }).data]),
      [['AAAA', '2001:db8::1']],
    );
  });

  it('answers SRV with priority/weight/port/target and one address per target in Additional', async () => {
    const { packet } = await udp(dns.port, '_http_example.test.vagrant._tcp.aurora.mesos', 'SRV');
    const srv = (packet.answers ?? []) as SrvAnswer[];
    assert.deepEqual(
      srv.map((a) => [a.data.priority, a.data.weight, a.data.port, a.data.target]).sort(),
      [
        [0, 1, 31000, 'http_example-abcde-s1.test.vagrant.aurora.slave.mesos'],
        [0, 1, 31001, 'http_example-fghij-s2.test.vagrant.aurora.slave.mesos'],
      ],
    );
    const add = (packet.additionals ?? [])
      .map((a) => [a.name, a.type, (a as { data: string }).data])
      .sort();
    assert.deepEqual(add, [
      ['http_example-abcde-s1.test.vagrant.aurora.slave.mesos', 'A', '10.0.0.1'],
      ['http_example-fghij-s2.test.vagrant.aurora.slave.mesos', 'A', '10.0.0.2'],
    ]);
  });

  it('answers PTR for reverse names it holds', async () => {
    const { packet } = await udp(dns.port, '1.0.0.10.in-addr.arpa', 'PTR');
    assert.ok(flag(packet, AA));
    assert.deepEqual(
      packet.answers?.map((a) => (a as { data: string }).data),
      ['http_example-abcde-s1.test.vagrant.aurora.slave.mesos'],
    );
  });

  it('answers apex SOA in Answer, owned by the apex', async () => {
    const { packet } = await udp(dns.port, 'mesos', 'SOA');
    assert.equal(packet.answers?.length, 1);
    const soa = packet.answers?.[0] as SoaAnswer;
    assert.equal(soa.name, 'mesos');
    assert.equal(soa.data.mname, 'ns1.mesos');
    assert.equal(soa.data.rname, 'root.ns1.mesos');
    assert.equal(soa.data.serial, 7);
    assert.equal(soa.data.minimum, 30);
    assert.equal(packet.authorities?.length, 0);
  });

  it('answers apex NS in Answer with target = SOA mname, and its address in Additional', async () => {
    const { packet } = await udp(dns.port, 'mesos', 'NS');
    assert.deepEqual(
      packet.answers?.map((a) => [a.name, a.type, (a as { data: string }).data]),
      [['mesos', 'NS', 'ns1.mesos']],
    );
    assert.deepEqual(
      packet.additionals?.map((a) => [a.name, (a as { data: string }).data]),
      [['ns1.mesos', '127.0.0.1']],
    );
  });

  const negTypes = [
    'A',
    'AAAA',
    'SRV',
    'PTR',
    'TXT',
    'MX',
    'CNAME',
    'NS',
    'SOA',
    'ANY',
    'CAA',
  ] as const;
  for (const t of negTypes) {
    it(`gives NXDOMAIN with the SOA (TTL = minttl) in Authority for a missing name, type ${t}`, async () => {
      const { packet } = await udp(dns.port, 'missing.aurora.mesos', t);
      assert.equal(rcode(packet), 'NXDOMAIN');
      assert.ok(flag(packet, AA));
      assert.equal(packet.answers?.length, 0);
      const auth = packet.authorities as Answer[];
      assert.equal(auth.length, 1);
      assert.equal(auth[0].type, 'SOA');
      assert.equal(auth[0].name, 'mesos');
      assert.equal((auth[0] as { ttl?: number }).ttl, 30);
    });
  }

  const nodata: [string, (typeof negTypes)[number]][] = [
    ['http_example.test.vagrant.aurora.mesos', 'AAAA'],
    ['http_example.test.vagrant.aurora.mesos', 'SRV'],
    ['http_example.test.vagrant.aurora.mesos', 'TXT'],
    ['_http_example.test.vagrant._tcp.aurora.mesos', 'A'],
    ['test.vagrant.aurora.mesos', 'A'], // empty non-terminal
    ['aurora.mesos', 'SRV'],
    ['mesos', 'A'],
  ];
  for (const [name, t] of nodata) {
    it(`gives NODATA (NOERROR, no answers, SOA in Authority) for ${name} ${t}`, async () => {
      const { packet } = await udp(dns.port, name, t);
      assert.equal(rcode(packet), 'NOERROR');
      assert.equal(packet.answers?.length, 0);
      assert.equal(packet.authorities?.[0]?.type, 'SOA');
      assert.equal((packet.authorities?.[0] as { ttl?: number }).ttl, 30);
    });
  }

  it("echoes the question's exact case in the question and the answer owners (0x20)", async () => {
    const name = 'HtTp_ExAmPlE.TeSt.VaGrAnT.AuRoRa.MeSoS';
    const { packet } = await udp(dns.port, name, 'A');
    assert.equal(packet.questions?.[0].name, name);
    assert.equal(packet.answers?.length, 2);
    for (const a of packet.answers ?? []) assert.equal(a.name, name);
  });

  it('shuffles the answers per query', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { packet } = await udp(dns.port, 'many.mesos', 'A');
      assert.equal(packet.answers?.length, 6);
      orders.add(packet.answers!.map((a) => (a as { data: string }).data).join(','));
    }
    assert.ok(orders.size > 1, 'every answer came in the same order');
  });

  it('answers ANY minimally (RFC 8482): one RRset', async () => {
    const { packet } = await udp(dns.port, 'v6task.marathon.mesos', 'ANY');
    assert.deepEqual(
      packet.answers?.map((a) => a.type),
      ['A'],
    );
    const apex = await udp(dns.port, 'mesos', 'ANY');
    assert.deepEqual(
      apex.packet.answers?.map((a) => a.type),
      ['SOA'],
    );
  });

  it('answers opcode ≠ QUERY with NOTIMP', async () => {
    const q = buildQuery('mesos', 'SOA', { id: 4242 });
    q.writeUInt16BE((2 << 11) | 0x0100, 2); // opcode STATUS
    const r = dnsPacket.decode((await udpRaw(dns.port, q))!);
    assert.equal(r.id, 4242);
    assert.equal(rcode(r), 'NOTIMP');
  });

  it('answers qdcount 0 and qdcount 2 with FORMERR', async () => {
    const none = dnsPacket.encode({ type: 'query', id: 7, questions: [] });
    assert.equal(rcode(dnsPacket.decode((await udpRaw(dns.port, none))!)), 'FORMERR');
    const two = dnsPacket.encode({
      type: 'query',
      id: 8,
      questions: [
        { name: 'a.mesos', type: 'A' },
        { name: 'b.mesos', type: 'A' },
      ],
    });
    const r = dnsPacket.decode((await udpRaw(dns.port, two))!);
    assert.equal(r.id, 8);
    assert.equal(rcode(r), 'FORMERR');
  });

  it('answers a truncated question with FORMERR and drops packets without a header or with QR set', async () => {
    const q = buildQuery('http_example.test.vagrant.aurora.mesos', 'A', { id: 99 });
    const r = dnsPacket.decode((await udpRaw(dns.port, q.subarray(0, q.length - 3)))!);
    assert.equal(r.id, 99);
    assert.equal(rcode(r), 'FORMERR');
    assert.equal(await udpRaw(dns.port, Buffer.from([1, 2, 3]), 300), undefined);
    const resp = Buffer.from(q);
    resp.writeUInt16BE(0x8000, 2);
    assert.equal(await udpRaw(dns.port, resp, 300), undefined);
    // …and keeps serving.
    assert.equal((await udp(dns.port, 'mesos', 'SOA')).packet.answers?.length, 1);
  });

  it('refuses classes other than IN/ANY', async () => {
    const q = buildQuery('mesos', 'SOA');
    q.writeUInt16BE(3, q.length - 2); // CH
    assert.equal(rcode(dnsPacket.decode((await udpRaw(dns.port, q))!)), 'REFUSED');
  });

  it('answers EDNS version ≠ 0 with BADVERS', async () => {
    const q = buildQuery('mesos', 'SOA', { edns: 1232 });
    // OPT is last: root(1) type(2) class(2) TTL[ext-rcode(1) version(1) flags(2)] rdlen(2).
    q[q.length - 5] = 1;
    const raw = (await udpRaw(dns.port, q))!;
    const p = dnsPacket.decode(raw);
    const opt = p.additionals?.find((a) => a.type === 'OPT') as
      { extendedRcode: number } | undefined;
    assert.ok(opt, 'OPT echoed');
    assert.equal((raw[3] & 0xf) | (opt.extendedRcode << 4), 16);
  });

  it('reports each query to the onQuery observer', async () => {
    seen.length = 0;
    await udp(dns.port, 'missing.mesos', 'SRV');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].qtype, 'SRV');
    assert.equal(seen[0].rcode, 'NXDOMAIN');
    assert.equal(seen[0].transport, 'udp');
    assert.equal(seen[0].forwarded, false);
    assert.ok(seen[0].durationSeconds >= 0);
  });
});

describe('DNS before the first RecordSet and without forwarding', () => {
  it('answers SERVFAIL until records are set, then answers from them', async () => {
    const dns = await startDns({ records: undefined });
    try {
      assert.equal(rcode((await udp(dns.port, 'ns1.mesos', 'A')).packet), 'SERVFAIL');
      dns.server.setRecords(memoryRecordSet(fixtureRecords()));
      const { packet } = await udp(dns.port, 'ns1.mesos', 'A');
      assert.equal(rcode(packet), 'NOERROR');
      assert.equal(packet.answers?.length, 1);
    } finally {
      await dns.close();
    }
  });

  it('clears RA when recurse is off', async () => {
    const dns = await startDns({ recurse: false });
    try {
      const { packet } = await udp(dns.port, 'ns1.mesos', 'A');
      assert.ok(!flag(packet, RA));
      assert.ok(flag(packet, AA));
    } finally {
      await dns.close();
    }
  });

  it('refuses out-of-domain names when there are no resolvers, and when externalOn is false', async () => {
    for (const opts of [{ resolvers: [] }, { resolvers: ['127.0.0.1:9'], externalOn: false }]) {
      const dns = await startDns(opts);
      try {
        const { packet } = await udp(dns.port, 'example.com', 'A');
        assert.equal(rcode(packet), 'REFUSED');
        assert.ok(!flag(packet, AA));
      } finally {
        await dns.close();
      }
    }
  });

  it('sees an in-place change that bumps the SOA serial without setRecords', async () => {
    const rs = memoryRecordSet([{ name: 'y.mesos', type: 'A', ip: '10.0.0.1' }]);
    const dns = await startDns({ records: rs });
    try {
      assert.equal((await udp(dns.port, 'y.mesos', 'A')).packet.answers?.length, 1);
      assert.equal(rcode((await udp(dns.port, 'z.mesos', 'A')).packet), 'NXDOMAIN');
      rs.get('y.mesos.')!.a.push('10.0.0.2');
      rs.zone.soa.serial++;
      assert.equal((await udp(dns.port, 'y.mesos', 'A')).packet.answers?.length, 2);
      const neg = (await udp(dns.port, 'z.mesos', 'A')).packet;
      assert.equal((neg.authorities?.[0] as SoaAnswer).data.serial, rs.zone.soa.serial);
    } finally {
      await dns.close();
    }
  });

  it('sees in-place changes after setRecords is called again with the same object', async () => {
    const recs: TestRecord[] = [{ name: 'x.mesos', type: 'A', ip: '10.0.0.1' }];
    const rs = memoryRecordSet(recs);
    const dns = await startDns({ records: rs });
    try {
      assert.equal((await udp(dns.port, 'x.mesos', 'A')).packet.answers?.length, 1);
      rs.get('x.mesos.')!.a.push('10.0.0.2');
      dns.server.setRecords(rs);
      assert.equal((await udp(dns.port, 'x.mesos', 'A')).packet.answers?.length, 2);
    } finally {
      await dns.close();
    }
  });
});
