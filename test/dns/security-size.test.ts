// Response-size bounds (amplification): a UDP response never exceeds what the client may receive
// — 512 bytes without EDNS, else its advertised buffer (at least 512) capped at ednsMaxUdp — for
// ANY and large A/SRV answers and for replies relayed from an upstream that ignores the limit.
// Queries come from 127.0.0.2 with no exemptions, the path a foreign client takes.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import dnsPacket, { type Packet } from 'dns-packet';
import { memoryRecordSet, type TestRecord } from '../helpers/recordset.js';
import { waitFor } from '../helpers/wait.js';
import { buildQuery, type QType } from './client.js';
import { startDns, type Running } from './fixture.js';
import { SourcedClient, tcpFrom } from './security-client.js';

const BIG = 'big.marathon.mesos';
const SRV = '_big._tcp.marathon.mesos';
const records: TestRecord[] = [];
for (let i = 0; i < 200; i++) {
  records.push({ name: BIG, type: 'A', ip: `10.3.${i >> 8}.${i & 255}` });
  const target = `big-${i}-abcde-s${i}.marathon.slave.mesos`;
  records.push({ name: SRV, type: 'SRV', target, port: 31000 + i });
  records.push({ name: target, type: 'A', ip: `10.4.${i >> 8}.${i & 255}` });
  records.push({ name: target, type: 'AAAA', ip: `2001:db8::${(i + 1).toString(16)}` });
}
const TC = 0x02;

/** A UDP upstream on 127.0.0.1 that answers every query with 150 A records (~2.5 kB), ignoring
 *  the client's buffer size. */
async function oversizedUpstream(): Promise<{ address: string; close(): void }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.on('message', (m, rinfo) => {
    const q = dnsPacket.decode(m);
    const name = q.questions?.[0]?.name ?? '';
    const answers = Array.from({ length: 150 }, (_, i) => ({
      type: 'A' as const,
      name,
      ttl: 60,
      data: `192.0.2.${i}`,
    }));
    const out = dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: 0x8180,
      questions: q.questions,
      answers,
    });
    s.send(out, rinfo.port, rinfo.address);
  });
  return { address: `127.0.0.1:${s.address().port}`, close: () => s.close() };
}

describe('UDP response-size bounds for a foreign client', () => {
  let dns: Running;
  let wide: Running;
  let client: SourcedClient;
  let upstream: { address: string; close(): void };
  const foreign = {
    rrlExemptNetworks: [],
    rrlResponsesPerSecond: 1_000_000,
    forwardAllowedNetworks: ['127.0.0.0/8'],
  };
  before(async () => {
    upstream = await oversizedUpstream();
    dns = await startDns({
      records: memoryRecordSet(records),
      resolvers: [upstream.address],
      ...foreign,
    });
    wide = await startDns({ records: memoryRecordSet(records), ednsMaxUdp: 4096, ...foreign });
    client = await SourcedClient.bind('127.0.0.2');
  });
  after(async () => {
    client.close();
    upstream.close();
    await dns.close();
    await wide.close();
  });

  async function ask(port: number, name: string, type: QType, edns?: number): Promise<Buffer> {
    const n = client.replies.length;
    client.send(port, buildQuery(name, type, edns === undefined ? {} : { edns }));
    await waitFor(`a reply to ${name} ${type}`, () => client.replies.length > n);
    return client.replies[n];
  }

  const cases: [string, QType][] = [
    [BIG, 'ANY'],
    [BIG, 'A'],
    [SRV, 'SRV'],
    [SRV, 'ANY'],
    ['www.example.com', 'A'],
  ];
  // (dns-packet writes a size of 0 as 4096, so the smallest tried is 1.)
  const sizes = [undefined, 1, 100, 512, 600, 1232, 1500, 4096, 65535];

  it('never exceeds 512 / the advertised size / ednsMaxUdp, and sets TC when it had to cut', async () => {
    let worst = 0;
    for (const [server, cap] of [
      [dns, 1232],
      [wide, 4096],
    ] as const) {
      for (const [name, type] of cases) {
        if (server === wide && name === 'www.example.com') continue;
        for (const edns of sizes) {
          const raw = await ask(server.port, name, type, edns);
          const limit = edns === undefined ? 512 : Math.min(Math.max(edns, 512), cap);
          const what = `${name} ${type} edns=${edns} cap=${cap}: ${raw.length} bytes`;
          assert.ok(raw.length <= limit, what);
          const p: Packet = dnsPacket.decode(raw);
          const complete = name === 'www.example.com' ? 150 : 200;
          const cut = (p.answers?.length ?? 0) < complete;
          assert.equal((raw[2] & TC) !== 0, cut, `TC set exactly when answers were cut: ${what}`);
          if (edns === undefined || edns <= 1232) assert.ok(cut, `cannot fit: ${what}`);
          const q = buildQuery(name, type, edns === undefined ? {} : { edns });
          worst = Math.max(worst, raw.length / q.length);
        }
      }
    }
    // The documented bound (docs/dns.md): at most ednsMaxUdp / query size, about 36× for the
    // default 1232 with the smallest EDNS query into the zone; here the names are longer.
    assert.ok(worst <= 4096 / 34, `worst amplification ${worst.toFixed(1)}×`);
  });

  it('the full answer is there over TCP', async () => {
    const p = dnsPacket.decode(await tcpFrom('127.0.0.2', dns.port, buildQuery(BIG, 'A')));
    assert.equal(p.answers?.length, 200);
    const f = dnsPacket.decode(
      await tcpFrom('127.0.0.2', dns.port, buildQuery('www.example.com', 'A')),
    );
    assert.equal(f.answers?.length, 150, 'an oversized upstream reply is relayed whole over TCP');
  });
});
