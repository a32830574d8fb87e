// EDNS0 and truncation: OPT echoed, the client's buffer respected up to ednsMaxUdp, 512 without
// EDNS, Additional dropped before TC, TC with whole answers over UDP, the full answer over TCP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Packet, SrvAnswer } from 'dns-packet';
import { memoryRecordSet, type TestRecord } from '../helpers/recordset.js';
import { tcp, udp } from './client.js';
import { startDns, type Running } from './fixture.js';

const TC = 1 << 9;
const tc = (p: Packet) => ((p.flags ?? 0) & TC) !== 0;

// 100 SRV records (distinct targets, each with an A record): far beyond 512 and 1232 bytes.
const SRV_NAME = '_web._tcp.marathon.mesos';
const many: TestRecord[] = [];
for (let i = 0; i < 100; i++) {
  const target = `web-${String(i).padStart(3, '0')}-abcde-s${i}.marathon.slave.mesos`;
  many.push({ name: SRV_NAME, type: 'SRV', target, port: 31000 + i });
  many.push({ name: target, type: 'A', ip: `10.1.${Math.floor(i / 250)}.${i % 250}` });
}
// 7 SRV answers fit in 512 bytes, but not together with their 12 Additional A records.
const MID_NAME = '_mid._tcp.marathon.mesos';
for (let i = 0; i < 7; i++) {
  const target = `mid-${i}-abcde-s${i}.marathon.slave.mesos`;
  many.push({ name: MID_NAME, type: 'SRV', target, port: 32000 + i });
  many.push({ name: target, type: 'A', ip: `10.2.0.${i}` });
  many.push({ name: target, type: 'AAAA', ip: `2001:db8::${i + 1}` });
}

function wholeSrv(p: Packet): void {
  for (const a of (p.answers ?? []) as SrvAnswer[]) {
    assert.equal(a.type, 'SRV');
    assert.match(a.data.target, /^(web|mid)-/);
  }
}

describe('EDNS0 and truncation', () => {
  let dns: Running;
  let small: Running;
  before(async () => {
    dns = await startDns({ records: memoryRecordSet(many) });
    small = await startDns({
      records: memoryRecordSet(many),
      ednsMaxUdp: 700,
      setTruncateBit: false,
    });
  });
  after(async () => {
    await dns.close();
    await small.close();
  });

  it('without EDNS: fits 512 bytes, sets TC, keeps only whole answers, no OPT', async () => {
    const { packet, raw } = await udp(dns.port, SRV_NAME, 'SRV');
    assert.ok(raw.length <= 512, `${raw.length} bytes`);
    assert.ok(tc(packet));
    assert.ok((packet.answers?.length ?? 0) > 0);
    assert.ok((packet.answers?.length ?? 0) < 100);
    assert.equal(packet.additionals?.length, 0);
    wholeSrv(packet);
  });

  it('with EDNS: echoes OPT with our size and respects a smaller client buffer', async () => {
    const { packet, raw } = await udp(dns.port, SRV_NAME, 'SRV', { edns: 800 });
    assert.ok(raw.length <= 800 && raw.length > 512, `${raw.length} bytes`);
    assert.ok(tc(packet));
    const opt = packet.additionals?.find((a) => a.type === 'OPT') as
      { udpPayloadSize: number } | undefined;
    assert.equal(opt?.udpPayloadSize, 1232);
    wholeSrv(packet);
  });

  it('caps a large client buffer at ednsMaxUdp (1232 by default)', async () => {
    const { packet, raw } = await udp(dns.port, SRV_NAME, 'SRV', { edns: 4096 });
    assert.ok(raw.length <= 1232 && raw.length > 800, `${raw.length} bytes`);
    assert.ok(tc(packet));
  });

  it('treats an EDNS buffer below 512 as 512', async () => {
    const { raw } = await udp(dns.port, SRV_NAME, 'SRV', { edns: 100 });
    assert.ok(raw.length <= 512 && raw.length > 400, `${raw.length} bytes`);
  });

  it('over TCP: the full answer, every SRV and every Additional address, no TC', async () => {
    const { packet } = await tcp(dns.port, SRV_NAME, 'SRV');
    assert.ok(!tc(packet));
    assert.equal(packet.answers?.length, 100);
    assert.equal(packet.additionals?.length, 100);
    const ports = new Set(((packet.answers ?? []) as SrvAnswer[]).map((a) => a.data.port));
    assert.equal(ports.size, 100);
  });

  it('drops Additional before truncating: all answers fit in 512, so no TC', async () => {
    const { packet, raw } = await udp(dns.port, MID_NAME, 'SRV');
    assert.ok(raw.length <= 512);
    assert.equal(packet.answers?.length, 7);
    assert.ok(!tc(packet));
    assert.ok((packet.additionals?.length ?? 0) < 14);
    const full = await tcp(dns.port, MID_NAME, 'SRV');
    assert.equal(full.packet.additionals?.length, 14);
  });

  it('honours a custom ednsMaxUdp, and setTruncateBit=false leaves TC clear on UDP', async () => {
    const { packet, raw } = await udp(small.port, SRV_NAME, 'SRV', { edns: 4096 });
    assert.ok(raw.length <= 700 && raw.length > 512, `${raw.length} bytes`);
    assert.ok(!tc(packet));
    const opt = packet.additionals?.find((a) => a.type === 'OPT') as
      { udpPayloadSize: number } | undefined;
    assert.equal(opt?.udpPayloadSize, 700);
  });
});
