// The zone journal behind AXFR/IXFR: a copy of the served zone's records as of its last serial,
// and the differences of the last `history` serials. sync(view) compares the live view with the
// copy (every name, so every kind of change — a task, an agent, a state snapshot, a ServerSet —
// is caught the same way) and, when anything differs, takes a new serial and records the step.
// Transfers read the copy, never the live view: a transfer in progress registers a reader, and
// sync() hands it the old text of every name it changes, so the reader sees exactly one serial
// however long it takes to stream.
//
// Only the forward zone is journalled (A, AAAA, SRV under `domain`); PTR records live in the
// reverse zones, which Beacon does not transfer. The apex SOA and NS are made by the transfer.
import type { NameRecords, RecordSet, ZoneInfo } from './types.js';
import { clockSerial, serialAdd, serialGt, SERIAL_UNIT_MS } from './serial.js';

/** One serial's change: records removed and added, as [owner, rr line] (see rrLines). */
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
  /** The rr lines of a name at that serial ('\n'-separated), or undefined. */
  text(name: string): string | undefined;
  release(): void;
}

interface Reader {
  pre: Map<string, string | undefined>;
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

export class ZoneJournal {
  readonly domain: string;
  private readonly apex: string;
  private readonly suffix: string;
  private readonly rrs = new Map<string, string>();
  private rrCount = 0;
  private steps: ZoneStep[] = [];
  private stepLines = 0;
  private cur: number | undefined;
  private lastSyncAt = -Infinity;
  private readonly readers = new Set<Reader>();
  private readonly opts: Required<JournalOptions>;
  /** How often the clock had not moved past the serial when a new one was needed. */
  clockBehind = 0;

  constructor(domain: string, opts: JournalOptions) {
    this.domain = domain.toLowerCase().replace(/\.+$/, '');
    this.apex = `${this.domain}.`;
    this.suffix = `.${this.apex}`;
    this.opts = { now: Date.now, ...opts };
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

  /** Milliseconds until sync() may take a new serial (one per clock unit; see clockSerial). */
  waitMs(): number {
    return Math.max(0, this.lastSyncAt + SERIAL_UNIT_MS - this.opts.now());
  }

  private inZone(name: string): boolean {
    return name === this.apex || name.endsWith(this.suffix);
  }

  /**
   * Brings the copy up to `view`. Returns true when anything changed (a new serial was taken). The
   * first call takes the initial serial. Cost: one pass over the view's names.
   */
  sync(view: RecordSet): boolean {
    const now = this.opts.now();
    const changed: [string, string | undefined, string | undefined][] = [];
    let seen = 0;
    for (const name of view.names()) {
      if (!this.inZone(name)) continue;
      const text = rrText(view.get(name));
      if (text === '') continue;
      seen++;
      const old = this.rrs.get(name);
      if (old !== text) changed.push([name, old, text]);
    }
    // Names gone from the view: only looked for when the counts say some are.
    let present = 0;
    for (const c of changed) if (c[1] === undefined) present++;
    if (this.rrs.size + present !== seen) {
      for (const name of this.rrs.keys()) {
        if (rrText(view.get(name)) === '') changed.push([name, this.rrs.get(name), undefined]);
      }
    }
    const first = this.cur === undefined;
    if (!first && changed.length === 0) return false;
    const from = this.cur;
    let to = clockSerial(now);
    if (from !== undefined && !serialGt(to, from)) {
      this.clockBehind++;
      to = serialAdd(from, 1);
    }
    const step: ZoneStep = { from: from ?? to, to, del: [], add: [] };
    for (const [name, old, text] of changed) {
      for (const r of this.readers) if (!r.pre.has(name)) r.pre.set(name, old);
      const before = old ? old.split('\n') : [];
      const after = text ? text.split('\n') : [];
      const keep = new Set(after);
      const had = new Set(before);
      for (const l of before) if (!keep.has(l)) step.del.push([name, l]);
      for (const l of after) if (!had.has(l)) step.add.push([name, l]);
      this.rrCount += after.length - before.length;
      if (text) this.rrs.set(name, text);
      else this.rrs.delete(name);
    }
    this.cur = to;
    this.lastSyncAt = now;
    if (first) return true;
    this.steps.push(step);
    this.stepLines += step.del.length + step.add.length;
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
      text: (name) => (reader.pre.has(name) ? reader.pre.get(name) : rrs.get(name)),
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
   *  transfer would give it. Before the first sync the view's own zone is shown. */
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
    const mine = this.journal.serial;
    if (mine === undefined) return z;
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
