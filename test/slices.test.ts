// slices.ts: a generator run at once (drain) or in slices with the event loop turning between them
// (inSlices) gives the same result; an error thrown part-way reaches the caller either way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drain, inSlices } from '../src/slices.js';
import { countTurns } from './helpers/loop-turns.js';

function* count(n: number, failAt = -1): Generator<void, number> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error(`failed at ${i}`);
    sum += i;
    yield;
  }
  return sum;
}

test('drain runs a generator to its result at once', () => {
  assert.equal(drain(count(1000)), 499500);
  assert.throws(() => drain(count(10, 5)), /failed at 5/);
});

test('inSlices gives the same result and lets the event loop turn between slices', async () => {
  const stop = countTurns();
  // sliceMs 0: a pause every 32 steps, whatever the machine's speed.
  const result = await inSlices(count(3200), 0);
  const turns = stop();
  assert.equal(result, drain(count(3200)));
  assert.ok(turns >= 99, `the event loop turned ${turns} times (100 slices)`);
  await assert.rejects(inSlices(count(1000, 700), 0), /failed at 700/);
});
