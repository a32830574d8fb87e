// EarlySet (answers while the first full build runs): every name it covers answers exactly what
// the full build answers (records, and NXDOMAIN or NODATA for a name without), and it covers
// every task and cluster name in the domain. Each name is
// asked of a fresh set (only the jobs that name pulls in are added: a job it misses would show
// as a difference) and of one set in a shuffled order (jobs added for other names change nothing).
// For the golden fixtures, generated states, and a state built to collide names: a job named like
// another job's canonical name, DiscoveryInfo names with dots, names cut to 63 bytes, one task id
// twice in a framework, two frameworks with one DomainFrag, unhealthy tasks failing open.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseState, type MesosState } from '../../src/model/mesos-state.js';
import {
  DEFAULT_RECORDS_CONFIG,
  EarlySet,
  generateRecords,
  makeRecordsConfig,
  taskHash,
  type RecordSet,
  type RecordsConfig,
} from '../../src/records/index.js';
import { RecordStore } from '../../src/records/store.js';
import type { ServersetRecord } from '../../src/records/serverset-records.js';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { rng, shuffle } from '../helpers/random.js';
import { canonRecords as canon } from './canon.js';
import { FIXTURES, loadFixture } from './fixtures.js';

/** The names in a fixed shuffled order (the order they are asked in). */
const shuffled = (names: string[]): string[] => shuffle(names, rng(7));

/** Checks the early set against the full build of `state`; `fresh` caps the names asked of a
 *  fresh set each (all of them when undefined). Returns how many names were compared. */
function assertEarlyEqualsFull(
  state: MesosState,
  cfg: RecordsConfig,
  what: string,
  fresh?: number,
): number {
  const full = generateRecords(state, cfg);
  const tail = `.${cfg.domain}.`;
  const names = shuffled([...full.names()]);
  const inDomain = names.filter((n) => n.endsWith(tail));
  assert.ok(inDomain.length > 0, `${what}: no names`);
  // Every name asked of a fresh set: the domain's and the PTR names (outside it, or in it when
  // the domain is under arpa.).
  const asked = names.filter((n) => n.endsWith(tail) || n.endsWith('.arpa.'));
  const shared = new EarlySet(state, cfg, 1, Infinity);
  for (const n of names) {
    // Outside the domain only PTR names have records: covered too (the tasks with the address).
    assert.ok(shared.covers(n), `${what}: ${n} not covered (shared set)`);
    assert.equal(canon(shared.get(n)), canon(full.get(n)), `${what}: ${n} (shared set)`);
  }
  const step = fresh === undefined ? 1 : Math.max(1, Math.floor(asked.length / fresh));
  for (let i = 0; i < asked.length; i += step) {
    const n = asked[i]!;
    const one = new EarlySet(state, cfg, 1, Infinity);
    assert.ok(one.covers(n), `${what}: ${n} not covered (fresh set)`);
    assert.equal(canon(one.get(n)), canon(full.get(n)), `${what}: ${n} (fresh set)`);
    // SRV targets (the Additional section's names) too, from the same set.
    for (const s of one.get(n)!.srv) {
      assert.equal(canon(one.get(s.target)), canon(full.get(s.target)), `${what}: ${s.target}`);
    }
  }
  // Names near the full set's (below an owner, its ancestors, a sibling, names under each
  // framework no task makes): whatever is covered is answered as the full set answers, records
  // and existence (NXDOMAIN, NODATA for an empty non-terminal). Every fourth (every one when
  // all names are asked fresh) is also asked of a fresh set: a job it misses shows there.
  const near = nearNames(fresh === undefined ? inDomain : inDomain.slice(0, fresh), tail);
  let negatives = 0;
  let enTs = 0;
  for (let i = 0; i < near.length; i++) {
    const q = near[i]!;
    const sets = [shared];
    if (fresh === undefined || i % 4 === 0) sets.push(new EarlySet(state, cfg, 1, Infinity));
    for (const e of sets) {
      if (!e.covers(q)) continue;
      assert.equal(canon(e.get(q)), canon(full.get(q)), `${what}: ${q} (near)`);
      assert.equal(e.exists(q), full.exists(q), `${what}: ${q} exists (near)`);
      if (e === shared && full.get(q) === undefined) {
        negatives++;
        if (full.exists(q)) enTs++;
      }
    }
  }
  assert.ok(negatives > 0, `${what}: no name without records was covered`);
  const nothing = `nothing${tail}`;
  if (full.get(nothing) === undefined) {
    assert.ok(shared.covers(nothing), `${what}: ${nothing}`);
    assert.equal(shared.exists(nothing), false, `${what}: ${nothing} is NXDOMAIN`);
  }
  return enTs;
}

/** Names near `names`: one label below each, each one's ancestors in the domain, a sibling (its
 *  first label changed), and names under a framework's names that no task makes. */
function nearNames(names: string[], tail: string): string[] {
  const out = new Set<string>();
  for (const n of names) {
    out.add(`x.${n}`);
    const dot = n.indexOf('.');
    out.add(`${n.slice(0, dot)}q${n.slice(dot)}`);
    for (let i = dot; i >= 0; i = n.indexOf('.', i + 1)) out.add(n.slice(i + 1));
  }
  for (const fw of ['aurora', 'marathon', 'marathon.prod', 'slave'])
    for (const x of ['nothing', 'x.nothing', '_nothing._tcp', 'nothing.slave', 'web-abcde-s0'])
      out.add(`${x}.${fw}${tail}`);
  return shuffled([...out].filter((n) => n.endsWith(tail)));
}

function task(
  fw: string,
  id: string,
  name: string,
  agent: string,
  ip: string,
  opts: { ports?: [number, number]; di?: object; healthy?: boolean } = {},
) {
  return {
    id,
    name,
    framework_id: fw,
    slave_id: agent,
    state: 'TASK_RUNNING',
    resources: opts.ports ? { ports: `[${opts.ports[0]}-${opts.ports[1]}]` } : {},
    statuses: [
      {
        state: 'TASK_RUNNING',
        timestamp: 1700000000,
        ...(opts.healthy === undefined ? {} : { healthy: opts.healthy }),
        container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] },
      },
    ],
    ...(opts.di ? { discovery: opts.di } : {}),
  };
}

/** A state whose names collide in every way the naming allows. */
function collidingState(): MesosState {
  const long = `svc${'x'.repeat(70)}`;
  const webId = 'web-0';
  // A job named exactly as web-0's canonical name: one owner name, two jobs behind it.
  const twin = `web-${taskHash(webId)}-s0`;
  const di = (name: string, ports: { number: number; name: string; protocol?: string }[]) => ({
    visibility: 'CLUSTER',
    name,
    ports: { ports },
  });
  const doc = {
    leader: 'master@10.0.0.9:5050',
    slaves: [
      { id: 'c-S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' },
      { id: 'c-S1', hostname: 'a1', pid: 'slave(1)@10.0.0.2:5051' },
    ],
    frameworks: [
      {
        id: 'F1',
        name: 'aurora',
        pid: 'scheduler@10.0.0.8:8081',
        tasks: [
          task('F1', webId, 'web', 'c-S0', '10.1.0.1', { ports: [31000, 31001] }),
          task('F1', 'web-1', 'web', 'c-S1', '10.1.0.2', { ports: [31000, 31001] }),
          task('F1', 'twin-0', twin, 'c-S1', '10.1.0.3', { ports: [31005, 31005] }),
          task('F1', 'proxy-0', 'web-proxy', 'c-S0', '10.1.0.4', { ports: [31010, 31010] }),
          task('F1', 'long-0', long, 'c-S0', '10.1.0.5', { ports: [31020, 31020] }),
          task('F1', 'long-1', long, 'c-S1', '10.1.0.6'),
          // The same id twice in one framework (Mesos-DNS names both).
          task('F1', 'dup', 'dup', 'c-S0', '10.1.0.7', { ports: [31030, 31030] }),
          task('F1', 'dup', 'dup', 'c-S1', '10.1.0.8', { ports: [31031, 31031] }),
          task('F1', 'di-0', 'vagrant/test/http_example', 'c-S0', '10.1.0.9', {
            di: di('http_example.test.vagrant', [
              { number: 31040, name: 'http', protocol: 'TCP' },
              { number: 31041, name: 'admin' },
            ]),
          }),
          task('F1', 'di-1', 'vagrant/test/http_example', 'c-S1', '10.1.0.10', {
            di: di('http_example.test.vagrant', [{ number: 31040, name: 'http', protocol: 'TCP' }]),
          }),
          // A DiscoveryInfo name equal to another job's task name.
          task('F1', 'di-api', 'other', 'c-S1', '10.1.0.11', {
            di: di('web', [{ number: 31050, name: 'web', protocol: 'udp' }]),
          }),
          task('F1', 'sick-0', 'sick', 'c-S0', '10.1.0.12', {
            ports: [31060, 31060],
            healthy: false,
          }),
          task('F1', 'sick-1', 'sick', 'c-S1', '10.1.0.13', {
            ports: [31061, 31061],
            healthy: true,
          }),
          task('F1', 'allsick-0', 'allsick', 'c-S0', '10.1.0.14', {
            ports: [31070, 31070],
            healthy: false,
          }),
        ],
      },
      {
        // Another framework with the same DomainFrag: its job names join the first one's.
        id: 'F2',
        name: 'Aurora',
        tasks: [task('F2', 'web-9', 'web', 'c-S1', '10.2.0.1', { ports: [32000, 32000] })],
      },
      {
        id: 'F3',
        name: 'marathon.prod',
        pid: 'scheduler@10.0.0.7:8080',
        tasks: [task('F3', 'm-0', 'aurora', 'c-S0', '10.3.0.1', { ports: [33000, 33000] })],
      },
    ],
  };
  const { state, warnings } = parseState(doc);
  assert.ok(warnings.length <= 1, JSON.stringify(warnings));
  return state;
}

describe('EarlySet answers what the full build answers', () => {
  for (const name of FIXTURES) {
    it(`golden fixture ${name}`, () => {
      const { parsed, cfg } = loadFixture(name);
      assertEarlyEqualsFull(parsed.state, cfg, name);
    });
  }

  it('colliding names: twin of a canonical name, dots, 63-byte cuts, repeated id, one DomainFrag', () => {
    const state = collidingState();
    const enTs = assertEarlyEqualsFull(state, DEFAULT_RECORDS_CONFIG, 'default');
    // `test.vagrant.aurora.mesos.` and the like: NODATA, from the DiscoveryInfo name's dots.
    assert.ok(enTs > 0, 'empty non-terminals were covered');
    assert.ok(generateRecords(state, DEFAULT_RECORDS_CONFIG).counts().a > 40);
    // The twin name is one owner name made by two jobs: a fresh set must add both.
    const full = generateRecords(state, DEFAULT_RECORDS_CONFIG);
    const twin = `web-${taskHash('web-0')}-s0.aurora.mesos.`;
    assert.equal(full.get(twin)!.a.length, 2);
  });

  it('colliding names with the health filter failing open', () => {
    const cfg = makeRecordsConfig({ healthFilter: true, healthFailOpen: true });
    assertEarlyEqualsFull(collidingState(), cfg, 'fail-open');
    const full = generateRecords(collidingState(), cfg);
    assert.ok(full.get('allsick.aurora.mesos.')?.failOpen, 'the fixture has a name failing open');
  });

  it('colliding names, RFC 952 labels, agent IPs first', () => {
    const cfg = makeRecordsConfig({ spec: 'RFC952', ipSources: ['host', 'netinfo'] });
    assertEarlyEqualsFull(collidingState(), cfg, 'rfc952');
  });

  for (const discovery of [true, false]) {
    it(`a generated state of 3,000 tasks${discovery ? ' with DiscoveryInfo' : ''} (300 names from fresh sets)`, () => {
      const state = parseState(
        syntheticState({ tasks: 3000, agents: 60, instancesPerJob: 3, seed: 5, discovery }),
      ).state;
      assertEarlyEqualsFull(state, DEFAULT_RECORDS_CONFIG, 'synthetic', 300);
    });
  }

  it('adds only the jobs a name needs, and never a task twice', () => {
    const state = parseState(
      syntheticState({ tasks: 3000, agents: 60, instancesPerJob: 3, seed: 5, discovery: true }),
    ).state;
    const early = new EarlySet(state, DEFAULT_RECORDS_CONFIG, 1);
    const full = generateRecords(state, DEFAULT_RECORDS_CONFIG);
    assert.equal(early.jobCount, 1000);
    const before = early.counts();
    const name = [...full.names()].find((n) => n.startsWith('_http._'))!;
    assert.ok(early.covers(name));
    const after = early.counts();
    assert.ok(after.srv > before.srv, 'the job was added');
    assert.ok(after.a < full.counts().a / 10, `a name adds its jobs, not the state: ${after.a}`);
    // Asking again adds nothing.
    assert.ok(early.covers(name));
    assert.deepEqual(early.counts(), after);
  });

  it('the store offers one only before its first set, with the serial that set gets', () => {
    const { parsed, cfg } = loadFixture('aurora-discovery');
    const fetchedAt = 1_700_000_123_456;
    const store = new RecordStore(cfg);
    const early = store.early(parsed.state, fetchedAt)!;
    assert.ok(early.covers('http_example.test.vagrant.aurora.mesos.'));
    const rs = store.loadState(parsed.state, fetchedAt);
    assert.equal(early.zone.soa.serial, rs.zone.soa.serial, 'answers carry the serial to come');
    assert.equal(store.early(parsed.state, fetchedAt + 1000), undefined, 'a set serves');
  });

  it('under ServerSet records: what it covers is what the full view answers', () => {
    const state = collidingState();
    const cfg = DEFAULT_RECORDS_CONFIG;
    const web0 = `web-${taskHash('web-0')}-s0.aurora.slave.mesos.`;
    const sets = new Map<string, ServersetRecord[]>([
      [
        'zk!/a',
        [
          // Merges with a task name's A records.
          { name: 'web.aurora.mesos.', type: 'A', value: '10.7.0.1', port: 0 },
          // An SRV member the state already names (agent S0's address, port 31000): dropped.
          { name: 'member1.aurora.mesos.', type: 'A', value: '10.0.0.1', port: 0 },
          {
            name: '_web._tcp.aurora.mesos.',
            type: 'SRV',
            value: 'member1.aurora.mesos.',
            port: 31000,
          },
          // A target another job makes: its addresses need that job.
          {
            name: '_web._tcp.aurora.mesos.',
            type: 'SRV',
            value: 'web-proxy.aurora.mesos.',
            port: 31010,
          },
          { name: '_web._tcp.aurora.mesos.', type: 'SRV', value: web0, port: 31001 },
          // Names no task makes, targets outside the domain.
          { name: 'solo.aurora.mesos.', type: 'A', value: '10.7.0.2', port: 0 },
          { name: '_svc._tcp.zk.mesos.', type: 'SRV', value: 'host.example.com.', port: 8080 },
        ],
      ],
    ]);
    const full = new RecordStore(cfg);
    full.loadServersets(sets);
    full.loadState(state, 1);
    const view = full.view!;
    const names = shuffled([...view.names()]).filter((n) => n.endsWith('.mesos.'));
    assert.ok(names.includes('solo.aurora.mesos.') && names.includes('_svc._tcp.zk.mesos.'));
    const fresh = () => {
      const store = new RecordStore(cfg);
      store.loadServersets(sets);
      return { store, early: store.early(state, 1)! };
    };
    const shared = fresh().early;
    for (const n of names) {
      for (const e of [fresh().early, shared]) {
        assert.ok(e.covers(n), `${n} not covered`);
        assert.equal(canon(e.get(n)), canon(view.get(n)), n);
      }
    }
    // Names without records: below and beside the ServerSet names and the tasks' (an empty
    // non-terminal only ServerSets make, `_tcp.zk.mesos.`, is NODATA), as the full view answers.
    const must = [
      'nosuch.aurora.mesos.',
      'x.solo.aurora.mesos.',
      '_tcp.zk.mesos.',
      'zk.mesos.',
      'x._svc._tcp.zk.mesos.',
      'x.member1.aurora.mesos.',
      'x.web.aurora.mesos.',
      'test.vagrant.aurora.mesos.',
    ];
    for (const n of [...must, ...nearNames(names, '.mesos.')]) {
      for (const e of [fresh().early, shared]) {
        if (!e.covers(n)) {
          assert.ok(!must.includes(n), `${n} not covered`);
          continue;
        }
        assert.equal(canon(e.get(n)), canon(view.get(n)), n);
        assert.equal(e.exists(n), view.exists(n), `${n} exists`);
      }
    }
    assert.equal(shared.exists('_tcp.zk.mesos.'), true);
    assert.equal(shared.exists('test.vagrant.aurora.mesos.'), true);
    assert.equal(shared.exists('x.solo.aurora.mesos.'), false);
    // A ServerSet change during the build shows at once; the swap then serves the full view.
    const { store, early } = fresh();
    const extra = { name: 'late.aurora.mesos.', type: 'A' as const, value: '10.7.0.3', port: 0 };
    store.apply({ type: 'serverset', key: 'zk!/b', records: [extra] });
    assert.ok(early.covers('late.aurora.mesos.'));
    assert.equal(
      canon(early.get('_web._tcp.aurora.mesos.')),
      canon(view.get('_web._tcp.aurora.mesos.')),
    );
    store.loadState(state, 1);
    for (const n of ['_web._tcp.aurora.mesos.', 'web.aurora.mesos.']) {
      assert.equal(canon(store.view!.get(n)), canon(view.get(n)), `${n} after the swap`);
    }
  });

  it('a failed sliced build leaves no early set under the ServerSet records', async () => {
    // Enough tasks for the build to pause (every 32 tasks with sliceMs 0) and see the abort.
    const state = parseState(
      syntheticState({ tasks: 300, agents: 10, instancesPerJob: 3, seed: 3, discovery: false }),
    ).state;
    const job = [...generateRecords(state, DEFAULT_RECORDS_CONFIG).names()].find(
      (n) => /^[a-z][^.]*\.aurora\.mesos\.$/.test(n) && !/-[a-z0-9]{5}-s\d+\./.test(n),
    )!;
    const store = new RecordStore(DEFAULT_RECORDS_CONFIG);
    store.loadServersets(
      new Map([['zk!/a', [{ name: job, type: 'A' as const, value: '10.7.0.1', port: 0 }]]]),
    );
    const early = store.early(state, 1)!;
    assert.equal(early.get(job)!.a.length, 4, "the job's 3 tasks and the member");
    const abort = new AbortController();
    const build = store.loadStateSliced(state, 1, { signal: abort.signal, sliceMs: 0 });
    abort.abort(new Error('closed while loading state'));
    await assert.rejects(build, /closed/);
    assert.equal(store.view, undefined);
    // The early set (and the state it holds) is not kept under the ServerSet records: an empty
    // set is (read through the store's private overlay: nothing public shows it before a load).
    const base = (store as unknown as { overlay: { baseSet: RecordSet } }).overlay.baseSet;
    assert.ok(!(base instanceof EarlySet), 'the early set was let go');
    assert.equal([...base.names()].length, 0, 'an empty set');
    store.loadState(parseState({ frameworks: [], slaves: [] }).state, 2);
    assert.deepEqual(store.view!.get(job)!.a, ['10.7.0.1']);
  });

  it('PTR names: answered once the tasks with the address are in, also in a domain under arpa.', () => {
    const doc = {
      slaves: [{ id: 'c-S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
      frameworks: [
        {
          id: 'F1',
          name: 'aurora',
          // No address of its own: the agent's, so the agent's PTR name is the task's too.
          tasks: [
            { ...task('F1', 'web-0', 'web', 'c-S0', '10.1.0.1'), statuses: [] },
            // Its own address: a PTR name, 1.0.2.10.in-addr.arpa., only the task makes.
            task('F1', 'api-0', 'api', 'c-S0', '10.2.0.1'),
          ],
        },
      ],
    };
    const state = parseState(doc).state;
    for (const domain of ['mesos', 'arpa', 'in-addr.arpa']) {
      const cfg = makeRecordsConfig({ domain, soaMname: `ns1.${domain}.` });
      const full = generateRecords(state, cfg);
      const early = new EarlySet(state, cfg, 1, Infinity);
      // The agent's address is web-0's too: its PTR name needs that task.
      const ptr = '1.0.0.10.in-addr.arpa.';
      assert.equal(full.get(ptr)!.ptr.length, 2, `${domain}: the agent's and the task's PTR`);
      assert.ok(early.covers(ptr), `${domain}: ${ptr}`);
      assert.equal(canon(early.get(ptr)), canon(full.get(ptr)), `${domain}: ${ptr}`);
      const own = '1.0.2.10.in-addr.arpa.';
      const fresh = new EarlySet(state, cfg, 1, Infinity);
      assert.ok(fresh.covers(own), `${domain}: ${own}`);
      assert.equal(canon(fresh.get(own)), canon(full.get(own)), `${domain}: ${own}`);
      assert.equal(fresh.tasksAdded, 1, `${domain}: only api-0's job is added for its address`);
      // A PTR name without records (forwarded, or NXDOMAIN in the domain) waits for the full set.
      assert.equal(early.covers('9.9.9.10.in-addr.arpa.'), false, `${domain}: no records`);
      // Names above a task's PTR name: empty non-terminals only once the task is in (found by
      // a review's fuzzer: they were covered as NXDOMAIN).
      for (const above of ['2.10.in-addr.arpa.', '0.2.10.in-addr.arpa.']) {
        if (domain === 'mesos') continue;
        assert.equal(full.exists(above), true, `${domain}: ${above}`);
        const fresh = new EarlySet(state, cfg, 1, Infinity);
        if (fresh.covers(above)) assert.equal(fresh.exists(above), true, `${domain}: ${above}`);
        assert.equal(fresh.covers(above), false, `${domain}: ${above} is left to the full set`);
      }
      const web = `web.aurora.${domain}.`;
      assert.ok(early.covers(web));
      assert.equal(canon(early.get(web)), canon(full.get(web)));
    }
  });

  it('an SRV name is covered only with its targets settled (their addresses in Additional)', () => {
    const webId = 'web-0';
    const twin = `web-${taskHash(webId)}-s0`;
    const tasks = [task('F1', webId, 'web', 'c-S0', '10.1.0.1', { ports: [31000, 31000] })];
    // A 20-task job named like web-0's canonical name: it makes the SRV target's name too.
    for (let i = 0; i < 20; i++) tasks.push(task('F1', `twin-${i}`, twin, 'c-S0', `10.2.0.${i}`));
    // And a job named like the framework: no longer pulled in by `x.aurora.mesos.`.
    for (let i = 0; i < 20; i++) tasks.push(task('F1', `fw-${i}`, 'aurora', 'c-S0', `10.3.0.${i}`));
    const doc = {
      slaves: [{ id: 'c-S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
      frameworks: [{ id: 'F1', name: 'aurora', tasks }],
    };
    const state = parseState(doc).state;
    const cfg = DEFAULT_RECORDS_CONFIG;
    const full = generateRecords(state, cfg);
    const srv = '_web._tcp.aurora.mesos.';
    const target = `${twin}.aurora.slave.mesos.`;
    assert.equal(full.get(srv)!.srv[0]!.target, target);
    assert.equal(full.get(target)!.a.length, 1, "the agent's address, from both jobs");
    const small = new EarlySet(state, cfg, 1, 5);
    assert.ok(small.covers('web.aurora.mesos.'), 'one task: within the budget');
    assert.equal(small.tasksAdded, 1, 'the job named like the framework was not added');
    assert.equal(small.covers(srv), false, "its target needs the twin job's 20 tasks");
    const big = new EarlySet(state, cfg, 1, Infinity);
    assert.ok(big.covers(srv));
    assert.equal(canon(big.get(target)), canon(full.get(target)));
  });

  it('a big job named tcp or slave does not hold up names it cannot make', () => {
    const tasks = [task('F1', 'web7-0', 'web7', 'c-S0', '10.1.0.1', { ports: [31000, 31000] })];
    for (const name of ['tcp', 'slave'])
      for (let i = 0; i < 20; i++)
        tasks.push(task('F1', `${name}-${i}`, name, 'c-S0', `10.2.0.${i}`));
    const doc = {
      slaves: [{ id: 'c-S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
      frameworks: [{ id: 'F1', name: 'marathon', tasks }],
    };
    const state = parseState(doc).state;
    const full = generateRecords(state, DEFAULT_RECORDS_CONFIG);
    const early = new EarlySet(state, DEFAULT_RECORDS_CONFIG, 1, 5);
    for (const n of ['_web7._tcp.marathon.mesos.', 'slave.mesos.', '_slave._tcp.mesos.']) {
      assert.ok(early.covers(n), n);
      assert.equal(canon(early.get(n)), canon(full.get(n)), n);
    }
    assert.equal(early.tasksAdded, 1, 'only web7');
    assert.equal(early.covers('tcp.marathon.mesos.'), false, 'that job is past the budget');
  });

  it('takes the serial it is given, and covers nothing outside the domain but PTR names', () => {
    const { parsed, cfg } = loadFixture('aurora-discovery');
    const early = new EarlySet(parsed.state, cfg, 1_700_000_123);
    assert.equal(early.zone.soa.serial, 1_700_000_123);
    assert.equal(early.covers('example.com.'), false);
    assert.equal(early.covers(`1.2.3.4.in-addr.arpa.`), false, 'no records: left to the full set');
    assert.equal(early.get('nothing.example.com.'), undefined);
  });
});
