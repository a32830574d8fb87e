// The zone journal (records/journal.ts) and serial arithmetic (records/serial.ts): RFC 1982
// comparisons across the wrap, the clock serial, differences between two views, bounded history,
// and snapshots that keep one serial's content while the journal moves on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rrText, ZoneJournal } from '../../src/records/journal.js';
import { clockSerial, serialAdd, serialGt } from '../../src/records/serial.js';
import { memoryRecordSet, type TestRecord } from '../helpers/recordset.js';

test('RFC 1982: comparisons across the 2^32 wrap', () => {
  assert.ok(serialGt(2, 1));
  assert.ok(!serialGt(1, 2));
  assert.ok(!serialGt(5, 5));
  assert.ok(serialGt(0, 4294967295), '0 follows 2^32 - 1');
  assert.ok(serialGt(10, 4294967000));
  assert.ok(!serialGt(4294967000, 10));
  assert.ok(serialGt(2147483647, 0));
  assert.equal(serialAdd(4294967295, 1), 0);
  assert.equal(serialAdd(4294967290, 10), 4);
});

test('the clock serial moves one step per 100 ms and wraps modulo 2^32', () => {
  const t = 1_800_000_000_000;
  assert.equal(clockSerial(t + 99), clockSerial(t));
  assert.equal(clockSerial(t + 100), serialAdd(clockSerial(t), 1));
  assert.ok(clockSerial(t) < 4294967296);
  assert.ok(serialGt(clockSerial(t + 5000), clockSerial(t)));
});

const base: TestRecord[] = [
  { name: 'a.mesos', type: 'A', ip: '10.0.0.1' },
  { name: 'a.mesos', type: 'A', ip: '10.0.0.2' },
  { name: 'b.mesos', type: 'AAAA', ip: 'fd00::1' },
  { name: '_x._tcp.mesos', type: 'SRV', target: 'a.mesos', port: 80 },
  { name: '1.0.0.10.in-addr.arpa', type: 'PTR', target: 'a.mesos' },
];

test('sync: first serial, then a step per change with exactly the records removed and added', () => {
  let now = 1_800_000_000_000;
  const j = new ZoneJournal('mesos', { history: 10, now: () => now });
  now += 100; // the first serial waits for the clock to leave the journal's first unit
  assert.equal(j.sync(memoryRecordSet(base)), true);
  const s0 = j.serial!;
  assert.equal(s0, clockSerial(now));
  assert.equal(j.records, 4, 'PTR is not part of the forward zone');
  now += 1000;
  assert.equal(j.sync(memoryRecordSet(base)), false, 'no change, no new serial');
  assert.equal(j.serial, s0);
  const next: TestRecord[] = [
    { name: 'a.mesos', type: 'A', ip: '10.0.0.1' },
    { name: 'a.mesos', type: 'A', ip: '10.0.0.3' },
    { name: '_x._tcp.mesos', type: 'SRV', target: 'a.mesos', port: 80 },
    { name: 'c.mesos', type: 'A', ip: '10.0.0.9' },
  ];
  assert.equal(j.sync(memoryRecordSet(next)), true);
  const s1 = j.serial!;
  assert.ok(serialGt(s1, s0));
  const steps = j.stepsSince(s0)!;
  assert.equal(steps.length, 1);
  assert.deepEqual(steps[0].del.sort(), [
    ['a.mesos.', 'A 10.0.0.2'],
    ['b.mesos.', 'AAAA fd00::1'],
  ]);
  assert.deepEqual(steps[0].add.sort(), [
    ['a.mesos.', 'A 10.0.0.3'],
    ['c.mesos.', 'A 10.0.0.9'],
  ]);
  assert.deepEqual(j.stepsSince(s1), [], 'up to date');
  assert.deepEqual(j.stepsSince(serialAdd(s1, 5)), [], 'newer than ours: the SOA alone');
  assert.equal(j.stepsSince(12345), undefined, 'unknown serial: whole zone');
});

test('a serial is never reused when the clock has not moved (or stepped back)', () => {
  let now = 1_800_000_000_000;
  const j = new ZoneJournal('mesos', { history: 10, now: () => now });
  now += 100; // the first serial waits for the clock to leave the journal's first unit
  j.sync(memoryRecordSet(base));
  const s0 = j.serial!;
  now -= 5000;
  j.sync(memoryRecordSet(base.slice(1)));
  assert.equal(j.serial, serialAdd(s0, 1));
  assert.equal(j.clockBehind, 1);
});

test('history is bounded by ixfrHistory serials', () => {
  let now = 1_800_000_000_000;
  const j = new ZoneJournal('mesos', { history: 3, now: () => now });
  now += 100; // the first serial waits for the clock to leave the journal's first unit
  j.sync(memoryRecordSet(base));
  const serials = [j.serial!];
  for (let i = 0; i < 6; i++) {
    now += 200;
    j.sync(memoryRecordSet([...base, { name: 'n.mesos', type: 'A', ip: `10.1.0.${i}` }]));
    serials.push(j.serial!);
  }
  assert.equal(j.historyLength, 3);
  assert.equal(j.stepsSince(serials[2]), undefined);
  assert.equal(j.stepsSince(serials[3])!.length, 3);
});

test("a snapshot keeps its serial's content while the journal moves on", () => {
  let now = 1_800_000_000_000;
  const j = new ZoneJournal('mesos', { history: 10, now: () => now });
  now += 100; // the first serial waits for the clock to leave the journal's first unit
  j.sync(memoryRecordSet(base));
  const snap = j.snapshot()!;
  const before = snap.names.map((n) => `${n}=${JSON.stringify(snap.get(n))}`);
  now += 200;
  j.sync(memoryRecordSet([{ name: 'a.mesos', type: 'A', ip: '10.9.9.9' }]));
  now += 200;
  j.sync(memoryRecordSet([{ name: 'z.mesos', type: 'A', ip: '10.9.9.8' }]));
  assert.deepEqual(
    snap.names.map((n) => `${n}=${JSON.stringify(snap.get(n))}`),
    before,
  );
  assert.equal(j.activeReaders, 1);
  snap.release();
  assert.equal(j.activeReaders, 0);
  const now2 = j.snapshot()!;
  assert.deepEqual([...now2.names], ['z.mesos.']);
  now2.release();
});

test('rrText: sorted, deduplicated lines; empty for no records', () => {
  assert.equal(rrText(undefined), '');
  assert.equal(
    rrText({ a: ['10.0.0.2', '10.0.0.1', '10.0.0.2'], aaaa: [], srv: [], ptr: ['x.'] }),
    'A 10.0.0.1\nA 10.0.0.2',
  );
});

test('the serial view shows the journal serial in the SOA, the base records otherwise', () => {
  let now = 1_800_000_000_000;
  const j = new ZoneJournal('mesos', { history: 10, now: () => now });
  const rs = memoryRecordSet(base);
  const v = j.view(rs);
  assert.equal(v.zone.soa.serial, clockSerial(now), 'before the first sync: the floor');
  now += 100;
  j.sync(rs);
  assert.equal(v.zone.soa.serial, j.serial);
  assert.deepEqual(v.get('a.mesos.'), rs.get('a.mesos.'));
});

test('a journal made within the tenth of a second its predecessor last took a serial in waits for the next one', () => {
  let now = 1_800_000_000_050;
  const before = new ZoneJournal('mesos', { history: 10, now: () => now });
  now += 100;
  before.sync(memoryRecordSet(base));
  const last = before.serial!;
  // "Restart" in the same unit: the new journal must not hand out `last` for other content.
  now += 20;
  const after = new ZoneJournal('mesos', { history: 10, now: () => now });
  assert.ok(after.waitMs() > 0 && after.waitMs() <= 100, String(after.waitMs()));
  assert.equal(after.sync(memoryRecordSet(base.slice(1))), false, 'too early: no serial taken');
  assert.equal(after.serial, undefined);
  assert.equal(after.shownSerial, last, 'SOA shows the floor, not a serial ahead of the first');
  now += after.waitMs();
  assert.equal(after.waitMs(), 0);
  assert.equal(after.sync(memoryRecordSet(base.slice(1))), true);
  assert.ok(serialGt(after.serial!, last), `${after.serial} after ${last}`);
});

test('whenFirst: resolves when the first serial is taken, or false after its bound', async () => {
  let now = 1_800_000_000_050;
  const j = new ZoneJournal('mesos', { history: 10, now: () => now });
  const early = j.whenFirst(5_000);
  const late = j.whenFirst(20);
  assert.equal(await late, false, 'no serial within 20 ms');
  assert.equal(j.sync(memoryRecordSet(base)), false, 'too early: no serial taken');
  now += j.waitMs();
  assert.equal(j.sync(memoryRecordSet(base)), true);
  assert.equal(await early, true);
  assert.equal(await j.whenFirst(0), true, 'at once once there is one');
});
