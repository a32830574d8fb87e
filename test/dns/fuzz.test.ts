// Fuzzing the query pipeline (bounded: 20,000 cases or 20 s): random bytes, mutated valid queries,
// truncated and oversized messages, compression-pointer loops. The pure pipeline must never throw
// and must only emit replies dns-packet can decode; the live server must still answer afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { Answerer } from '../../src/dns/answer.js';
import { decodeQuery } from '../../src/dns/codec/query.js';
import { encodeHeaderOnly, encodeResponse } from '../../src/dns/codec/response.js';
import { fixtureRecords, memoryRecordSet } from '../helpers/recordset.js';
import { buildQuery, TcpClient, udp, udpRaw } from './client.js';
import { startDns, type Running } from './fixture.js';
import { rng } from '../helpers/random.js';

const CASES = 20_000;
const BUDGET_MS = 20_000;

const seeds = [
  buildQuery('http_example.test.vagrant.aurora.mesos', 'A', { edns: 1232 }),
  buildQuery('_http_example.test.vagrant._tcp.aurora.mesos', 'SRV'),
  buildQuery('missing.mesos', 'AAAA', { edns: 4096 }),
  buildQuery('mesos', 'SOA'),
  buildQuery('1.0.0.10.in-addr.arpa', 'PTR'),
];

function pointerLoop(): Buffer {
  // Header qd=1 ar=1; question name is a pointer to itself; then an OPT-ish record whose name loops.
  const b = Buffer.from([
    0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0xc0, 18, 0, 41, 4, 0, 0, 0, 0, 0, 0,
    0,
  ]);
  return b;
}

function makeCase(r: () => number, i: number): Buffer {
  const kind = i % 6;
  const pick = seeds[Math.floor(r() * seeds.length)];
  if (kind === 0) {
    const b = Buffer.alloc(Math.floor(r() * 600));
    for (let k = 0; k < b.length; k++) b[k] = Math.floor(r() * 256);
    return b;
  }
  if (kind === 1 || kind === 2) {
    const b = Buffer.from(pick);
    const flips = 1 + Math.floor(r() * 6);
    for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return b;
  }
  if (kind === 3) return pick.subarray(0, Math.floor(r() * pick.length));
  if (kind === 4) {
    const extra = Buffer.alloc(Math.floor(r() * 70000));
    for (let k = 0; k < Math.min(extra.length, 64); k++) extra[k] = Math.floor(r() * 256);
    return Buffer.concat([pick, extra]);
  }
  const b = pointerLoop();
  b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
  return b;
}

describe('DNS fuzzing', () => {
  let dns: Running;
  before(async () => {
    dns = await startDns();
  });
  after(() => dns.close());

  it('the pure pipeline never throws and only emits decodable replies', () => {
    const seed = 0xbeac0;
    const r = rng(seed);
    const ans = new Answerer(memoryRecordSet(fixtureRecords()));
    const deadline = Date.now() + BUDGET_MS;
    let answered = 0;
    for (let i = 0; i < CASES && Date.now() < deadline; i++) {
      const msg = makeCase(r, i);
      try {
        const d = decodeQuery(msg);
        let out: Buffer | undefined;
        if (d.ok) {
          const plan = ans.lookup(d.query);
          if (plan !== 'forward') {
            out = encodeResponse(msg, d.query, plan, {
              limit: 512,
              ra: true,
              setTruncateBit: true,
              ednsUdp: 1232,
              shuffle: true,
            });
          }
        } else if (d.kind !== 'drop') {
          out = encodeHeaderOnly(d.id, d.flags, 1, true);
        }
        if (out) {
          assert.ok(out.length <= 512);
          dnsPacket.decode(out);
          answered++;
        }
      } catch (e) {
        assert.fail(
          `case ${i} (seed ${seed}) ${msg.subarray(0, 64).toString('hex')}: ${String(e)}`,
        );
      }
    }
    assert.ok(answered > 0);
  });

  it('the live server survives a stream of bad packets over UDP and TCP, then answers normally', async () => {
    const r = rng(42);
    const deadline = Date.now() + BUDGET_MS;
    for (let i = 0; i < 2000 && Date.now() < deadline; i++) {
      const msg = makeCase(r, i);
      if (msg.length <= 65507) await udpRaw(dns.port, msg, i % 50 === 0 ? 200 : 1);
    }
    for (let c = 0; c < 50 && Date.now() < deadline; c++) {
      const t = new TcpClient(dns.port);
      const msg = makeCase(r, c);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(Math.min(msg.length, 65535));
      t.sendRaw(Buffer.concat([len, msg.subarray(0, 65535)]));
      t.sendRaw(Buffer.from([0xff, 0xff, 1, 2, 3])); // oversized, then cut
      t.close();
    }
    const { packet } = await udp(dns.port, 'http_example.test.vagrant.aurora.mesos', 'A');
    assert.equal(packet.answers?.length, 2);
    const t = new TcpClient(dns.port);
    try {
      t.send(buildQuery('ns1.mesos', 'A', { id: 77 }));
      const p = dnsPacket.decode(await t.next());
      assert.equal(p.id, 77);
      assert.equal(p.answers?.length, 1);
    } finally {
      t.close();
    }
  });

  it('rejects a question name that is a compression pointer loop with FORMERR', () => {
    const d = decodeQuery(pointerLoop());
    assert.equal(d.ok, false);
    assert.equal(!d.ok && d.kind, 'formerr');
  });
});
