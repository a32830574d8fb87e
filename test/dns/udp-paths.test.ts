// The two UDP paths (src/dns/udp.ts): the batched native addon (recvmmsg/sendmmsg) and node's
// dgram give byte-identical answers to the same datagrams (IPv4 and IPv6 listeners, EDNS and
// truncation, errors, refusals); without the addon the server falls back to dgram by itself and
// says so once; BEACON_DNS_UDP=dgram forces dgram. The rest of the DNS suite runs on both paths
// (scripts/run-tests.mjs runs test/dns a second time with BEACON_DNS_UDP=dgram).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { createDnsServer, type DnsServer } from '../../src/dns/index.js';
import { loadNativeUdp } from '../../src/dns/udp.js';
import { memoryRecordSet, fixtureRecords, type TestRecord } from '../helpers/recordset.js';
import { buildQuery, udpRaw } from './client.js';

const native = loadNativeUdp();

// The fixture plus an SRV set far larger than 512 and 1232 bytes (truncation on both paths).
const records: TestRecord[] = [...fixtureRecords()];
const BIG = '_big._tcp.marathon.mesos';
for (let i = 0; i < 60; i++) {
  const target = `big-${i}-abcde-s${i}.marathon.slave.mesos`;
  records.push({ name: BIG, type: 'SRV', target, port: 31000 + i });
  records.push({ name: target, type: 'A', ip: `10.9.0.${i}` });
}

/** Raw queries covering every kind of reply the UDP path can send. */
function queries(): { what: string; msg: Buffer }[] {
  const out: { what: string; msg: Buffer }[] = [];
  const q = (what: string, msg: Buffer) => out.push({ what, msg });
  let id = 100;
  const A = 'http_example.test.vagrant.aurora.mesos';
  const SRV = '_http_example.test.vagrant._tcp.aurora.mesos';
  q('A', buildQuery(A, 'A', { id: id++ }));
  q(
    'A, mixed case echoed',
    buildQuery('HTTP_Example.TEST.vagrant.aurora.MESOS', 'A', { id: id++ }),
  );
  q('AAAA', buildQuery('v6task.marathon.mesos', 'AAAA', { id: id++ }));
  q('SRV with Additional', buildQuery(SRV, 'SRV', { id: id++ }));
  q('SRV, EDNS 4096', buildQuery(SRV, 'SRV', { id: id++, edns: 4096 }));
  q('PTR', buildQuery('1.0.0.10.in-addr.arpa', 'PTR', { id: id++ }));
  q('apex SOA', buildQuery('mesos', 'SOA', { id: id++ }));
  q('apex NS', buildQuery('mesos', 'NS', { id: id++ }));
  q('ANY', buildQuery(A, 'ANY', { id: id++ }));
  q('NXDOMAIN', buildQuery('nope.mesos', 'A', { id: id++ }));
  q('NODATA', buildQuery(A, 'TXT', { id: id++ }));
  q('big SRV, no EDNS: TC at 512', buildQuery(BIG, 'SRV', { id: id++ }));
  q('big SRV, EDNS 1232', buildQuery(BIG, 'SRV', { id: id++, edns: 1232 }));
  q('big SRV, EDNS 700', buildQuery(BIG, 'SRV', { id: id++, edns: 700 }));
  q('big SRV, EDNS 65000 capped', buildQuery(BIG, 'SRV', { id: id++, edns: 65000 }));
  q('out of zone, no resolvers: REFUSED', buildQuery('example.com', 'A', { id: id++ }));
  q('AXFR refused', buildQuery('mesos', 'AXFR', { id: id++ }));
  const chaos = buildQuery(A, 'A', { id: id++ });
  chaos.writeUInt16BE(3, chaos.length - 2);
  q('class CH refused', chaos);
  const badvers = dnsPacket.encode({
    type: 'query',
    id: id++,
    questions: [{ name: A, type: 'A' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 1,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  } as unknown as dnsPacket.Packet);
  q('EDNS version 1: BADVERS', badvers);
  const notimp = buildQuery(A, 'A', { id: id++ });
  notimp[2] |= 2 << 3; // opcode 2 (STATUS)
  q('opcode STATUS: NOTIMP', notimp);
  const twoQuestions = buildQuery(A, 'A', { id: id++ });
  twoQuestions.writeUInt16BE(2, 4);
  q('qdcount 2: FORMERR', twoQuestions);
  q('truncated question: FORMERR', buildQuery(A, 'A', { id: id++ }).subarray(0, 20));
  return out;
}

async function start(udpPath: 'batched' | 'dgram', host: string): Promise<DnsServer> {
  const s = createDnsServer({
    host,
    port: 0,
    records: memoryRecordSet(records),
    udpPath,
    shuffle: false,
  });
  await s.listen();
  return s;
}

/** One socket of the listener's family sends every query and waits for each reply in turn. */
async function answers(port: number, host: string): Promise<(Buffer | undefined)[]> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const out: (Buffer | undefined)[] = [];
  try {
    for (const { msg } of queries()) {
      out.push(
        await new Promise<Buffer | undefined>((resolve) => {
          const t = setTimeout(() => resolve(undefined), 3000);
          sock.once('message', (m) => {
            clearTimeout(t);
            resolve(m);
          });
          sock.send(msg, port, host);
        }),
      );
    }
  } finally {
    sock.close();
  }
  return out;
}

async function ipv6Loopback(): Promise<boolean> {
  const s = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

describe('UDP paths: batched (native recvmmsg/sendmmsg) and dgram', () => {
  const skip = native.addon ? false : `the native addon is not available: ${native.why}`;

  for (const host of ['127.0.0.1', '::1']) {
    it(
      `give byte-identical answers to the same datagrams (listener ${host})`,
      { skip },
      async (t) => {
        if (host === '::1' && !(await ipv6Loopback())) return t.skip('no IPv6 loopback here');
        const batched = await start('batched', host);
        const plain = await start('dgram', host);
        try {
          assert.equal(batched.udpPath(), 'batched');
          assert.equal(plain.udpPath(), 'dgram');
          const a = await answers(batched.address().port, host);
          const b = await answers(plain.address().port, host);
          const qs = queries();
          for (let i = 0; i < qs.length; i++) {
            assert.ok(a[i], `batched path: no answer to ${qs[i].what}`);
            assert.ok(b[i], `dgram path: no answer to ${qs[i].what}`);
            assert.equal(a[i]!.toString('hex'), b[i]!.toString('hex'), qs[i].what);
          }
          // The cases really differ: truncation happened, and the errors are errors.
          const big = dnsPacket.decode(a[11]!);
          assert.ok(((big.flags ?? 0) & (1 << 9)) !== 0, 'TC set on the 512-byte answer');
          assert.ok(a[11]!.length <= 512);
          assert.ok(a[12]!.length <= 1232 && a[12]!.length > 512);
          assert.equal(a[20]![3] & 0xf, 1, 'FORMERR');
          // Both counted the same queries.
          const counts = (s: DnsServer) => {
            const c: string[] = [];
            s.stats.forEachQuery((q, r, tr, n) => c.push(`${q} ${r} ${tr} ${n}`));
            return c.sort();
          };
          assert.deepEqual(counts(batched), counts(plain));
          assert.ok(counts(batched).length > 5);
        } finally {
          await batched.close();
          await plain.close();
        }
      },
    );
  }

  it(
    'batched: a burst of 300 queries from one socket gets 300 answers, ids matched',
    { skip },
    async () => {
      const s = await start('batched', '127.0.0.1');
      const sock = dgram.createSocket('udp4');
      try {
        const got = new Set<number>();
        const all = new Promise<void>((resolve) => {
          sock.on('message', (m) => {
            got.add(m.readUInt16BE(0));
            if (got.size === 300) resolve();
          });
        });
        for (let id = 0; id < 300; id++)
          sock.send(
            buildQuery('http_example.test.vagrant.aurora.mesos', 'A', { id }),
            s.address().port,
            '127.0.0.1',
          );
        await all;
        assert.equal(got.size, 300);
      } finally {
        sock.close();
        await s.close();
      }
    },
  );
});

describe('UDP path selection', () => {
  let saved: { addon?: string; udp?: string };
  before(() => {
    saved = { addon: process.env.BEACON_DNS_ADDON, udp: process.env.BEACON_DNS_UDP };
    delete process.env.BEACON_DNS_UDP;
  });
  after(() => {
    for (const [k, v] of [
      ['BEACON_DNS_ADDON', saved.addon],
      ['BEACON_DNS_UDP', saved.udp],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** A server whose log lines are collected. */
  async function logged(opts: { udpPath?: 'auto' | 'batched' | 'dgram' } = {}) {
    const lines: { msg: string; udpPath?: string; why?: string }[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const s = createDnsServer({
      port: 0,
      records: memoryRecordSet(fixtureRecords()),
      logger: pino({ level: 'info' }, stream),
      ...opts,
    });
    return { s, lines };
  }

  it('falls back to dgram by itself when the addon is absent, and says so once', async () => {
    process.env.BEACON_DNS_ADDON = '/nonexistent/beacon_udp_batch.node';
    try {
      const { s, lines } = await logged();
      await s.listen();
      try {
        assert.equal(s.udpPath(), 'dgram');
        const r = await udpRaw(s.address().port, buildQuery('mesos', 'SOA', { id: 7 }));
        assert.ok(r, 'the dgram fallback answers');
        assert.equal(r[3] & 0xf, 0, 'NOERROR');
        const said = lines.filter((l) => /UDP path/.test(l.msg));
        assert.equal(said.length, 1);
        assert.equal(said[0].udpPath, 'dgram');
        assert.match(said[0].why ?? '', /not built/);
      } finally {
        await s.close();
      }
      // Demanding the batched path without the addon is an error, not a silent fallback.
      const { s: strict } = await logged({ udpPath: 'batched' });
      await assert.rejects(strict.listen(), /batched UDP path is not available/);
    } finally {
      delete process.env.BEACON_DNS_ADDON;
    }
  });

  it(
    'uses the batched path by default when the addon loads, and says so',
    { skip: native.addon ? false : native.why },
    async () => {
      const { s, lines } = await logged();
      await s.listen();
      try {
        assert.equal(s.udpPath(), 'batched');
        const said = lines.filter((l) => /UDP path/.test(l.msg));
        assert.equal(said.length, 1);
        assert.equal(said[0].udpPath, 'batched');
      } finally {
        await s.close();
      }
    },
  );

  it('BEACON_DNS_UDP=dgram and udpPath: dgram force dgram', async () => {
    process.env.BEACON_DNS_UDP = 'dgram';
    try {
      const { s } = await logged();
      await s.listen();
      assert.equal(s.udpPath(), 'dgram');
      await s.close();
    } finally {
      delete process.env.BEACON_DNS_UDP;
    }
    const { s } = await logged({ udpPath: 'dgram' });
    await s.listen();
    assert.equal(s.udpPath(), 'dgram');
    await s.close();
  });
});
