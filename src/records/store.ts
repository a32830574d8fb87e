// What DNS and the HTTP API serve: the state's record set with the ServerSet records laid over
// it. Snapshots replace one side in a single assignment (Mesos-DNS's Reload property: build the
// new set, swap it in one place, keep the old one when building fails); changes apply in place,
// synchronously. Every source feeds the store the same way: snapshots and RecordChanges.
import type { MesosState } from '../model/mesos-state.js';
import { inSlices, SLICE_MS } from '../slices.js';
import { applyStateChange, type RecordChange } from './changes.js';
import type { RecordsConfig } from './config.js';
import { EarlySet } from './early-set.js';
import { EarlyView } from './early-view.js';
import { MemRecordSet } from './mem-record-set.js';
import { OverlayRecordSet } from './overlay.js';
import type { ServersetRecord } from './serverset-records.js';
import type { RecordSet } from './types.js';

/** Changed names kept for the zone journal before it falls back to comparing every name. */
const TOUCHED_MAX = 100_000;

export class RecordStore {
  private stateSet: MemRecordSet | undefined;
  private readonly overlay: OverlayRecordSet;
  private serial = 0;
  /** Owner names changed since takeTouched() last ran, or 'all' after a snapshot (and at first). */
  private touched: Set<string> | 'all' = 'all';
  /** State changes applied while a sliced load builds (loadStateSliced), to apply again. */
  private meanwhile: RecordChange[] | undefined;

  /** A store that replaces another (a reload) continues its serials: see continueAfter. */
  constructor(private readonly config: RecordsConfig) {
    this.overlay = new OverlayRecordSet(new MemRecordSet(config), config.srvWeight);
  }

  /** The served domain (lowercase, no trailing dot). */
  get domain(): string {
    return this.config.domain;
  }

  /** The state's records (undefined before the first state snapshot). */
  get state(): MemRecordSet | undefined {
    return this.stateSet;
  }

  /** What DNS answers from: state and ServerSet records merged. Undefined before the first state
   *  snapshot (nothing is served before the first good load). */
  get view(): RecordSet | undefined {
    return this.stateSet ? this.overlay : undefined;
  }

  /**
   * Before the first state set is in, what answers the task names of `state` while its full
   * build runs: an EarlySet under the ServerSet records (EarlyView), with the serial that build
   * will be swapped in with. Undefined once a set serves (it answers until the new one is in).
   * The next swap, or a sliced load that fails, replaces it under the ServerSet records.
   */
  early(state: MesosState, fetchedAt: number): EarlyView | undefined {
    if (this.stateSet) return undefined;
    const early = new EarlySet(state, this.config, this.serialFor(fetchedAt));
    this.overlay.setBase(early);
    return new EarlyView(early, this.overlay);
  }

  /** Builds the records of a full state and swaps them in. Throws (keeping the old set) when
   *  building fails. `fetchedAt` seeds Mesos-DNS's serial (the generation time, in seconds),
   *  kept strictly increasing across snapshots. */
  loadState(state: MesosState, fetchedAt: number): MemRecordSet {
    const rs = new MemRecordSet(this.config);
    rs.loadState(state);
    return this.swapIn(rs, fetchedAt);
  }

  /**
   * loadState in slices of about `sliceMs` of work (0: every 32 tasks), yielding to the event
   * loop between them, so a 50,000-task build (seconds) does not stop DNS answers meanwhile. The
   * old set serves until the new one is complete and swapped in, as with loadState. State changes
   * that came after this snapshot must be applied to the new set too: those the caller saw before
   * the build started are passed as `replay`; those applied meanwhile are added to it; all are
   * applied again right after the swap (a failing one is handed to `onReplayError` and the rest
   * still apply). `signal` abandons the build (rejects with its reason; nothing is swapped).
   * One build at a time: the caller queues snapshots.
   */
  async loadStateSliced(
    state: MesosState,
    fetchedAt: number,
    opts: {
      sliceMs?: number;
      replay?: RecordChange[];
      signal?: AbortSignal;
      onReplayError?: (e: unknown, change: RecordChange) => void;
    } = {},
  ): Promise<MemRecordSet> {
    if (this.meanwhile) throw new Error('a sliced state load is already running');
    const rs = new MemRecordSet(this.config);
    const replay = opts.replay ?? [];
    this.meanwhile = replay;
    try {
      await inSlices(rs.loadSteps(state), opts.sliceMs ?? SLICE_MS, opts.signal);
    } catch (e) {
      // Nothing served yet: no EarlySet stays under the ServerSet records either.
      if (!this.stateSet) this.overlay.setBase(new MemRecordSet(this.config));
      throw e;
    } finally {
      this.meanwhile = undefined;
    }
    this.swapIn(rs, fetchedAt);
    for (const change of replay) {
      try {
        this.apply(change);
      } catch (e) {
        if (!opts.onReplayError) throw e;
        opts.onReplayError(e, change);
      }
    }
    return rs;
  }

  /** A reload's new store takes over from `prev` (the one served until now): its serial moves
   *  past every serial `prev` handed out, including those of changes made while this one built. */
  continueAfter(prev: RecordStore): void {
    const floor = Math.max(prev.serial, prev.stateSet?.zone.soa.serial ?? 0);
    this.serial = Math.max(this.serial, floor);
    const set = this.stateSet;
    if (set && set.zone.soa.serial <= floor) set.zone.soa.serial = floor + 1;
  }

  /** The swap of a complete new state set (both load paths). */
  private swapIn(rs: MemRecordSet, fetchedAt: number): MemRecordSet {
    rs.compact();
    const serial = this.serialFor(fetchedAt);
    rs.zone.soa.serial = serial;
    this.serial = serial;
    this.stateSet = rs;
    this.overlay.setBase(rs);
    this.touched = 'all';
    return rs;
  }

  /** The serial a set loaded now from a state fetched at `fetchedAt` gets. Changes move the
   *  live set's serial too: the new one starts past it, never behind. */
  private serialFor(fetchedAt: number): number {
    const current = this.stateSet?.zone.soa.serial ?? 0;
    return Math.max(this.serial + 1, current + 1, Math.floor(fetchedAt / 1000));
  }

  /** Health filtering: tasks left out of job-level names now. (Fail-open answers are counted by
   *  what answers clients — the DNS server, the HTTP API — from NameRecords.failOpen.) */
  health(): { tasksLeftOut: number } {
    return { tasksLeftOut: this.stateSet?.unhealthyTaskCount ?? 0 };
  }

  /** Replaces every ServerSet's records at once (a ServerSet source's snapshot). */
  loadServersets(sets: ReadonlyMap<string, readonly ServersetRecord[]>): void {
    this.overlay.replaceSources(sets);
    this.touched = 'all';
  }

  /** Applies one change. A state change before the first state snapshot is dropped (the
   *  snapshot that follows carries it), unless that snapshot is being built (loadStateSliced).
   *  Returns a warning when the change names a task the set does not hold and no set being built
   *  takes it after (that one may hold the task: a resubscription's snapshot). */
  apply(change: RecordChange): string | undefined {
    const touched = this.touched;
    let warning: string | undefined;
    if (change.type === 'serverset') {
      if (touched !== 'all') {
        for (const r of this.overlay.sources().get(change.key) ?? []) touched.add(r.name);
        for (const r of change.records) touched.add(r.name);
      }
      this.overlay.setSource(change.key, change.records);
    } else {
      // During a sliced load the change also waits for the new set (even the first one).
      this.meanwhile?.push(change);
      warning = this.onState((set) => applyStateChange(set, change));
      if (this.meanwhile) warning = undefined;
    }
    // Nobody taking them (transfers turned off by a reload): a whole-zone compare is cheaper
    // than a set that only grows.
    if (touched !== 'all' && touched.size > TOUCHED_MAX) this.touched = 'all';
    return warning;
  }

  /** Gives the frameworks without a pid whose hostname is `hostname` these looked-up addresses
   *  (MemRecordSet.setFrameworkHostIps); true when any records changed. */
  setFrameworkHostIps(hostname: string, ips: readonly string[]): boolean {
    return this.onState((set) => set.setFrameworkHostIps(hostname, ips)) ?? false;
  }

  /** Runs a change on the state's set with the names it touches noted for the zone journal. */
  private onState<T>(f: (set: MemRecordSet) => T): T | undefined {
    const set = this.stateSet;
    if (!set) return undefined;
    const touched = this.touched;
    if (touched !== 'all') set.touched = touched;
    try {
      return f(set);
    } finally {
      set.touched = undefined;
    }
  }

  /** The owner names whose records changed since the last call ('all' after a snapshot or a
   *  ServerSet replacement, and on the first call), and starts a new count. The zone journal
   *  compares just these names with its copy instead of the whole zone. */
  takeTouched(): ReadonlySet<string> | 'all' {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }
}
