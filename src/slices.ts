// Long synchronous jobs (a 50,000-task state parsed into the model, its records built) written as
// generators that yield between items, run either at once or in slices of a few milliseconds with
// the event loop turning in between, so DNS keeps answering while they run.

/** Milliseconds of work per slice: short enough that a query waits at most about this long. */
export const SLICE_MS = 10;

/** inSlices reads the clock once every this many steps (a power of two): fewer steps never
 *  pause. */
export const STEPS_PER_CLOCK = 32;

/** Runs `steps` to the end at once and returns its result. */
export function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs `steps` to the end in slices of about `sliceMs` (0: yield every STEPS_PER_CLOCK steps),
 *  letting the event loop run (setImmediate) between slices; resolves with its result. Rejects with
 *  `signal.reason` at the first pause after `signal` is aborted (the work is abandoned). */
export async function inSlices<T>(
  steps: Generator<void, T>,
  sliceMs = SLICE_MS,
  signal?: AbortSignal,
): Promise<T> {
  let start = performance.now();
  let n = 0;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    // The clock read costs more than a step: look at it every few steps.
    if ((++n & (STEPS_PER_CLOCK - 1)) !== 0 || performance.now() - start < sliceMs) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    start = performance.now();
  }
}
