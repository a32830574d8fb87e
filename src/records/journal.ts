// The zone journal behind AXFR/IXFR: a copy of the served zone's records as of its last serial,
// and the differences of the last `history` serials. sync(view) compares the live view with the
// copy (every name, so every kind of change — a task, an agent, a state snapshot, a ServerSet —
// is caught the same way); syncNames(view, names) compares only the names a stream change
// touched. When anything differs it takes a new serial and records the step.
// Transfers read the copy, never the live view: a transfer in progress registers a reader, and
// sync() hands it the old text of every name it changes, so the reader sees exactly one serial
// however long it takes to stream.
//
// Only the forward zone is journalled (A, AAAA, SRV under `domain`); PTR records live in the
// reverse zones, which Beacon does not transfer. The apex SOA and NS are made by the transfer.
import {
  eachName,
  type NameRecords,
  type RecordSet,
  type SrvData,
  type ZoneInfo,
} from './types.js';
import { clockSerial, serialAdd, serialGt, SERIAL_UNIT_MS } from './serial.js';

/** The journal's copy of one name's records: the IP alone for the most common case (one A
 *  record), else copies of the arrays (their elements are immutable strings and SrvData). */
export type RecordsCopy =
  string | { a: readonly string[]; aaaa: readonly string[]; srv: readonly SrvData[] };

function copyOf(r: NameRecords): RecordsCopy | undefined {
  if (r.a.length === 1 && r.aaaa.length === 0 && r.srv.length === 0) return r.a[0];
  if (r.a.length === 0 && r.aaaa.length === 0 && r.srv.length === 0) return undefined;
  return { a: r.a.slice(), aaaa: r.aaaa.slice(), srv: r.srv.slice() };
}

function sameStrings(x: readonly string[], y: readonly string[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when `r` holds exactly the records of `c`, in the same order (a reordering counts as a
 *  change; its step is then empty and takes no serial). No allocation. */
function same(c: RecordsCopy | undefined, r: NameRecords | undefined): boolean {
  if (!r) return c === undefined;
  if (typeof c === 'string')
    return r.a.length === 1 && r.a[0] === c && r.aaaa.length === 0 && r.srv.length === 0;
  if (c === undefined) return r.a.length === 0 && r.aaaa.length === 0 && r.srv.length === 0;
  if (!sameStrings(c.a, r.a) || !sameStrings(c.aaaa, r.aaaa) || c.srv.length !== r.srv.length)
    return false;
  for (let i = 0; i < c.srv.length; i++) {
    const x = c.srv[i];
    const y = r.srv[i];
    if (
      x !== y &&
      (x.port !== y.port ||
        x.target !== y.target ||
        x.weight !== y.weight ||
        x.priority !== y.priority)
    )
      return false;
  }
  return true;
}

/** The records of a copy, as NameRecords (no PTR: the forward zone only). */
export function recordsOf(c: RecordsCopy): NameRecords {
  return typeof c === 'string'
    ? { a: [c], aaaa: [], srv: [], ptr: [] }
    : { a: c.a as string[], aaaa: c.aaaa as string[], srv: c.srv as SrvData[], ptr: [] };
}

/** One serial's change: records removed and added, as [owner, rr line] (see rrText). */
export interface ZoneStep {
  from: number;
  to: number;
  del: [string, string][];
  add: [string, string][];
}

/** A consistent view of the zone at one serial, for a transfer. release() when done. */
export interface ZoneSnapshot {
  readonly serial: number;
  /** Owner names at that serial (a copy of the key list: pointers only, the strings are shared). */
  readonly names: readonly string[];
  /** The records of a name at that serial, or undefined. */
  get(name: string): RecordsCopy | undefined;
  release(): void;
}

interface Reader {
  pre: Map<string, RecordsCopy | undefined>;
}

export interface JournalOptions {
  /** Serials of differences kept for IXFR (`ixfrHistory`). */
  history: number;
  /** Wall clock, ms (tests). */
  now?: () => number;
}

/** The rr lines of one name's A/AAAA/SRV records, sorted and '\n'-joined ('' when none). */
export function rrText(r: NameRecords | undefined): string {
  if (!r) return '';
  const lines: string[] = [];
  for (const ip of r.a) lines.push(`A ${ip}`);
  for (const ip of r.aaaa) lines.push(`AAAA ${ip}`);
  for (const s of r.srv) lines.push(`SRV ${s.priority} ${s.weight} ${s.port} ${s.target}`);
  if (lines.length > 1) lines.sort();
  // Duplicates would be one RR on a secondary: keep them out of the copy too.
  return lines.filter((l, i) => i === 0 || l !== lines[i - 1]).join('\n');
}

/** A name whose records differ from the copy: [owner, the copy's, the view's]. */
type Changed = [string, RecordsCopy | undefined, NameRecords | undefined];

export class ZoneJournal {
  readonly domain: string;
  private readonly apex: string;
  private readonly suffix: string;
  private readonly rrs = new Map<string, RecordsCopy>();
  private rrCount = 0;
  private steps: ZoneStep[] = [];
  private stepLines = 0;
  private cur: number | undefined;
  private lastSyncAt = -Infinity;
  /** The clock serial when the journal was made. A Beacon that stopped before it was made took
   *  no serial above this one, so the first serial must be above it (see waitMs). */
  private readonly floor: number;
  private readonly readers = new Set<Reader>();
  /** Callers of whenFirst() waiting for the first serial. */
  private firstWaiters: (() => void)[] = [];
  private readonly opts: Required<JournalOptions>;
  /** How often the clock had not moved past the serial when a new one was needed. */
  clockBehind = 0;

  constructor(domain: string, opts: JournalOptions) {
    this.domain = domain.toLowerCase().replace(/\.+$/, '');
    this.apex = `${this.domain}.`;
    this.suffix = `.${this.apex}`;
    this.opts = { now: Date.now, ...opts };
    this.floor = clockSerial(this.opts.now());
  }

  /** The serial of the copy; undefined before the first sync. */
  get serial(): number | undefined {
    return this.cur;
  }

  /** Records in the copy (A/AAAA/SRV). */
  get records(): number {
    return this.rrCount;
  }

  /** Serials of history held (IXFR can answer clients this many serials behind). */
  get historyLength(): number {
    return this.steps.length;
  }

  /** The SOA serial to show: the current one, or before the first, the floor (never above what
   *  the first serial will be, so a secondary never holds a serial ahead of ours). */
  get shownSerial(): number {
    return this.cur ?? this.floor;
  }

  /** Milliseconds until sync() may take a new serial: one per clock unit (see clockSerial), and
   *  the first only once the clock has left the unit the journal was made in — a Beacon
   *  restarted within the same tenth of a second would otherwise reuse its predecessor's last
   *  serial for different content. */
  waitMs(): number {
    const now = this.opts.now();
    if (this.cur === undefined)
      return serialGt(clockSerial(now), this.floor) ? 0 : SERIAL_UNIT_MS - (now % SERIAL_UNIT_MS);
    return Math.max(0, this.lastSyncAt + SERIAL_UNIT_MS - now);
  }

  private inZone(name: string): boolean {
    return name === this.apex || name.endsWith(this.suffix);
  }

  /**
   * Brings the copy up to `view`. Returns true when anything changed (a new serial was taken). The
   * first call takes the initial serial. Cost: one pass over the view's names.
   */
  sync(view: RecordSet): boolean {
    const changed: Changed[] = [];
    let seen = 0;
    let added = 0;
    eachName(view, (name, r) => {
      if (!this.inZone(name)) return;
      if (r.a.length === 0 && r.aaaa.length === 0 && r.srv.length === 0) return;
      seen++;
      const old = this.rrs.get(name);
      if (old === undefined) added++;
      if (!same(old, r)) changed.push([name, old, r]);
    });
    // Names gone from the view: only looked for when the counts say some are.
    if (this.rrs.size + added !== seen) {
      for (const [name, old] of this.rrs) {
        const r = view.get(name);
        if (!r || (r.a.length === 0 && r.aaaa.length === 0 && r.srv.length === 0))
          changed.push([name, old, undefined]);
      }
    }
    return this.commit(changed);
  }

  /**
   * Like sync(), comparing only `names` (the owners a change touched; RecordStore.takeTouched):
   * the cost follows the change, not the zone. The first sync must be a whole one.
   */
  syncNames(view: RecordSet, names: Iterable<string>): boolean {
    if (this.cur === undefined) return this.sync(view);
    const changed: Changed[] = [];
    for (const name of names) {
      if (!this.inZone(name)) continue;
      const got = view.get(name);
      const r = got && got.a.length + got.aaaa.length + got.srv.length > 0 ? got : undefined;
      const old = this.rrs.get(name);
      if (!same(old, r)) changed.push([name, old, r]);
    }
    return this.commit(changed);
  }

  private commit(changed: Changed[]): boolean {
    const now = this.opts.now();
    const first = this.cur === undefined;
    // Too early for the first serial (see waitMs): nothing taken, the caller comes back.
    if (first && !serialGt(clockSerial(now), this.floor)) return false;
    if (!first && changed.length === 0) return false;
    const del: [string, string][] = [];
    const add: [string, string][] = [];
    if (first) {
      // The initial copy: no step to record.
      for (const [name, , r] of changed) {
        const next = r ? copyOf(r) : undefined;
        if (next === undefined) continue;
        this.rrs.set(name, next);
        this.rrCount += r!.a.length + r!.aaaa.length + r!.srv.length;
      }
      changed.length = 0;
    }
    for (const [name, old, r] of changed) {
      const next = r ? copyOf(r) : undefined;
      for (const reader of this.readers) if (!reader.pre.has(name)) reader.pre.set(name, old);
      const before = old === undefined ? [] : rrText(recordsOf(old)).split('\n');
      const after = next === undefined ? [] : rrText(recordsOf(next)).split('\n');
      const keep = new Set(after);
      const had = new Set(before);
      for (const l of before) if (!keep.has(l)) del.push([name, l]);
      for (const l of after) if (!had.has(l)) add.push([name, l]);
      this.rrCount += after.length - before.length;
      if (next !== undefined) this.rrs.set(name, next);
      else this.rrs.delete(name);
    }
    // Reordered records only: the copy follows, the zone did not change.
    if (!first && del.length === 0 && add.length === 0) return false;
    const from = this.cur;
    let to = clockSerial(now);
    if (from !== undefined && !serialGt(to, from)) {
      this.clockBehind++;
      to = serialAdd(from, 1);
    }
    this.cur = to;
    this.lastSyncAt = now;
    if (first) {
      for (const done of this.firstWaiters.splice(0)) done();
      return true;
    }
    const step: ZoneStep = { from: from!, to, del, add };
    this.steps.push(step);
    this.stepLines += del.length + add.length;
    // Bounded history: `history` serials, and never more lines than the zone itself has (past
    // that, a full transfer is smaller than the differences).
    while (
      this.steps.length > 0 &&
      (this.steps.length > this.opts.history || this.stepLines > this.rrCount + 1000)
    ) {
      const s = this.steps.shift()!;
      this.stepLines -= s.del.length + s.add.length;
    }
    return true;
  }

  /** Resolves true once the journal has its first serial (at once when it has one), false
   *  after `ms` without: a transfer asked for in the first tenth of a second waits for it. */
  whenFirst(ms: number): Promise<boolean> {
    if (this.cur !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = this.firstWaiters.indexOf(done);
        if (i >= 0) this.firstWaiters.splice(i, 1);
        resolve(false);
      }, ms);
      this.firstWaiters.push(done);
    });
  }

  /** The steps from `serial` to the current one; [] when `serial` is current (or newer: RFC 1995
   *  §2 answers with the SOA alone); undefined when the history does not reach back to it. */
  stepsSince(serial: number): ZoneStep[] | undefined {
    const cur = this.cur;
    if (cur === undefined) return undefined;
    if (serial === cur || serialGt(serial, cur)) return [];
    const i = this.steps.findIndex((s) => s.from === serial);
    return i < 0 ? undefined : this.steps.slice(i);
  }

  /** A consistent view of the copy at the current serial (undefined before the first sync). */
  snapshot(): ZoneSnapshot | undefined {
    if (this.cur === undefined) return undefined;
    const reader: Reader = { pre: new Map() };
    this.readers.add(reader);
    const rrs = this.rrs;
    return {
      serial: this.cur,
      names: [...rrs.keys()],
      get: (name) => (reader.pre.has(name) ? reader.pre.get(name) : rrs.get(name)),
      release: () => {
        this.readers.delete(reader);
      },
    };
  }

  /** A new `ixfrHistory` (a reload); applies from the next change. */
  setHistory(n: number): void {
    this.opts.history = n;
  }

  /** Transfers in progress. */
  get activeReaders(): number {
    return this.readers.size;
  }

  /** `view` with the SOA serial of this journal, so a secondary's SOA query sees the serial a
   *  transfer would give it (before the first sync, the floor: never the store's own scheme). */
  view(base: RecordSet): RecordSet {
    return new SerialView(base, this);
  }
}

/** A RecordSet answering from `base`, with the journal's serial in its zone. */
class SerialView implements RecordSet {
  private cache: { base: ZoneInfo; serial: number; mine: number; zone: ZoneInfo } | undefined;
  constructor(
    private readonly base: RecordSet,
    private readonly journal: ZoneJournal,
  ) {}

  get zone(): ZoneInfo {
    const z = this.base.zone;
    const mine = this.journal.shownSerial;
    const c = this.cache;
    if (!c || c.base !== z || c.serial !== z.soa.serial || c.mine !== mine) {
      this.cache = {
        base: z,
        serial: z.soa.serial,
        mine,
        zone: { ...z, soa: { ...z.soa, serial: mine } },
      };
    }
    return this.cache!.zone;
  }
  each(f: (name: string, records: NameRecords) => void): void {
    eachName(this.base, f);
  }
  get(name: string): NameRecords | undefined {
    return this.base.get(name);
  }
  exists(name: string): boolean {
    return this.base.exists(name);
  }
  names(): IterableIterator<string> {
    return this.base.names();
  }
  counts() {
    return this.base.counts();
  }
}
