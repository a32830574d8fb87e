// Every address of a task's first populated IP source is served, in A, AAAA and PTR alike, in the
// full build, the one-shot listing and incremental updates (issue 14 item 2). Expectations follow
// Mesos-DNS's own records/generator_test.go TestInsertState (the maintained Mesos-DNS, whose
// `Task.IPs` returns "only the IPs from the first populated source"): its `toy-store` task in the
// ipv6-framework serves 12.0.1.2 and fd01:b::1:8000:2 from netinfo, and `liquor-store` serves the
// agent IPs when its only IP source is `host`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseState } from '../../src/model/mesos-state.js';
import {
  type IpSource,
  generateRecords,
  listRecords,
  makeRecordsConfig,
  recordLines,
  reverseName,
} from '../../src/records/index.js';

/** One agent (pid 10.0.0.5) and one running task whose latest status carries `networkInfos` and
 *  a MesosContainerizer IP label when `mesosIp` is given. */
function state(networkInfos: unknown[], mesosIp?: string): unknown {
  const labels = mesosIp
    ? [{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: mesosIp }]
    : [];
  return {
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'S-1', hostname: 'agent1', pid: 'slave(1)@10.0.0.5:5051' }],
    frameworks: [
      {
        id: 'F-1',
        name: 'ipv6-framework',
        pid: 'scheduler@10.0.0.9:25501',
        tasks: [
          {
            id: 'toy-store.1',
            name: 'toy-store',
            framework_id: 'F-1',
            slave_id: 'S-1',
            state: 'TASK_RUNNING',
            resources: {},
            statuses: [
              {
                state: 'TASK_RUNNING',
                timestamp: 1,
                labels,
                container_status: { network_infos: networkInfos },
              },
            ],
          },
        ],
      },
    ],
  };
}

// Two IPs on one NetworkInfo and a second NetworkInfo with two more (one repeated).
const TWO_NETWORKS = [
  { ip_addresses: [{ ip_address: '12.0.1.2' }, { ip_address: 'fd01:b::1:8000:2' }] },
  { ip_addresses: [{ ip_address: '12.0.1.3' }, { ip_address: '12.0.1.2' }] },
];
const NAME = 'toy-store.ipv6-framework.mesos.';

function records(doc: unknown, ipSources: IpSource[]) {
  const cfg = makeRecordsConfig({ ipSources, selfAddresses: [] });
  const parsed = parseState(doc).state;
  const rs = generateRecords(parsed, cfg);
  const lines = recordLines(listRecords(parsed, cfg), cfg.ttl, cfg.srvWeight);
  const oneShot = (type: string, name: string) =>
    lines.filter((l) => l.type === type && l.name === name).map((l) => l.data);
  return { rs, oneShot };
}

describe('task IPs: every address of the first populated source (Mesos-DNS TestInsertState)', () => {
  it('a NetworkInfo with two IPs and a second NetworkInfo: all of them, A and AAAA, in order', () => {
    const { rs, oneShot } = records(state(TWO_NETWORKS), ['netinfo', 'mesos', 'host']);
    const r = rs.get(NAME)!;
    assert.deepEqual(r.a, ['12.0.1.2', '12.0.1.3']);
    assert.deepEqual(r.aaaa, ['fd01:b::1:8000:2']);
    assert.deepEqual(oneShot('A', NAME), ['12.0.1.2', '12.0.1.3']);
    assert.deepEqual(oneShot('AAAA', NAME), ['fd01:b::1:8000:2']);
    // the agent's own records are untouched
    assert.deepEqual(rs.get('toy-store.ipv6-framework.slave.mesos.')!.a, ['10.0.0.5']);
  });

  it('PTR for every task address, each naming the canonical name', () => {
    const { rs, oneShot } = records(state(TWO_NETWORKS), ['netinfo', 'host']);
    for (const ip of ['12.0.1.2', '12.0.1.3', 'fd01:b::1:8000:2']) {
      const ptr = rs.get(reverseName(ip))?.ptr ?? [];
      assert.equal(ptr.length, 1, `one PTR for ${ip}`);
      assert.match(ptr[0]!, /^toy-store-[a-z0-9]{5}-1\.ipv6-framework\.mesos\.$/);
      assert.deepEqual(oneShot('PTR', reverseName(ip)), ptr);
    }
  });

  it('only the first populated source: an earlier source with an IP hides the later ones', () => {
    // mesos label first: only its address (Mesos-DNS rgMesos: nginx → 10.3.0.3 only)
    const { rs } = records(state(TWO_NETWORKS, '10.3.0.3'), ['mesos', 'netinfo', 'host']);
    assert.deepEqual(rs.get(NAME)!.a, ['10.3.0.3']);
    assert.deepEqual(rs.get(NAME)!.aaaa, []);
    assert.equal(rs.get(reverseName('12.0.1.2')), undefined);
  });

  it('an empty or unparsable source is not populated: the next one is used', () => {
    const doc = state([{ ip_addresses: [{ ip_address: 'not-an-ip' }] }]);
    const { rs } = records(doc, ['netinfo', 'host']);
    assert.deepEqual(rs.get(NAME)!.a, ['10.0.0.5']); // host: the agent's IP (rgSlave)
  });

  it('incremental update to two more addresses equals a rebuild', () => {
    const cfg = makeRecordsConfig({ ipSources: ['netinfo', 'host'], selfAddresses: [] });
    const before = parseState(state([{ ip_addresses: [{ ip_address: '12.0.1.9' }] }])).state;
    const after = parseState(state(TWO_NETWORKS)).state;
    const rs = generateRecords(before, cfg);
    rs.applyTask(after.frameworks[0]!.tasks[0]!);
    const fresh = generateRecords(after, cfg);
    assert.deepEqual(rs.get(NAME), fresh.get(NAME));
    assert.equal(rs.get(reverseName('12.0.1.9')), undefined);
    assert.deepEqual(rs.get(reverseName('12.0.1.3')), fresh.get(reverseName('12.0.1.3')));
  });
});
