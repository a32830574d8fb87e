// collectAfterLoad: after a big load a major collection gives the garbage back; small loads skip
// it. Measured by the heap in use before and after, not by time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import vm from 'node:vm';
import {
  collectAfterFailedRead,
  collectAfterLoad,
  collectAfterLoadSoon,
  cancelCollectAfterLoad,
  COLLECT_FROM_TASKS,
  compactHeap,
  Compactor,
  oldSpace,
} from '../../src/service/heap.js';

const tick = () => new Promise((r) => setImmediate(r));

/** V8's collections of one kind (`constants.NODE_PERFORMANCE_GC_*`) from now on: when each was
 *  seen, and `until(n, ms)`, which resolves once `n` were seen or `ms` passed (the caller then
 *  asserts what it got). */
function watchGc(kind: number) {
  const at: number[] = [];
  let seen: (() => void) | undefined;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as { detail?: { kind?: number } }).detail?.kind === kind) at.push(performance.now());
    seen?.();
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    at,
    until(n: number, ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(t);
          seen = undefined;
          resolve();
        };
        const t = setTimeout(done, ms);
        seen = () => {
          if (at.length >= n) done();
        };
        seen();
      });
    },
    stop: () => obs.disconnect(),
  };
}

test('a major collection after a big load gives garbage back; small loads skip it', async () => {
  assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS - 1), false, 'a small load: skipped');
  // Garbage of the shape a load leaves: many small objects and strings, old enough to have
  // left the young generation (the first collection keeps them: still referenced).
  let junk: { i: number; s: string }[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({
    i,
    s: `task-${i}-${'x'.repeat(i % 16)}`,
  }));
  assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS), true, 'gc is available');
  const before = process.memoryUsage().heapUsed;
  assert.equal(junk.length, 300_000);
  junk = undefined;
  assert.equal(await collectAfterLoad(50_000), true);
  const freed = before - process.memoryUsage().heapUsed;
  assert.ok(freed > 10 * 2 ** 20, `freed ${(freed / 2 ** 20).toFixed(1)} MiB`);
});

test('after a failed read the garbage is collected when the held heap grew, not when it did not', async () => {
  const held = () => v8.getHeapStatistics().total_heap_size;
  assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS), true, 'gc is available');
  const base = held();
  // A refused connection or a timeout: nothing read, no pause.
  assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS), false);
  assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS, () => base + 2 ** 20), false);
  // What a failed parse leaves: a document's worth of objects, old enough to sit in old space.
  let junk: { i: number; s: string }[] | undefined = Array.from({ length: 800_000 }, (_, i) => ({
    i,
    s: `task-${i}-${'y'.repeat(i % 24)}`,
  }));
  assert.equal(junk.length, 800_000);
  junk = undefined;
  const grown = held();
  assert.ok(
    grown - base > Math.max(32 * 2 ** 20, base / 4),
    `premise: the heap held grew ${((grown - base) / 2 ** 20).toFixed(1)} MiB`,
  );
  assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS), true);
  const after = held();
  assert.ok(
    grown - after > 32 * 2 ** 20,
    `gave back ${((grown - after) / 2 ** 20).toFixed(1)} MiB of ${((grown - base) / 2 ** 20).toFixed(1)}`,
  );
  // A small serving set: no collection whatever the heap did.
  assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS - 1, () => after + 2 ** 30), false);
});

test('a failed read that left the heap as it was gets one young collection (its bytes), a small set none', async () => {
  assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS), true, 'gc is available');
  const minors = watchGc(constants.NODE_PERFORMANCE_GC_MINOR);
  try {
    assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS - 1), false);
    await minors.until(1, 300);
    assert.equal(minors.at.length, 0, 'a small serving set: no collection');
    assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS), false, 'no major one');
    await minors.until(1, 2000);
    assert.ok(minors.at.length >= 1, 'one young collection');
  } finally {
    minors.stop();
  }
});

test('the collection after a load starts after a delay, once for loads in a row; small loads none', async () => {
  const gcs = watchGc(constants.NODE_PERFORMANCE_GC_MAJOR);
  const majors = gcs.at;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    collectAfterLoadSoon(COLLECT_FROM_TASKS - 1, 50);
    await wait(300);
    assert.equal(majors.length, 0, 'a small load: none');
    const t0 = performance.now();
    collectAfterLoadSoon(COLLECT_FROM_TASKS, 300);
    await wait(100);
    // A second load within the delay moves the first one's timer; a small one leaves it.
    collectAfterLoadSoon(COLLECT_FROM_TASKS, 300);
    collectAfterLoadSoon(COLLECT_FROM_TASKS - 1, 10);
    // Until it has run, the other collections leave the garbage to it.
    assert.equal(await compactHeap(), false, 'no compaction beside a load collection due');
    assert.equal(await collectAfterFailedRead(COLLECT_FROM_TASKS, () => 2 ** 40), false);
    await wait(150);
    assert.equal(majors.length, 0, 'nothing before the delay');
    await gcs.until(2, 2000);
    // One collection after a load is two major ones (plain, then compacting).
    assert.equal(
      majors.length,
      2,
      `majors at ${majors.map((m) => (m - t0).toFixed(0)).join(', ')} ms`,
    );
    assert.ok(majors[0]! - t0 >= 390, `the first at ${(majors[0]! - t0).toFixed(0)} ms`);
    // A closing service drops one not yet started.
    majors.length = 0;
    collectAfterLoadSoon(COLLECT_FROM_TASKS, 50);
    cancelCollectAfterLoad();
    await wait(300);
    assert.equal(majors.length, 0, 'cancelled');
  } finally {
    gcs.stop();
  }
});

test('a young collection some seconds after a big load gives the young generation back', async () => {
  const young = () =>
    v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
  // A load's allocation rate grows the semi-spaces to their maximum.
  let keep: { i: number; s: string }[] = [];
  for (let i = 0; i < 2_000_000; i++) {
    keep.push({ i, s: `name-${i}` });
    if (keep.length > 100_000) keep = [];
  }
  keep = [];
  const grown = young();
  // Young collections from here on, as they happen.
  const minors = watchGc(constants.NODE_PERFORMANCE_GC_MINOR);
  try {
    assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS, 5_500), true);
    // V8 itself keeps them after the load's own (major) collections: no shrink before the timer.
    assert.ok(
      young() >= grown,
      `young generation ${young()} before the timer, ${grown} after the load`,
    );
    // Each young collection is a chance to shrink; the timer's one comes ~5.5 s on (deadline 12 s).
    const deadline = Date.now() + 12_000;
    while (young() >= grown / 2 && Date.now() < deadline)
      await minors.until(minors.at.length + 1, deadline - Date.now());
    assert.ok(young() < grown / 2, `young generation ${young()} bytes, ${grown} after the load`);
  } finally {
    minors.stop();
  }
});

for (const plainFirst of [true, false])
  test(`compactHeap (plainFirst ${plainFirst}) gives back the old space pages that freed objects left half full`, async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const MiB = 2 ** 20;
    // Old objects (they survive full collections), then every other one let go: what a long
    // stream of changes leaves, the pages half full.
    let keep = Array.from({ length: 600_000 }, (_, i) => ({ i, s: `member-${i}` }));
    gc();
    gc();
    keep = keep.filter((_, i) => i % 2 === 0);
    gc();
    const before = oldSpace();
    // The premise: V8's own full collection keeps those pages.
    assert.ok(
      before.held - before.used > 15 * MiB,
      `after a plain collection V8 holds ${before.held} bytes for ${before.used} in use`,
    );
    assert.equal(await compactHeap({ plainFirst }), true);
    const after = oldSpace();
    assert.equal(keep.length, 300_000);
    assert.ok(
      after.held < before.held - 15 * MiB,
      `held ${before.held} -> ${after.held} bytes (${after.used} in use)`,
    );
  });

test('Compactor: while changes arrive, it compacts once the free room passes its share', async () => {
  let now = 0;
  let room = { held: 100, used: 90 };
  const calls: number[] = [];
  let finish: ((done: boolean) => void) | undefined;
  const c = new Compactor({
    checkMs: 1000,
    ratio: 0.25,
    minRoom: 20,
    now: () => now,
    room: () => room,
    compact: () => {
      calls.push(now);
      return new Promise<boolean>((r) => (finish = r));
    },
  });
  c.changed();
  assert.deepEqual(calls, [], 'no look before checkMs');
  now = 1000;
  c.changed();
  assert.deepEqual(calls, [], 'room 10 ≤ max(20, 22.5): kept');
  room = { held: 200, used: 120 };
  now = 1500;
  c.changed();
  assert.deepEqual(calls, [], 'the next look waits checkMs from the last');
  now = 2000;
  c.changed();
  await tick();
  assert.deepEqual(calls, [2000], 'room 80 > 30: compacted');
  now = 9000;
  c.changed();
  assert.deepEqual(calls, [2000], 'never two at once');
  room = { held: 130, used: 120 };
  finish!(true);
  await tick();
  assert.equal(c.compactions, 1);
  room = { held: 200, used: 120 };
  now = 9500;
  c.changed();
  assert.deepEqual(calls, [2000], 'counted from the end of the last compaction');
  now = 10_000;
  c.changed();
  await tick();
  assert.deepEqual(calls, [2000, 10_000], 'still fragmented: again');
  finish!(false);
  await tick();
  assert.equal(c.compactions, 1, 'a refused gc() is not counted');
});

/** A Compactor (checkMs 1 s) on a fake clock whose old space always holds twice what is in use. */
function roomyCompactor(clock: { now: number }, compact: () => Promise<boolean>): Compactor {
  return new Compactor({
    checkMs: 1000,
    ratio: 0.25,
    minRoom: 0,
    now: () => clock.now,
    room: () => ({ held: 200, used: 100 }),
    compact,
  });
}

test('Compactor: while compacting leaves the room above the threshold, it looks less often', async () => {
  const clock = { now: 0 };
  const calls: number[] = [];
  const c = roomyCompactor(clock, () => {
    calls.push(clock.now);
    return Promise.resolve(true);
  });
  // One change every 500 ms for 40 s.
  for (clock.now = 500; clock.now <= 40_000; clock.now += 500) {
    c.changed();
    await tick();
  }
  assert.deepEqual(
    calls,
    [1000, 3000, 7000, 15_000, 23_000, 31_000, 39_000],
    '1, 2, 4, 8, 8 ... × checkMs',
  );
  assert.equal(c.compactions, 7);
});

test('Compactor: a compaction that throws or rejects is not counted and does not stop the next', async () => {
  const clock = { now: 0 };
  let mode: 'throw' | 'reject' | 'ok' = 'throw';
  const c = roomyCompactor(clock, () => {
    if (mode === 'throw') throw new Error('refused');
    if (mode === 'reject') return Promise.reject(new Error('refused'));
    return Promise.resolve(true);
  });
  for (const m of ['throw', 'reject', 'ok'] as const) {
    mode = m;
    clock.now += 1000;
    assert.doesNotThrow(() => c.changed());
    await tick();
  }
  assert.equal(c.compactions, 1, 'only the one that worked');
});

test("one collection at a time in the process: a second beside it is skipped, a load's waits", async () => {
  assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS), true, 'gc is available');
  const both = await Promise.all([compactHeap(), compactHeap()]);
  assert.deepEqual(both, [true, false], 'the second found the first running');
  const running = compactHeap({ plainFirst: false });
  const load = collectAfterLoad(COLLECT_FROM_TASKS);
  assert.equal(
    await collectAfterFailedRead(COLLECT_FROM_TASKS, () => 2 ** 40),
    false,
    'skipped while one runs',
  );
  assert.deepEqual([await running, await load], [true, true], "the load's ran after");
});
