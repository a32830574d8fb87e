// collectAfterLoad: after a big load a major collection gives the garbage back; small loads skip
// it. Measured by the heap in use before and after, not by time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { collectAfterLoad, COLLECT_FROM_TASKS } from '../../src/service/heap.js';

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
  const minors: number[] = [];
  let seen: (() => void) | undefined;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (
        (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR
      )
        minors.push(e.startTime);
    seen?.();
  });
  obs.observe({ entryTypes: ['gc'] });
  try {
    assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS, 5_500), true);
    // V8 itself keeps them after the load's own (major) collections: no shrink before the timer.
    assert.ok(
      young() >= grown,
      `young generation ${young()} before the timer, ${grown} after the load`,
    );
    // Each young collection is a chance to shrink; the timer's one comes ~5.5 s on (deadline 12 s).
    const deadline = Date.now() + 12_000;
    while (young() >= grown / 2 && Date.now() < deadline) {
      const n = minors.length;
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        seen = () => {
          if (minors.length > n) {
            clearTimeout(t);
            r();
          }
        };
      });
    }
    assert.ok(young() < grown / 2, `young generation ${young()} bytes, ${grown} after the load`);
  } finally {
    obs.disconnect();
  }
});
