// The source conformance suite (../source.case.ts) against the sources that poll or read whole
// documents: masters, ZooKeeper leader detection, state file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { stateParser, type MesosState } from '../../../src/model/mesos-state.js';
import { FileStateSource } from '../../../src/sources/file-source.js';
import { MasterPollSource } from '../../../src/sources/master-poll.js';
import type { StateSnapshot } from '../../../src/sources/types.js';
import { ZkStateSource } from '../../../src/sources/zk-source.js';
import { EmbeddedStore } from '../../../src/zk/embedded.js';
import { FakeMaster, sampleState } from '../../helpers/fake-master.js';
import { sourceConformance, type SourceHarness } from '../source.case.js';

const dir = mkdtempSync(join(tmpdir(), 'beacon-conf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fast = { refreshMs: 30, timeoutMs: 2000, backoff: { baseMs: 10, capMs: 30 } };
const polled = 'a polling source emits whole snapshots only; the store swaps them in one piece';

const common = {
  checkSnapshot: (snap: StateSnapshot<MesosState>) =>
    assert.equal(snap.state.frameworks[0]?.name, 'Aurora'),
  load: (
    store: { loadState(s: MesosState, at: number): unknown },
    snap: StateSnapshot<MesosState>,
  ) => void store.loadState(snap.state, snap.fetchedAt),
  failure: /not JSON/,
};

sourceConformance<MesosState>(
  'masters poll',
  async (): Promise<SourceHarness<MesosState>> => {
    const m = await FakeMaster.start();
    return {
      ...common,
      kind: 'masters',
      source: new MasterPollSource<MesosState>({
        masters: [{ host: m.host, port: m.port }],
        parse: stateParser,
        ...fast,
      }),
      breakIt: () => m.setMode('garbage'),
      fixIt: () => m.setMode('ok'),
      cleanup: () => m.stop(),
    };
  },
  { changes: polled },
);

sourceConformance<MesosState>(
  'ZooKeeper leader detection',
  async (): Promise<SourceHarness<MesosState>> => {
    const m = await FakeMaster.start();
    const store = new EmbeddedStore();
    const writer = store.connect();
    await writer.waitConnected(5000);
    await writer.mkdirp('/mesos');
    const info = { address: { ip: m.host, port: m.port }, hostname: 'localhost' };
    await writer.create('/mesos/json.info_', Buffer.from(JSON.stringify(info)), {
      mode: 'ephemeralSequential',
    });
    return {
      ...common,
      kind: 'zk',
      source: new ZkStateSource<MesosState>({
        coordination: store.connect(),
        path: '/mesos',
        url: 'zk://127.0.0.1:2181/mesos',
        detectionTimeoutMs: 5000,
        masters: [],
        parse: stateParser,
        ...fast,
      }),
      breakIt: () => m.setMode('garbage'),
      fixIt: () => m.setMode('ok'),
      cleanup: async () => {
        await writer.close();
        await m.stop();
      },
    };
  },
  { changes: polled },
);

sourceConformance<MesosState>(
  'state file',
  async (): Promise<SourceHarness<MesosState>> => {
    const p = join(dir, `state-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(sampleState()));
    const source = new FileStateSource<MesosState>({ path: p, parse: stateParser });
    return {
      ...common,
      kind: 'file',
      source,
      breakIt: () => writeFileSync(p, 'garbage'),
      fixIt: () => writeFileSync(p, JSON.stringify(sampleState())),
      poke: () => source.reload(),
      cleanup: async () => {},
    };
  },
  { changes: 'a state file is re-read whole (SIGHUP); it has no change feed' },
);
