// EarlySet against the full build on random small states whose names collide in every way the
// naming allows: dotted framework and task names, labels led by `_`, hash-like and 62–64-byte
// labels, repeated ids, DiscoveryInfo ports with odd names and protocols, and every config that
// changes names (label spec, IP order, health filter, domains under `arpa.` with PTR on). Each
// full-set name (PTR names included) and many names near them (below, above, beside, labels
// recombined) are asked of a FRESH set, so a job a lookup misses shows: wherever the early set
// covers a name, its records and exists() (NXDOMAIN or NODATA) must be the full set's. Seeded: a
// failure prints its seed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseState } from '../../src/model/mesos-state.js';
import {
  EarlySet,
  generateRecords,
  makeRecordsConfig,
  taskHash,
  type RecordsConfig,
} from '../../src/records/index.js';
import { pick, rng } from '../helpers/random.js';
import { canonRecords as canon } from './canon.js';

const STATES = 120;

const IDS = ['t0', 't1', 't2', 'dup', 'web-0', 'x'];
const HASHES = IDS.map(taskHash);
const long = (n: number) => `l${'q'.repeat(n - 1)}`;

function randomState(r: () => number): unknown {
  const label = () =>
    pick(r, [
      'a',
      'b',
      'web',
      '_tcp',
      '_udp',
      '_x',
      'tcp',
      'slave',
      'a-b',
      'A_b',
      `web-${pick(r, HASHES)}-s0`,
      pick(r, HASHES),
      long(62),
      long(63),
      long(64),
      `_${long(62)}`,
      '_http',
      'a.b',
      '',
    ]);
  const dotted = () => Array.from({ length: 1 + Math.floor(r() * 3) }, label).join('.');
  const agents = [
    { id: 'c-S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' },
    { id: pick(r, ['c-S1', 'c-S_x']), hostname: 'a1', pid: 'slave(1)@10.0.0.2:5051' },
  ];
  let ip = 1;
  const frameworks = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, f) => ({
    id: `F${f}`,
    name: pick(r, ['fw', 'a.b', 'b', 'slave', 'x.slave', 'c.a.b', '_tcp', `web-${HASHES[0]}-s0`]),
    pid: 'scheduler@10.0.0.8:8081',
    tasks: Array.from({ length: 1 + Math.floor(r() * 4) }, () => {
      const status: Record<string, unknown> = {
        state: 'TASK_RUNNING',
        timestamp: 1,
        container_status: {
          network_infos: [{ ip_addresses: [{ ip_address: `10.1.${f}.${ip++}` }] }],
        },
      };
      if (r() < 0.2) status.healthy = r() < 0.5;
      const task: Record<string, unknown> = {
        id: pick(r, IDS),
        name: r() < 0.5 ? label() : dotted(),
        framework_id: `F${f}`,
        slave_id: pick(r, agents).id,
        state: 'TASK_RUNNING',
        resources: r() < 0.6 ? { ports: `[31000-3100${Math.floor(r() * 2)}]` } : {},
        statuses: [status],
      };
      if (r() < 0.6) {
        const ports = Array.from({ length: Math.floor(r() * 3) }, (_, p) => {
          const port: Record<string, unknown> = {
            number: 32000 + p,
            name: pick(r, ['', 'http', 'a.b', '_x', 'HTTP', long(64)]),
          };
          const protocol = pick(r, [undefined, 'tcp', 'udp', 'TCP', 'other']);
          if (protocol !== undefined) port.protocol = protocol;
          return port;
        });
        task.discovery = {
          visibility: 'CLUSTER',
          name: r() < 0.8 ? dotted() : '',
          ports: { ports },
        };
      }
      return task;
    }),
  }));
  return { leader: 'master@10.0.0.9:5050', slaves: agents, frameworks };
}

const CONFIGS: RecordsConfig[] = [
  makeRecordsConfig({}),
  makeRecordsConfig({ spec: 'RFC952' }),
  makeRecordsConfig({ healthFilter: true, healthFailOpen: true }),
  makeRecordsConfig({ healthFilter: true, healthFailOpen: false }),
  makeRecordsConfig({ ipSources: ['host', 'netinfo'] }),
  makeRecordsConfig({ domain: 'cluster.example' }),
  makeRecordsConfig({ domain: 'slave' }),
  makeRecordsConfig({ domain: 'in-addr.arpa' }),
  makeRecordsConfig({ domain: 'arpa' }),
];

/** The full set's names in the domain and names near them: one label below, `_x._tcp.` below,
 *  their ancestors, a sibling, later labels moved first, and labels recombined at random. */
function nearNames(r: () => number, names: string[], tail: string): string[] {
  const out = new Set<string>();
  const labels = new Set<string>();
  for (const n of names) {
    if (!n.endsWith(tail)) continue;
    out.add(n);
    const parts = n.slice(0, n.length - tail.length).split('.');
    for (const l of parts) labels.add(l);
    for (const below of ['x', '_x._tcp', '_http']) out.add(`${below}.${n}`);
    const dot = n.indexOf('.');
    out.add(`${n.slice(0, dot)}q${n.slice(dot)}`);
    for (let i = dot; i >= 0; i = n.indexOf('.', i + 1)) out.add(n.slice(i + 1));
    for (let i = 1; i < parts.length; i++)
      out.add(`_${parts[0]}.${parts.slice(i).join('.')}${tail}`);
  }
  const all = [...labels];
  for (let k = 0; k < 100 && all.length > 0; k++) {
    const n = Array.from({ length: 1 + Math.floor(r() * 4) }, () =>
      r() < 0.15 ? `_${pick(r, all)}` : pick(r, all),
    );
    out.add(`${n.join('.')}${tail}`);
  }
  for (const l of all) for (const x of ['_tcp', 'slave']) out.add(`${x}.${l}${tail}`);
  // PTR names: the full set's (outside the domain too), one with no records, names above them.
  for (const n of names) if (n.endsWith('.arpa.')) out.add(n);
  out.add('9.9.9.10.in-addr.arpa.');
  for (const n of ['1.1.10.in-addr.arpa.', '0.10.in-addr.arpa.']) out.add(n);
  return [...out].filter((q) => (q.endsWith(tail) || q.endsWith('.arpa.')) && q.length <= 254);
}

it(`a fresh early set answers what the full build answers: ${STATES} random states`, () => {
  const seed = 20261208;
  const r = rng(seed);
  let covered = 0;
  let negatives = 0;
  let ptrs = 0;
  for (let s = 0; s < STATES; s++) {
    const state = parseState(randomState(r)).state;
    const cfg = pick(r, CONFIGS);
    const full = generateRecords(state, cfg);
    for (const q of nearNames(r, [...full.names()], `.${cfg.domain}.`)) {
      const early = new EarlySet(state, cfg, 1, Infinity);
      if (!early.covers(q)) continue;
      covered++;
      const where = `seed ${seed}, state ${s}, domain ${cfg.domain}: ${q}`;
      assert.equal(canon(early.get(q)), canon(full.get(q)), where);
      assert.equal(early.exists(q), full.exists(q), `${where} exists`);
      if (full.get(q) === undefined) negatives++;
      else if (full.get(q)!.ptr.length > 0) ptrs++;
    }
  }
  // The check is not empty: names with and without records were covered.
  assert.ok(
    covered > 5000 && negatives > 2000 && ptrs > 200,
    `${covered} covered, ${negatives} without records, ${ptrs} PTR names`,
  );
});
