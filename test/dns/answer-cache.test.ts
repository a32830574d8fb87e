// The server's encoded-answer cache keyed by wire bytes (Answerer.lookupWire): the same plan as the
// name-keyed lookup for every (name, type), case-insensitive, bounded (starts over when full, and
// grows its table without losing entries), and emptied by an in-place update (SOA serial bump).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Answerer } from '../../src/dns/answer.js';
import { DECODE, QueryScratch, decodeQueryInto } from '../../src/dns/codec/query.js';
import { memoryRecordSet, type TestRecord } from '../helpers/recordset.js';
import { buildQuery, type QType } from './client.js';

function records(n: number): TestRecord[] {
  const out: TestRecord[] = [];
  for (let i = 0; i < n; i++)
    out.push({ name: `t${i}.aurora.mesos`, type: 'A', ip: `10.3.${i >> 8}.${i & 255}` });
  return out;
}

function wire(a: Answerer, name: string, type: QType) {
  const q = new QueryScratch();
  const msg = buildQuery(name, type, { id: 1 });
  assert.equal(decodeQueryInto(msg, msg.length, q), DECODE.OK);
  return a.lookupWire(q);
}

function byName(a: Answerer, name: string, type: QType) {
  const q = new QueryScratch();
  const msg = buildQuery(name, type, { id: 1 });
  decodeQueryInto(msg, msg.length, q);
  return a.lookup(q.clone());
}

const ips = (p: ReturnType<Answerer['lookup']>) =>
  p === 'forward' ? 'forward' : `${p.rcode} ${p.answers.map((b) => b.toString('hex')).join(',')}`;

describe('the wire-keyed answer cache', () => {
  it('gives the name-keyed answer for every name, in any case, across table growth and restarts', () => {
    // 3000 names with a cache of 1000: the table grows (1024 → 2048 slots) and starts over twice.
    const rs = memoryRecordSet(records(3000));
    const a = new Answerer(rs, 1000);
    const ref = new Answerer(rs, 1_000_000);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i += round === 0 ? 1 : 7) {
        const name = round === 0 ? `t${i}.aurora.mesos` : `T${i}.AURORA.Mesos`;
        assert.equal(ips(wire(a, name, 'A')), ips(byName(ref, `t${i}.aurora.mesos`, 'A')), name);
      }
    }
    assert.equal(ips(wire(a, 'nope.aurora.mesos', 'A')).split(' ')[0], '3');
    assert.equal(wire(a, 'example.com', 'A'), 'forward');
    // Same name, another type: its own entry.
    assert.equal(ips(wire(a, 't1.aurora.mesos', 'AAAA')).split(' ')[0], '0');
    assert.notEqual(ips(wire(a, 't1.aurora.mesos', 'A')), ips(wire(a, 't1.aurora.mesos', 'AAAA')));
  });

  it('is emptied by an in-place update (the SOA serial moves)', () => {
    const rs = memoryRecordSet(records(4));
    const a = new Answerer(rs);
    const before = ips(wire(a, 't1.aurora.mesos', 'A'));
    assert.equal(wire(a, 't1.aurora.mesos', 'A'), wire(a, 't1.aurora.mesos', 'A'), 'cached');
    const changed = memoryRecordSet([{ name: 't1.aurora.mesos', type: 'A', ip: '10.9.9.9' }]);
    // Move the RecordSet's content in place: swap what it answers and bump the serial.
    Object.assign(rs, { get: changed.get.bind(changed), exists: changed.exists.bind(changed) });
    rs.zone.soa.serial++;
    const after = ips(wire(a, 't1.aurora.mesos', 'A'));
    assert.notEqual(after, before);
    assert.equal(after, ips(byName(new Answerer(changed), 't1.aurora.mesos', 'A')));
  });
});
