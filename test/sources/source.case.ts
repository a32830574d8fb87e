// One conformance suite for every source of records (the shape of hono's common.case.test.ts):
// each implementation's test file calls `sourceConformance` with a harness; a case that cannot
// apply to a source is skipped with its reason. What every source promises: the first snapshot
// arrives after start() with `from`, `fetchedAt` and parsed data; a failure is reported with a
// count and the source recovers by itself; status() describes it; close() is prompt and nothing
// is emitted after it; and an incremental source's changes, applied to its first snapshot by the
// records layer, give the records a fresh snapshot of the origin would give.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordChange } from '../../src/records/changes.js';
import { makeRecordsConfig } from '../../src/records/index.js';
import { RecordStore } from '../../src/records/store.js';
import type { RecordSet } from '../../src/records/types.js';
import type {
  SourceStatus,
  StateFailure,
  StateSnapshot,
  StateSource,
} from '../../src/sources/types.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

export interface SourceHarness<S> {
  source: StateSource<S>;
  kind: SourceStatus['kind'];
  /** Asserts the snapshot carries the origin's sample data. */
  checkSnapshot(snap: StateSnapshot<S>): void;
  /** Loads a snapshot into a record store, as the DNS service does for this kind of source. */
  load(store: RecordStore, snap: StateSnapshot<S>): void;
  /** Makes the next load fail (garbage, a master down…); `failure` matches its message. */
  breakIt?(): Promise<void> | void;
  failure?: RegExp;
  /** Makes loads succeed again. */
  fixIt?(): Promise<void> | void;
  /** Triggers a new load where the source does not poll by itself. */
  poke?(): void;
  /** Changes the origin (incremental sources): resolves once the change is made. */
  change?(): Promise<void>;
  /** A fresh full snapshot of the origin (incremental sources), to compare with. */
  truth?(): Promise<StateSnapshot<S>>;
  cleanup(): Promise<void>;
}

export interface ConformanceSkips {
  /** Why the failure/recovery case does not apply. */
  failure?: string;
  /** Why the incremental case does not apply. */
  changes?: string;
}

const empty = { agents: [], frameworks: [] };

function storeOf<S>(h: SourceHarness<S>, snap: StateSnapshot<S>): RecordStore {
  const store = new RecordStore(makeRecordsConfig());
  // ServerSet records are served over state records: give them an (empty) state to lie on.
  if (h.kind === 'serversets') store.loadState(empty, 0);
  h.load(store, snap);
  return store;
}

function zone(rs: RecordSet): string[] {
  const out: string[] = [];
  for (const n of rs.names()) {
    const r = rs.get(n);
    if (!r) continue;
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    out.push(`${n} ${JSON.stringify([sorted(r.a), sorted(r.aaaa), sorted(r.srv), sorted(r.ptr)])}`);
  }
  return out.sort();
}

export function sourceConformance<S>(
  name: string,
  make: () => Promise<SourceHarness<S>>,
  skips: ConformanceSkips = {},
): void {
  describe(`source conformance: ${name}`, () => {
    it('emits a parsed snapshot after start()', async () => {
      const h = await make();
      try {
        const got = nextEvent<[StateSnapshot<S>]>(h.source, 'snapshot', 20000);
        const t0 = Date.now();
        h.source.start();
        const [snap] = await got;
        assert.ok(snap.fetchedAt >= t0);
        assert.ok(snap.from.length > 0);
        h.checkSnapshot(snap);
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

    it(
      'reports a failure with a count, then recovers',
      { skip: skips.failure ?? false },
      async () => {
        const h = await make();
        try {
          const first = nextEvent(h.source, 'snapshot', 20000);
          h.source.start();
          await first;
          const failed = nextEvent<[StateFailure]>(h.source, 'failure', 20000);
          await h.breakIt!();
          h.poke?.();
          const [f] = await failed;
          assert.equal(f.consecutive, 1);
          assert.match(f.error.message, h.failure!);
          assert.ok(h.source.status().consecutiveFailures >= 1);
          assert.match(h.source.status().lastFailure!.message, h.failure!);
          const again = nextEvent(h.source, 'snapshot', 20000);
          await h.fixIt!();
          h.poke?.();
          await again;
          await waitFor(
            'the failure streak to end',
            () => h.source.status().consecutiveFailures === 0,
          );
        } finally {
          await h.source.close();
          await h.cleanup();
        }
      },
    );

    it(
      'changes applied to the first snapshot give the records of a fresh one',
      { skip: skips.changes ?? false },
      async () => {
        const h = await make();
        try {
          const first = nextEvent<[StateSnapshot<S>]>(h.source, 'snapshot', 20000);
          const changes: RecordChange[] = [];
          h.source.on('change', (c) => changes.push(c));
          h.source.start();
          const [snap] = await first;
          const store = storeOf(h, snap);
          h.source.on('change', (c) => store.apply(c));
          for (const c of changes) store.apply(c);
          const before = zone(store.view!);
          await h.change!();
          // The change arrives as changes (never as a new snapshot), and the records they
          // leave equal a rebuild from the origin's current state.
          await waitFor(
            'the change applied',
            async () => {
              const want = zone(storeOf(h, await h.truth!()).view!);
              const got = zone(store.view!);
              return JSON.stringify(got) === JSON.stringify(want) && got.join() !== before.join();
            },
            20000,
            100,
          );
          assert.ok(changes.length > 0, 'changes were emitted');
        } finally {
          await h.source.close();
          await h.cleanup();
        }
      },
    );

    it('emits nothing after close()', async () => {
      const h = await make();
      try {
        const first = nextEvent(h.source, 'snapshot', 20000);
        h.source.start();
        await first;
        await h.source.close();
        let events = 0;
        h.source.on('snapshot', () => events++);
        h.source.on('change', () => events++);
        h.source.on('failure', () => events++);
        h.source.on('discarded', () => events++);
        h.poke?.();
        await h.change?.();
        // Several refresh intervals' worth of activity, each checked for silence.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(events, 0);
      } finally {
        await h.cleanup();
      }
    });
  });
}
