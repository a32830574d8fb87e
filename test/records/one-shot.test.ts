// The one-shot listing (`beacon records`) lists exactly the records of the full MemRecordSet
// build: the golden zones, the JSON list, a synthetic Aurora state, duplicated ids.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { type MesosState, parseState } from '../../src/model/mesos-state.js';
import {
  type RecordsConfig,
  generateRecords,
  listRecords,
  makeRecordsConfig,
  recordLines,
  recordList,
  writeZoneLines,
  zoneText,
} from '../../src/records/index.js';
import { FIXTURES, STATE_DIR, loadFixture } from './fixtures.js';

function listed(state: MesosState, cfg: RecordsConfig, chunkSize?: number): string {
  const parts: string[] = [];
  writeZoneLines(listRecords(state, cfg), cfg.ttl, cfg.srvWeight, (c) => parts.push(c), chunkSize);
  return parts.join('');
}

describe('one-shot listing', () => {
  for (const name of FIXTURES) {
    it(`${name}: the golden zone and the same JSON list as the record set`, () => {
      const { parsed, cfg, rs } = loadFixture(name);
      assert.equal(
        listed(parsed.state, cfg, 100),
        readFileSync(`${STATE_DIR}${name}.zone`, 'utf8'),
      );
      assert.deepEqual(
        recordLines(listRecords(parsed.state, cfg), cfg.ttl, cfg.srvWeight),
        recordList(rs),
      );
    });
  }
  for (const discovery of [true, false]) {
    it(`a synthetic Aurora state (DiscoveryInfo: ${discovery})`, () => {
      const doc = syntheticState({ tasks: 600, agents: 7, discovery, instancesPerJob: 4 });
      const { state } = parseState(doc);
      const cfg = makeRecordsConfig({ selfAddresses: ['10.0.0.5'], masters: ['10.255.0.1:5050'] });
      assert.equal(listed(state, cfg), zoneText(generateRecords(state, cfg)));
    });
  }
  it('duplicated agent, framework and task ids: the first wins, as in the record set', () => {
    const task = (id: string, agent: string, ip: string) => ({
      id,
      name: 'r/e/web',
      slave_id: agent,
      state: 'TASK_RUNNING',
      resources: { ports: '[31000-31001]' },
      statuses: [
        {
          state: 'TASK_RUNNING',
          container_status: { network_infos: [{ ip_addresses: [{ ip_address: ip }] }] },
        },
      ],
    });
    const { state } = parseState({
      leader: 'master@10.0.0.100:5050',
      slaves: [
        { id: 'c-S1', pid: 'slave(1)@10.0.0.1:5051' },
        { id: 'c-S1', pid: 'slave(1)@10.0.0.2:5051' },
        { id: 'c-S2', pid: 'slave(1)@10.0.0.3:5051' },
      ],
      frameworks: [
        { id: 'f', name: 'Aurora', pid: 's@10.0.0.9:1', tasks: [task('t1', 'c-S1', '10.1.0.1')] },
        {
          id: 'f',
          name: 'Other',
          tasks: [task('t1', 'c-S2', '10.1.0.2'), task('t2', 'c-S9', '10.1.0.3')],
        },
      ],
    });
    const cfg = makeRecordsConfig();
    assert.equal(listed(state, cfg), zoneText(generateRecords(state, cfg)));
  });
});
