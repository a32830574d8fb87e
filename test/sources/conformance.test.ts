// One conformance suite for every StateSource (as DESIGN.md asks of backends behind one
// interface): the first snapshot arrives after start() with `from`, `fetchedAt` and parsed state;
// a failure is reported with a count and keeps the source alive; status() describes the source;
// close() is prompt and nothing is emitted after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stateParser, type MesosState } from '../../src/model/mesos-state.js';
import { FileStateSource } from '../../src/sources/file-source.js';
import { MasterPollSource } from '../../src/sources/master-poll.js';
import type { StateFailure, StateSnapshot, StateSource } from '../../src/sources/types.js';
import { ZkStateSource } from '../../src/sources/zk-source.js';
import { EmbeddedStore } from '../../src/zk/embedded.js';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { nextEvent } from '../helpers/wait.js';

interface Harness {
  source: StateSource<MesosState>;
  /** Makes the next load fail (master answers garbage / file holds garbage). */
  breakIt(): void;
  /** Makes loads succeed again. */
  fixIt(): void;
  /** Triggers a new load where the source does not poll by itself. */
  poke?(): void;
  kind: 'masters' | 'zk' | 'file';
  cleanup(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'beacon-conf-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fast = { refreshMs: 30, timeoutMs: 2000, backoff: { baseMs: 10, capMs: 30 } };

const harnesses: Record<string, () => Promise<Harness>> = {
  async masters() {
    const m = await FakeMaster.start();
    return {
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
  async zk() {
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
  async file() {
    const p = join(dir, `state-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(sampleState()));
    const source = new FileStateSource<MesosState>({ path: p, parse: stateParser });
    return {
      kind: 'file',
      source,
      breakIt: () => writeFileSync(p, 'garbage'),
      fixIt: () => writeFileSync(p, JSON.stringify(sampleState())),
      poke: () => source.reload(),
      cleanup: async () => {},
    };
  },
};

for (const [name, make] of Object.entries(harnesses)) {
  describe(`StateSource conformance: ${name}`, () => {
    it('emits a parsed snapshot after start()', async () => {
      const h = await make();
      try {
        const got = nextEvent<[StateSnapshot<MesosState>]>(h.source, 'snapshot');
        const t0 = Date.now();
        h.source.start();
        const [snap] = await got;
        assert.ok(snap.fetchedAt >= t0);
        assert.ok(snap.from.length > 0);
        assert.equal(snap.state.frameworks[0]?.name, 'Aurora');
        assert.deepEqual(snap.warnings, []);
        const st = h.source.status();
        assert.equal(st.kind, h.kind);
        assert.equal(st.lastFrom, snap.from);
        assert.equal(st.consecutiveFailures, 0);
      } finally {
        await h.source.close();
        await h.cleanup();
      }
    });

    it('reports a failure with a count, then recovers', async () => {
      const h = await make();
      try {
        const first = nextEvent(h.source, 'snapshot');
        h.source.start();
        await first;
        h.breakIt();
        const failed = nextEvent<[StateFailure]>(h.source, 'failure');
        h.poke?.();
        const [f] = await failed;
        assert.equal(f.consecutive, 1);
        assert.match(f.error.message, /not JSON/);
        assert.equal(h.source.status().consecutiveFailures >= 1, true);
        assert.match(h.source.status().lastFailure!.message, /not JSON/);
        h.fixIt();
        const again = nextEvent(h.source, 'snapshot');
        h.poke?.();
        await again;
        assert.equal(h.source.status().consecutiveFailures, 0);
      } finally {
        await h.source.close();
        await h.cleanup();
      }
    });

    it('emits nothing after close()', async () => {
      const h = await make();
      try {
        const first = nextEvent(h.source, 'snapshot');
        h.source.start();
        await first;
        await h.source.close();
        let events = 0;
        h.source.on('snapshot', () => events++);
        h.source.on('failure', () => events++);
        h.poke?.();
        // Several refresh intervals' worth of polling, each checked for silence.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, fast.refreshMs * 3));
        assert.equal(events, 0);
      } finally {
        await h.cleanup();
      }
    });
  });
}
