// The SRV weight of a record set's answers is its config's (SRVRecordDefaultWeight), for every
// kind of SRV name the set keeps: entries, job SRV names made from members, and names two
// sources share. Two sets with different weights live side by side (a reload changes it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateRecords } from '../../src/records/index.js';
import { loadFixture } from './fixtures.js';

test('SRV answers carry the set weight, per set', () => {
  const { parsed, cfg } = loadFixture('aurora-discovery');
  const sets = [1, 7, 0].map((w) => ({
    w,
    rs: generateRecords(parsed.state, { ...cfg, srvWeight: w }),
  }));
  const first = sets[0]!.rs;
  const srvNames = [...first.names()].filter((n) => (first.get(n)?.srv.length ?? 0) > 0);
  assert.ok(srvNames.length > 5, `SRV names in the fixture: ${srvNames.length}`);
  for (const { w, rs } of sets) {
    for (const n of srvNames) {
      const srv = rs.get(n)!.srv;
      assert.ok(srv.length > 0, n);
      for (const r of srv) assert.equal(r.weight, w, `${n} in the set of weight ${w}`);
    }
  }
});
