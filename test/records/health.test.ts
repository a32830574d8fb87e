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

const D = 'web.aurora.mesos.';
const SRV = '_web._tcp.aurora.mesos.';
const NAMED = '_http._web._tcp.aurora.mesos.';

function status(healthy: boolean | undefined, timestamp: number) {
  return {
    state: 'TASK_RUNNING',
    timestamp,
    ...(healthy === undefined ? {} : { healthy }),
    container_status: { network_infos: [{ ip_addresses: [{ ip_address: '' }] }] },
  };
}

/** Three instances of one job; `health[i]` is instance i's latest health (undefined: none). */
function doc(health: (boolean | undefined)[]) {
  return {
    leader: 'master@10.0.0.9:5050',
    slaves: [{ id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
    frameworks: [
      {
        id: 'F',
        name: 'Aurora',
        tasks: health.map((h, i) => ({
          id: `t${i}`,
          name: 'web',
          slave_id: 'S0',
          state: 'TASK_RUNNING',
          resources: { ports: `[${31000 + i}-${31000 + i}]` },
          // An older status says the opposite: only the latest one with health counts.
          statuses: [
            status(h === undefined ? undefined : !h, 100),
            {
              ...status(h, 200),
              container_status: {
                network_infos: [{ ip_addresses: [{ ip_address: `10.1.0.${i + 1}` }] }],
              },
            },
          ],
          discovery: {
            name: 'web',
            ports: { ports: [{ number: 31000 + i, name: 'http', protocol: 'tcp' }] },
          },
        })),
      },
    ],
  };
}

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
    assert.equal(rs.failOpenAnswers, 0);
  });

  it('every instance unhealthy → the name answers with all of them (fail open), counted', () => {
    const rs = generateRecords(parseState(doc([false, false, false])).state, cfg());
    assert.deepEqual(a(rs, D), ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    assert.deepEqual(ports(rs, NAMED), [31000, 31001, 31002]);
    assert.ok(rs.failOpenAnswers >= 2);
    assert.equal(rs.exists(D), true);
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
