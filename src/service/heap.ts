// After a big state load the old record set, the parsed document and the build's garbage sit in
// V8's old generation until the heap grows past its next limit, which a steady DNS server may not
// do for a long time: at 50,000 tasks RSS stayed ~100 MiB above what is live. Collecting right
// after the swap gives it back (measured: RSS 385 → 278 MiB; a plain major collection, then a
// compacting one, see compactWith). Small loads skip it. The same is done after a failed read of a
// big document (collectAfterFailedRead), and the Compactor keeps a stream of changes from
// spreading the old space thin. One collection runs at a time in the process.
import v8 from 'node:v8';
import vm from 'node:vm';
import { logger } from '../log.js';

const log = logger('heap');

/** Loads with fewer tasks than this leave little garbage: no collection. */
export const COLLECT_FROM_TASKS = 10_000;

type Gc = (opts: { type: 'major' | 'minor'; execution?: 'async' }) => unknown;
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

/** How long after a load its collection starts. The queries that waited for the load are
 *  answered first; the pause (~0.2 s at 50,000 tasks, seconds at 200,000) comes after them: at
 *  50,000 tasks the first answer after a start came ~0.17 s sooner (2.23–2.33 s against
 *  2.39–2.54 s). It moves the pause, it does not shorten it. */
export const COLLECT_AFTER_LOAD_DELAY_MS = 1000;

/** The load collection collectAfterLoadSoon has set up and not started. */
let pendingLoad: { timer: NodeJS.Timeout; tasks: number } | undefined;

/** collectAfterLoad `delayMs` from now (unref'd). A big load's call while one is pending moves it
 *  (one collection, for the larger of the two); a small load's leaves it as it is. Until it has
 *  run, a failed read's or the Compactor's collection waits for it (they return false). */
export function collectAfterLoadSoon(tasks: number, delayMs = COLLECT_AFTER_LOAD_DELAY_MS): void {
  if (tasks < COLLECT_FROM_TASKS) return;
  const most = Math.max(tasks, pendingLoad?.tasks ?? 0);
  cancelCollectAfterLoad();
  const timer = setTimeout(() => {
    pendingLoad = undefined;
    void collectAfterLoad(most);
  }, delayMs);
  timer.unref();
  pendingLoad = { timer, tasks: most };
}

/** Drops a collection collectAfterLoadSoon has not started (the service is closing). */
export function cancelCollectAfterLoad(): void {
  clearTimeout(pendingLoad?.timer);
  pendingLoad = undefined;
}

/** Collects after a full load of `tasks` tasks (compactWith, after any collection already
 *  running); resolves when it is done (at once when skipped or unavailable), and a young
 *  collection `shrinkAfterMs` after it (unref'd; the next load's call replaces it). Never throws. */
export async function collectAfterLoad(
  tasks: number,
  shrinkAfterMs = SHRINK_YOUNG_AFTER_MS,
): Promise<boolean> {
  if (tasks < COLLECT_FROM_TASKS) return false;
  const run = gcFunction();
  if (!run) return false;
  clearTimeout(shrinkTimer);
  // A load's garbage must go: wait for a collection already running, then collect.
  while (inFlight) await inFlight;
  if (!(await exclusive(() => compactWith(run)))) return false;
  heldAfterCollect = heapHeld();
  // Counted from the end of these collections (seconds at 200,000 tasks): V8 looks back ~5 s.
  shrinkYoungLater(run, shrinkAfterMs);
  return true;
}

/** One young collection `ms` from now (replacing one already due): the young generation's pages
 *  go back once the allocation rate has been low for a while. */
function shrinkYoungLater(run: Gc, ms: number): void {
  clearTimeout(shrinkTimer);
  shrinkTimer = setTimeout(() => {
    shrinkTimer = undefined;
    youngCollection(run);
  }, ms);
  shrinkTimer.unref();
}

/** One young collection now, synchronously (~1 ms while the young generation holds little);
 *  never throws. The stream source runs it while it reads a big record (StreamSourceOptions
 *  .collectYoung), so the socket's read buffers that died young are freed as it goes. */
export function collectYoungNow(): void {
  const run = gcFunction();
  if (!run) return;
  try {
    run({ type: 'minor' });
  } catch {
    // Refused: V8 collects on its own later.
  }
}

/** Starts one young collection; never throws. An async gc() returns a promise: a refusal
 *  arrives as a rejection, not a throw (V8 then does it on its own later). */
function youngCollection(run: Gc): void {
  Promise.resolve()
    .then(() => run({ type: 'minor', execution: 'async' }))
    .catch(() => undefined);
}

/** The collection running now. One at a time in the process: a second beside it would double
 *  the pause, and the compacting flag it sets is the whole process's. */
let inFlight: Promise<boolean> | undefined;

/** A collection of this module runs, or a load's is due: another one now would do its work
 *  twice. */
function collecting(): boolean {
  return inFlight !== undefined || pendingLoad !== undefined;
}

/** Runs `collect` as the process's one collection. */
function exclusive(collect: () => Promise<boolean>): Promise<boolean> {
  const p = collect().finally(() => {
    if (inFlight === p) inFlight = undefined;
  });
  inFlight = p;
  return p;
}

/** What V8 held once the last collection after a load ended (bytes); undefined before one. */
let heldAfterCollect: number | undefined;

function heapHeld(): number {
  return v8.getHeapStatistics().total_heap_size;
}

/**
 * After a failed read of the state document (cut short, not JSON, not a state): what it had read
 * and parsed is garbage of a load's size, which V8 keeps as it keeps a load's (measured at
 * 200,000 tasks, a master serving the document truncated half-way: RSS rested at 554 MiB between
 * failed reads, against 441 after the good load). Collected as after a load of `tasks` tasks (the
 * serving set's, the size the document had), but only when the heap V8 holds grew past what the
 * last collection left by more than a quarter (at least 32 MiB): a refused connection or a
 * timeout reads nothing, and an outage must not cost a pause per retry.
 */
export function collectAfterFailedRead(
  tasks: number,
  held: () => number = heapHeld,
): Promise<boolean> {
  // A load's collection still to come covers this read's garbage too.
  if (heldAfterCollect === undefined || collecting()) return Promise.resolve(false);
  if (!pastRoom(held() - heldAfterCollect, heldAfterCollect)) {
    // Little was parsed (a document cut short is turned away before its parse), but the bytes
    // read are outside the heap (fetch-state hands them to a young object): one young collection
    // of a few milliseconds lets them go, where V8 would wait for a major one.
    const run = tasks >= COLLECT_FROM_TASKS ? gcFunction() : false;
    if (run) youngCollection(run);
    return Promise.resolve(false);
  }
  return collectAfterLoad(tasks);
}

/** A compacting major collection (V8's `--compact-on-every-full-gc` set for its duration only):
 *  the survivors move together and the emptied pages go back. `plainFirst`: a plain one before. */
async function compactWith(run: Gc, plainFirst = true): Promise<boolean> {
  // A full collection alone frees objects but keeps the pages they were spread over (at 50,000
  // tasks old space stayed 149 MiB for 99 MiB in use); moving the survivors together gives those
  // pages back. V8 reads the flag when the collection starts.
  // After a load a plain one first: compacting while the load's garbage is still there copied the
  // survivors next to it (peak RSS 337 -> 467 MiB at 50,000 tasks). A stream's changes leave
  // little garbage; there one collection is half the pause.
  if (plainFirst) {
    try {
      await run({ type: 'major', execution: 'async' });
    } catch {
      return false;
    }
  }
  const compact = setFlag('--compact-on-every-full-gc');
  try {
    await run({ type: 'major', execution: 'async' });
  } catch {
    return false;
  } finally {
    if (compact) setFlag('--no-compact-on-every-full-gc');
  }
  return true;
}

/** The old space: what V8 holds for it and what is in it (live or not yet collected), bytes. */
export function oldSpace(): { held: number; used: number } {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
  return { held: s?.space_size ?? 0, used: s?.space_used_size ?? 0 };
}

/** How often a stream of changes has the old space looked at. */
export const COMPACT_CHECK_MS = 30_000;
/** Free room V8 may keep in the old space before it is compacted: this share of what is in use,
 *  and at least COMPACT_MIN_ROOM. */
export const COMPACT_ROOM_RATIO = 0.25;
export const COMPACT_MIN_ROOM = 32 * 2 ** 20;

/** Whether `room` bytes beyond `base` are more than V8 may keep: `ratio` of base, at least
 *  `minRoom`. The one threshold of the Compactor and of collectAfterFailedRead. */
function pastRoom(
  room: number,
  base: number,
  ratio = COMPACT_ROOM_RATIO,
  minRoom = COMPACT_MIN_ROOM,
): boolean {
  return room > Math.max(minRoom, ratio * base);
}

export interface CompactorOptions {
  checkMs: number;
  ratio: number;
  minRoom: number;
  now: () => number;
  room: () => { held: number; used: number };
  /** Resolves true when it compacted. */
  compact: () => Promise<boolean>;
}

/**
 * Keeps RSS flat under a long stream of changes. Each change frees a few small objects here and
 * there; V8 reuses that room but does not give back pages that stay partly full, and only an idle
 * process gets V8's own memory reducer. Measured at 50,000 tasks and 200 changes/s: the heap in
 * use levelled off at ~174 MiB while the heap V8 held grew ~10 MiB/min (228 → 289 MiB in 6
 * min), RSS with it (RSS minus that stayed at 55-57 MiB). So, at most every `checkMs` while
 * changes arrive, the old space is looked at and compacted once its free room passes `ratio` of
 * what is in use (one pause: a compacting full collection).
 */
export class Compactor {
  compactions = 0;
  /** The longest compaction so far, ms (its collections pause the event loop). */
  longestMs = 0;
  private readonly o: CompactorOptions;
  private lastCheck: number;
  private busy = false;
  /** checkMs is multiplied by this: doubled (up to MAX_SPACING) while compacting leaves the room
   *  above the threshold, so a heap that does not compact costs no pause every checkMs. */
  private spacing = 1;
  private static readonly MAX_SPACING = 8;

  constructor(opts: Partial<CompactorOptions> = {}) {
    this.o = {
      checkMs: COMPACT_CHECK_MS,
      ratio: COMPACT_ROOM_RATIO,
      minRoom: COMPACT_MIN_ROOM,
      now: () => performance.now(),
      room: oldSpace,
      compact: () => compactHeap({ plainFirst: false }),
      ...opts,
    };
    this.lastCheck = this.o.now();
  }

  /** A change was applied; cheap unless a check is due. */
  changed(): void {
    if (this.busy) return;
    const t = this.o.now();
    if (t - this.lastCheck < this.o.checkMs * this.spacing) return;
    this.lastCheck = t;
    const { held, used } = this.o.room();
    if (!this.tooMuchRoom(held, used)) return;
    this.busy = true;
    // Through a promise: a compact that throws must not leave `busy` set.
    Promise.resolve()
      .then(() => this.o.compact())
      .then((done) => {
        if (!done) return;
        this.compactions++;
        const ms = this.o.now() - t;
        this.longestMs = Math.max(this.longestMs, ms);
        const MiB = 2 ** 20;
        const after = this.o.room();
        const sizes = {
          heldMiB: Math.round(held / MiB),
          usedMiB: Math.round(used / MiB),
          heldAfterMiB: Math.round(after.held / MiB),
          ms: Math.round(ms),
        };
        log.info(sizes, 'old space compacted (free room left by changes given back)');
        if (!this.tooMuchRoom(after.held, after.used)) this.spacing = 1;
        else if (this.spacing < Compactor.MAX_SPACING) {
          this.spacing *= 2;
          log.warn(
            { ...sizes, nextLookMs: this.o.checkMs * this.spacing },
            'old space still has much free room after compacting: looking less often',
          );
        }
      })
      .catch(() => undefined)
      .finally(() => {
        this.busy = false;
        // The next look is counted from the end of this one.
        this.lastCheck = this.o.now();
      });
  }

  private tooMuchRoom(held: number, used: number): boolean {
    return pastRoom(held - used, used, this.o.ratio, this.o.minRoom);
  }
}

/** Compacts the heap now (compactWith); false where the runtime refuses gc() or another
 *  collection of this module is running (it does the same work). Never throws. */
export async function compactHeap(opts: { plainFirst?: boolean } = {}): Promise<boolean> {
  const run = gcFunction();
  // While a load's collection is due, compacting now would copy the survivors beside the load's
  // garbage, and that collection follows anyway.
  if (!run || collecting()) return false;
  return exclusive(() => compactWith(run, opts.plainFirst ?? true));
}

function setFlag(flag: string): boolean {
  try {
    v8.setFlagsFromString(flag);
    return true;
  } catch {
    return false;
  }
}
