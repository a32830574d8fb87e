// collectAfterLoad: after a big load a major collection gives the garbage back; small loads skip
// it. Measured by the heap in use before and after, not by time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
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
  assert.equal(await collectAfterLoad(COLLECT_FROM_TASKS, 5_500), true);
  // V8 itself keeps them while its recent allocation rate is high: no shrink before the timer.
  await new Promise((r) => setTimeout(r, 4_000));
  assert.ok(
    young() >= grown,
    `young generation ${young()} before the timer, ${grown} after the load`,
  );
  const deadline = Date.now() + 8_000;
  while (young() >= grown / 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  assert.ok(young() < grown / 2, `young generation ${young()} bytes, ${grown} after the load`);
});
