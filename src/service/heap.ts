// After a big state load the old record set, the parsed document and the build's garbage sit in
// V8's old generation until the heap grows past its next limit, which a steady DNS server may not
// do for a long time: at 50,000 tasks RSS stayed ~100 MiB above what is live. One major
// collection right after the swap gives it back (measured: RSS 385 → 278 MiB; one pause of ~150 ms
// per full load of that size, shorter than the load's own JSON.parse). Small loads skip it.
import v8 from 'node:v8';
import vm from 'node:vm';

/** Loads with fewer tasks than this leave little garbage: no collection. */
export const COLLECT_FROM_TASKS = 10_000;

type Gc = (opts: { type: 'major' | 'minor'; execution: 'async' }) => unknown;
let gc: Gc | false | undefined;

/** V8 gives the young generation's pages back (semi-spaces 2 × 16 MiB after a load, ~1 MiB for an
 *  idle server) only at a collection that finds the allocation rate of its last ~5 s low. Right
 *  after a load it is not, so one young collection follows this much later. Measured at 50,000
 *  tasks: new space 32 → 1 MiB, RSS ~30 MiB lower. */
export const SHRINK_YOUNG_AFTER_MS = 6_000;
let shrinkTimer: NodeJS.Timeout | undefined;

/** V8's gc() without exposing it globally (a new context gets it once the flag is set); false
 *  where the runtime refuses. */
function gcFunction(): Gc | false {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const f: unknown = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
      gc = typeof f === 'function' ? (f as Gc) : false;
    } catch {
      gc = false;
    }
  }
  return gc;
}

/** Starts a major collection after a full load of `tasks` tasks; resolves when it is done
 *  (at once when skipped or unavailable), and a young collection `shrinkAfterMs` after it
 *  (unref'd; the next load's call replaces it). Never throws. */
export async function collectAfterLoad(
  tasks: number,
  shrinkAfterMs = SHRINK_YOUNG_AFTER_MS,
): Promise<boolean> {
  if (tasks < COLLECT_FROM_TASKS) return false;
  const run = gcFunction();
  if (!run) return false;
  clearTimeout(shrinkTimer);
  // Compacting: a full collection alone frees objects but keeps the pages they were spread over
  // (at 50,000 tasks old space stayed 149 MiB for 99 MiB in use); moving the survivors together
  // gives those pages back. V8 reads the flag when the collection starts.
  // First a plain one: compacting while the load's garbage is still there copied the survivors
  // next to it (peak RSS 337 -> 467 MiB at 50,000 tasks).
  try {
    await run({ type: 'major', execution: 'async' });
  } catch {
    return false;
  }
  const compact = setFlag('--compact-on-every-full-gc');
  try {
    await run({ type: 'major', execution: 'async' });
  } catch {
    return false;
  } finally {
    if (compact) setFlag('--no-compact-on-every-full-gc');
  }
  // Counted from the end of these collections (seconds at 200,000 tasks): V8 looks back ~5 s.
  clearTimeout(shrinkTimer);
  shrinkTimer = setTimeout(() => {
    shrinkTimer = undefined;
    // An async gc() returns a promise: a refusal arrives as a rejection, not a throw. V8 then
    // shrinks on its own at a later quiet collection.
    Promise.resolve()
      .then(() => run({ type: 'minor', execution: 'async' }))
      .catch(() => undefined);
  }, shrinkAfterMs);
  shrinkTimer.unref();
  return true;
}

function setFlag(flag: string): boolean {
  try {
    v8.setFlagsFromString(flag);
    return true;
  } catch {
    return false;
  }
}
