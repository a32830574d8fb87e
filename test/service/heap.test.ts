// collectAfterLoad: after a big load a major collection gives the garbage back; small loads skip
// it. Measured by the heap in use before and after, not by time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
