// Atomic swap: record sets replaced in a loop while queries run concurrently; every answer must
// come entirely from one set (its addresses and its SOA serial agree), and after a swap the new set
// is served at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Packet, SoaAnswer } from 'dns-packet';
import type { RecordSet } from '../../src/records/types.js';
import { memoryRecordSet, testZone, type TestRecord } from '../helpers/recordset.js';
import { udp } from './client.js';
import { startDns } from './fixture.js';

function generation(g: number) {
  const recs: TestRecord[] = [];
  for (let i = 0; i < 8; i++) recs.push({ name: 'svc.mesos', type: 'A', ip: `10.${g}.0.${i}` });
  // In odd generations the name `odd.mesos` exists; in even ones it does not.
  if (g % 2) recs.push({ name: 'odd.mesos', type: 'A', ip: `10.${g}.1.1` });
  return memoryRecordSet(recs, testZone({ soa: { serial: g } }));
}

describe('atomic RecordSet swap', () => {
  it('never mixes two record sets in one answer', async () => {
    const sets = [1, 2, 3, 4].map(generation);
    const dns = await startDns({ records: sets[0] });
    let swaps = 0;
    let running = true;
    const swapper = (async () => {
      while (running && swaps < 100_000) {
        dns.server.setRecords(sets[swaps++ % sets.length]);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      const check = (p: Packet) => {
        const gens = new Set(
          (p.answers ?? []).map((a) => (a as { data: string }).data.split('.')[1]),
        );
        assert.equal(gens.size, 1, `mixed answer: ${JSON.stringify(p.answers)}`);
        assert.equal(p.answers?.length, 8);
      };
      const checkNeg = (p: Packet) => {
        const soa = p.authorities?.[0] as SoaAnswer | undefined;
        const rc = (p as { rcode?: string }).rcode;
        if (rc === 'NOERROR') {
          const g = Number((p.answers?.[0] as { data: string }).data.split('.')[1]);
          assert.equal(g % 2, 1, 'odd.mesos answered from an even generation');
        } else {
          assert.equal(rc, 'NXDOMAIN');
          assert.equal((soa?.data.serial ?? 1) % 2, 0, 'NXDOMAIN from an odd generation');
        }
      };
      for (let round = 0; round < 40; round++) {
        const batch = [];
        for (let k = 0; k < 10; k++)
          batch.push(udp(dns.port, 'svc.mesos', 'A').then((r) => check(r.packet)));
        for (let k = 0; k < 5; k++)
          batch.push(udp(dns.port, 'odd.mesos', 'A').then((r) => checkNeg(r.packet)));
        await Promise.all(batch);
      }
      assert.ok(swaps > 10, `only ${swaps} swaps happened`);
    } finally {
      running = false;
      await swapper;
      await dns.close();
    }
  });

  it('the same set again after an in-place change drops the cached answers, its serial unmoved', async () => {
    // A view that shows a fixed serial (as the zone journal's does until its sync) over a set
    // changed in place: only setRecords with the same object tells the server.
    let inner = generation(1);
    const view: RecordSet = {
      zone: testZone({ soa: { serial: 5 } }),
      get: (n) => inner.get(n),
      exists: (n) => inner.exists(n),
      names: () => inner.names(),
      counts: () => inner.counts(),
    };
    const dns = await startDns({ records: view });
    const gen = async () =>
      ((await udp(dns.port, 'svc.mesos', 'A')).packet.answers?.[0] as { data: string }).data.split(
        '.',
      )[1];
    try {
      assert.equal(await gen(), '1');
      inner = generation(2);
      assert.equal(await gen(), '1', 'answered from the cache until told');
      dns.server.setRecords(view);
      assert.equal(await gen(), '2');
    } finally {
      await dns.close();
    }
  });

  it('serves the new set as soon as setRecords returns', async () => {
    const dns = await startDns({ records: generation(1) });
    try {
      for (let g = 2; g < 8; g++) {
        dns.server.setRecords(generation(g));
        const { packet } = await udp(dns.port, 'svc.mesos', 'A');
        assert.ok(
          (packet.answers ?? []).every((a) => (a as { data: string }).data.startsWith(`10.${g}.`)),
        );
      }
    } finally {
      await dns.close();
    }
  });
});
