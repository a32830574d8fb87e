// Health-aware answers: a task whose latest health check failed leaves the job-level names
// (A/AAAA, `_job._tcp` SRV, named-port SRV) while its own canonical names keep answering, so SRV
// targets always resolve; when every task behind a name is unhealthy the name answers with all of
// them (fail open); `healthFilter: false` answers as Mesos-DNS does. Full builds, incremental
// updates and the one-shot listing agree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseState, type MesosTask } from '../../src/model/mesos-state.js';
import {
  generateRecords,
  listRecords,
  makeRecordsConfig,
  type MemRecordSet,
  type RecordsConfig,
} from '../../src/records/index.js';
import { OverlayRecordSet } from '../../src/records/overlay.js';
import { healthState, WEB, WEB_NAMED, WEB_SRV } from '../helpers/health-state.js';

const D = WEB;
const SRV = WEB_SRV;
const NAMED = WEB_NAMED;
const doc = healthState;

const cfg = (o: Partial<RecordsConfig> = {}) => makeRecordsConfig(o);
const a = (rs: MemRecordSet, n: string) => [...(rs.get(n)?.a ?? [])].sort();
const ports = (rs: MemRecordSet, n: string) => (rs.get(n)?.srv ?? []).map((s) => s.port).sort();

function canonOf(rs: MemRecordSet, ip: string): string {
  const n = [...rs.names()].find(
    (x) => /^web-[a-z0-9]+-s0\.aurora\.mesos\.$/.test(x) && rs.get(x)?.a.includes(ip),
  );
  assert.ok(n, `canonical name of ${ip}`);
  return n;
}

function zone(rs: MemRecordSet): string[] {
  return [...rs.names()]
    .map((n) => {
      const r = rs.get(n)!;
      const s = (xs: unknown[]) =>
        xs
          .map((x) => JSON.stringify(x))
          .sort()
          .join(',');
      return `${n} ${s(r.a)} ${s(r.aaaa)} ${s(r.srv)} ${s(r.ptr)}`;
    })
    .sort();
}

function listed(state: ReturnType<typeof parseState>['state'], c: RecordsConfig): string[] {
  const by = new Map<string, string[][]>();
  listRecords(state, c).forEach((name, kind, value, port) => {
    let e = by.get(name);
    if (!e) by.set(name, (e = [[], [], [], []]));
    e[kind]!.push(
      kind === 2
        ? JSON.stringify({ priority: 0, weight: 1, port, target: value })
        : JSON.stringify(value),
    );
  });
  return [...by].map(([n, e]) => `${n} ${e.map((x) => x.sort().join(',')).join(' ')}`).sort();
}

describe('health-aware answers', () => {
  it('one unhealthy of three leaves the job-level names; its canonical name keeps answering', () => {
    const rs = generateRecords(parseState(doc([true, false, undefined])).state, cfg());
    assert.deepEqual(a(rs, D), ['10.1.0.1', '10.1.0.3']);
    assert.deepEqual(ports(rs, SRV), [31000, 31002]);
    assert.deepEqual(ports(rs, NAMED), [31000, 31002]);
    assert.deepEqual(a(rs, canonOf(rs, '10.1.0.2')), ['10.1.0.2'], 'SRV targets still resolve');
    assert.equal(rs.unhealthyTaskCount, 1);
    for (const n of [D, SRV, NAMED]) assert.equal(rs.get(n)?.failOpen, undefined, n);
  });

  it('every instance unhealthy → the name answers with all of them (fail open), marked', () => {
    const rs = generateRecords(parseState(doc([false, false, false])).state, cfg());
    assert.deepEqual(a(rs, D), ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    assert.deepEqual(ports(rs, NAMED), [31000, 31001, 31002]);
    assert.deepEqual(rs.get(D)?.failOpen, { a: true });
    assert.deepEqual(rs.get(NAMED)?.failOpen, { srv: true });
    assert.equal(rs.exists(D), true);
  });

  it('fail open is per record type, and reading is pure (the same answer every time)', () => {
    // Instance 1, the unhealthy one, alone has an IPv6 address: the name's AAAA fails open
    // while its A records stay the healthy ones.
    const rs = generateRecords(parseState(doc([true, false, true], { ipv6: [1] })).state, cfg());
    const serial = rs.zone.soa.serial;
    const r = rs.get(D)!;
    assert.deepEqual([...r.a].sort(), ['10.1.0.1', '10.1.0.3']);
    assert.deepEqual(r.aaaa, ['fd00::2']);
    assert.deepEqual(r.failOpen, { aaaa: true });
    assert.equal(rs.get(SRV)?.failOpen, undefined, 'the SRV has healthy instances');
    for (let i = 0; i < 3; i++) assert.deepEqual(rs.get(D), r);
    assert.equal(rs.zone.soa.serial, serial);
  });

  it('ServerSet records laid over a fail-open name keep its mark', () => {
    const rs = generateRecords(parseState(doc([false, false])).state, cfg());
    const view = new OverlayRecordSet(rs);
    view.setSource('zk!/web', [{ name: D, type: 'A', value: '10.2.0.1', port: 0 }]);
    const r = view.get(D)!;
    assert.deepEqual([...r.a].sort(), ['10.1.0.1', '10.1.0.2', '10.2.0.1']);
    assert.deepEqual(r.failOpen, { a: true });
    view.setSource('zk!/other', [
      { name: 'other.aurora.mesos.', type: 'A', value: '10.2.0.2', port: 0 },
    ]);
    assert.equal(view.get('other.aurora.mesos.')?.failOpen, undefined);
    assert.equal(
      view.get(SRV)?.failOpen?.srv,
      true,
      'names without ServerSet records pass through',
    );
  });

  it('healthFailOpen false: a name with only unhealthy instances does not exist', () => {
    const rs = generateRecords(
      parseState(doc([false, false, false])).state,
      cfg({ healthFailOpen: false }),
    );
    assert.equal(rs.get(D), undefined);
    assert.equal(rs.exists(D), false);
    assert.equal(
      rs.exists('aurora.mesos.'),
      true,
      'canonical names still live under the framework',
    );
  });

  it('healthFilter false answers as Mesos-DNS does', () => {
    const rs = generateRecords(
      parseState(doc([true, false, false])).state,
      cfg({ healthFilter: false }),
    );
    assert.deepEqual(a(rs, D), ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    assert.equal(rs.unhealthyTaskCount, 0);
  });

  it('a health flip through applyTask moves answers both ways and equals a rebuild', () => {
    const base = parseState(doc([true, true, true])).state;
    const rs = generateRecords(base, cfg());
    const t1 = base.frameworks[0]!.tasks[1]!;
    const flip = (healthy: boolean, at: number): MesosTask => ({
      ...t1,
      statuses: [
        ...t1.statuses,
        { state: 'TASK_RUNNING', timestamp: at, labels: [], networkIps: ['10.1.0.2'], healthy },
      ],
    });
    const serial = rs.zone.soa.serial;
    rs.applyTask(flip(false, 300));
    assert.ok(rs.zone.soa.serial > serial, 'the serial moves, so cached answers drop');
    assert.deepEqual(a(rs, D), ['10.1.0.1', '10.1.0.3']);
    const unhealthy = parseState(doc([true, false, true])).state;
    assert.deepEqual(zone(rs), zone(generateRecords(unhealthy, cfg())));
    rs.applyTask(flip(true, 400));
    assert.deepEqual(a(rs, D), ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    assert.equal(rs.unhealthyTaskCount, 0);
  });

  it('the one-shot listing (`beacon records`) lists what the record set answers', () => {
    for (const h of [
      [true, false, undefined],
      [false, false, false],
    ]) {
      const state = parseState(doc(h)).state;
      assert.deepEqual(
        listed(state, cfg()),
        zone(generateRecords(state, cfg())).map((l) => l),
      );
    }
  });
});
