// The state parser: v0 and v1 documents to one model, tolerant of bad items (skipped + warned),
// StateError only for a document that is not an object; plus a bounded fuzz run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateError } from '../../src/errors.js';
import { normalizeIp, parsePid, parsePortRanges } from '../../src/model/mesos-addr.js';
import { parseV1Task } from '../../src/model/mesos-state-v1.js';
import { generateRecords, makeRecordsConfig } from '../../src/records/index.js';
import {
  formatWarning,
  parseState,
  stateParser,
  type StateWarning,
} from '../../src/model/mesos-state.js';
import { rng } from '../helpers/random.js';

describe('addresses and port ranges', () => {
  it('pids', () => {
    assert.deepEqual(parsePid('slave(1)@10.0.0.21:5051'), { host: '10.0.0.21', port: 5051 });
    assert.deepEqual(parsePid('master@[fd00::1]:5050'), { host: 'fd00::1', port: 5050 });
    assert.deepEqual(parsePid('scheduler-x@host.example:8083'), {
      host: 'host.example',
      port: 8083,
    });
    for (const bad of [
      'garbage',
      '@1.2.3.4:5',
      'a@1.2.3.4',
      'a@1.2.3.4:99999',
      'a@:5',
      42,
      null,
      undefined,
      'a@[::1:5',
    ]) {
      assert.equal(parsePid(bad), undefined, String(bad));
    }
  });
  it('IP normalisation matches Go net.IP.String()', () => {
    assert.equal(normalizeIp('10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeIp('FD00:0:0:0:0:0:0:0ABC'), 'fd00::abc');
    assert.equal(normalizeIp('::ffff:10.0.0.22'), '10.0.0.22');
    assert.equal(normalizeIp('999.1.1.1'), undefined);
    assert.equal(normalizeIp('agent-1'), undefined);
  });
  it('port ranges', () => {
    assert.deepEqual(parsePortRanges('[31000-31001, 31005-31005]'), {
      ports: [31000, 31001, 31005],
      bad: [],
    });
    assert.deepEqual(parsePortRanges('[]'), { ports: [], bad: [] });
    assert.deepEqual(parsePortRanges(''), { ports: [], bad: [] });
    assert.equal(parsePortRanges('[31000]').bad.length, 1);
    assert.equal(parsePortRanges('garbage').bad.length, 1);
    const mixed = parsePortRanges('[5-3, 7-8, 70000-70001]');
    assert.deepEqual(mixed.ports, [7, 8]);
    assert.equal(mixed.bad.length, 2);
  });
});

describe('parseState', () => {
  it('rejects what is not an object, with StateError', () => {
    for (const doc of [null, 42, 'x', [], [{}], true]) {
      assert.throws(
        () => parseState(doc),
        (e: unknown) => e instanceof StateError && /not a JSON object/.test(e.message),
      );
    }
    assert.throws(() => parseState({ type: 'GET_HEALTH', get_health: {} }), StateError);
  });
  it('an empty object is an empty state', () => {
    assert.deepEqual(parseState({}), { state: { agents: [], frameworks: [] }, warnings: [] });
  });
  it('reads a v0 task', () => {
    const { state, warnings } = parseState({
      leader: 'master@10.0.0.10:5050',
      slaves: [{ id: 'a-S0', hostname: 'h', pid: 'slave(1)@10.0.0.21:5051' }],
      frameworks: [
        {
          id: 'f',
          name: 'Aurora',
          pid: 'scheduler@10.0.0.11:8083',
          tasks: [
            {
              id: 't',
              name: 'r/e/j',
              slave_id: 'a-S0',
              state: 'TASK_RUNNING',
              resources: { ports: '[31000-31001]' },
              statuses: [
                {
                  state: 'TASK_RUNNING',
                  timestamp: 2.5,
                  labels: [{ key: 'k', value: 'v' }],
                  container_status: {
                    network_infos: [
                      { ip_addresses: [{ ip_address: '10.1.1.1' }] },
                      { ip_address: '10.1.1.2' },
                    ],
                  },
                },
              ],
              discovery: {
                visibility: 'CLUSTER',
                name: 'j.e.r',
                ports: { ports: [{ number: 31000, name: 'http', protocol: 'TCP' }] },
              },
            },
          ],
        },
      ],
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(state.leader, { host: '10.0.0.10', port: 5050 });
    assert.deepEqual(state.agents, [
      { id: 'a-S0', hostname: 'h', pid: { host: '10.0.0.21', port: 5051 }, ips: ['10.0.0.21'] },
    ]);
    const t = state.frameworks[0]!.tasks[0]!;
    assert.deepEqual(t.ports, [31000, 31001]);
    assert.equal(t.frameworkId, 'f');
    assert.deepEqual(t.statuses[0]!.networkIps, ['10.1.1.1', '10.1.1.2']);
    assert.deepEqual(t.discovery?.ports, [{ number: 31000, name: 'http', protocol: 'TCP' }]);
  });
  it('reads a v1 task like the v0 one', () => {
    const w: StateWarning[] = [];
    const t = parseV1Task(
      {
        name: 'n',
        task_id: { value: 't' },
        framework_id: { value: 'f' },
        agent_id: { value: 'a-S0' },
        state: 'TASK_RUNNING',
        resources: [
          {
            name: 'ports',
            type: 'RANGES',
            ranges: {
              range: [
                { begin: 1, end: 2 },
                { begin: 9, end: 3 },
              ],
            },
          },
        ],
        statuses: [
          { state: 'TASK_RUNNING', timestamp: 1, labels: { labels: [{ key: 'k', value: 'v' }] } },
        ],
      },
      'event',
      w,
    );
    assert.deepEqual(t?.ports, [1, 2]);
    assert.equal(w.length, 1);
    assert.deepEqual(t?.statuses[0]?.labels, [{ key: 'k', value: 'v' }]);
  });
  it('skips bad items with warnings and keeps the rest', () => {
    const { state, warnings } = parseState({
      slaves: [
        { id: 'x', pid: 'garbage' },
        { id: 'y', pid: 'slave(1)@10.0.0.2:5051' },
      ],
      frameworks: [
        {
          id: 'f',
          tasks: [
            { id: 1 },
            { id: 'ok', slave_id: 'y', state: 'TASK_RUNNING', resources: { ports: '[31000]' } },
          ],
        },
      ],
    });
    assert.equal(state.agents.length, 1);
    assert.equal(state.frameworks[0]!.tasks.length, 1);
    assert.deepEqual(state.frameworks[0]!.tasks[0]!.ports, []);
    assert.equal(warnings.length, 3);
    assert.match(formatWarning(warnings[0]!), /^slaves\[0\] \(agent x\): pid "garbage"/);
    assert.equal(stateParser({ slaves: [{ id: 'x', pid: 'garbage' }] }).warnings.length, 1);
  });
});

const SEED_DOC = {
  leader: 'master@10.0.0.10:5050',
  slaves: [
    {
      id: 'a-S0',
      hostname: 'h',
      pid: 'slave(1)@10.0.0.21:5051',
      resources: { ports: '[31000-32000]' },
    },
  ],
  frameworks: [
    {
      id: 'f',
      name: 'Aurora',
      pid: 'scheduler@10.0.0.11:8083',
      tasks: [
        {
          id: 't',
          name: 'r/e/j',
          slave_id: 'a-S0',
          state: 'TASK_RUNNING',
          resources: { ports: '[31000-31001]' },
          statuses: [
            {
              state: 'TASK_RUNNING',
              timestamp: 2,
              container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.1.1.1' }] }] },
            },
          ],
          discovery: {
            name: 'j.e.r',
            ports: { ports: [{ number: 31000, name: 'http', protocol: 'TCP' }] },
          },
        },
      ],
    },
  ],
};
const V1_DOC = {
  type: 'GET_STATE',
  get_state: {
    get_agents: { agents: [{ agent_info: { id: { value: 'a' } }, pid: 'slave(1)@10.0.0.2:5051' }] },
    get_frameworks: { frameworks: [{ framework_info: { id: { value: 'f' }, name: 'x' } }] },
    get_tasks: {
      tasks: [
        {
          task_id: { value: 't' },
          agent_id: { value: 'a' },
          framework_id: { value: 'f' },
          state: 'TASK_RUNNING',
        },
      ],
    },
  },
};

const ODD = [
  null,
  undefined,
  0,
  -1,
  Infinity,
  NaN,
  '',
  'x',
  '[31000]',
  '[1-2',
  'slave(1)@',
  true,
  [],
  {},
  [null],
  { value: 3 },
  '☃',
];

function mutate(v: unknown, r: () => number, depth: number): unknown {
  if (depth > 8 || r() < 0.08) return ODD[Math.floor(r() * ODD.length)];
  if (Array.isArray(v)) {
    const out = v.map((x) => mutate(x, r, depth + 1));
    if (r() < 0.1) out.push(ODD[Math.floor(r() * ODD.length)]);
    return out;
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.05) out[k] = mutate(x, r, depth + 1);
    return out;
  }
  return v;
}

describe('fuzz (bounded)', () => {
  it('mutated v0/v1 documents and random values never throw anything but StateError (parse and generate)', () => {
    const r = rng(7);
    const deadline = Date.now() + 5000;
    let n = 0;
    for (; n < 3000 && Date.now() < deadline; n++) {
      const base = n % 2 === 0 ? SEED_DOC : V1_DOC;
      const doc = n % 10 === 9 ? ODD[n % ODD.length] : mutate(base, r, 0);
      try {
        const { state, warnings } = parseState(doc);
        assert.ok(
          Array.isArray(state.agents) && Array.isArray(state.frameworks) && Array.isArray(warnings),
        );
        // whatever survived parsing must also generate without throwing
        generateRecords(state, makeRecordsConfig());
      } catch (e) {
        assert.ok(e instanceof StateError, `document ${n}: ${String(e)}: ${JSON.stringify(doc)}`);
      }
    }
    assert.ok(n >= 100);
  });
});
