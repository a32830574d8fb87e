// What DNS and the HTTP API serve: the state's record set with the ServerSet records laid over
// it. Snapshots replace one side in a single assignment (Mesos-DNS's Reload property: build the
// new set, swap it in one place, keep the old one when building fails); changes apply in place,
// synchronously. Every source feeds the store the same way: snapshots and RecordChanges.
import type { MesosState } from '../model/mesos-state.js';
import { applyStateChange, type RecordChange } from './changes.js';
import type { RecordsConfig } from './config.js';
import { MemRecordSet } from './mem-record-set.js';
import { OverlayRecordSet } from './overlay.js';
import type { ServersetRecord } from './serverset-records.js';
import type { RecordSet } from './types.js';

export class RecordStore {
  private stateSet: MemRecordSet | undefined;
  private readonly overlay: OverlayRecordSet;
  private serial = 0;
  /** Fail-open lookups of record sets already replaced (the counter never goes back). */
  private failOpenBefore = 0;

  /** `after`: the store this one replaces (a reload): serials continue past its, and its
   *  counters carry on. */
  constructor(
    private readonly config: RecordsConfig,
    after?: RecordStore,
  ) {
    this.overlay = new OverlayRecordSet(new MemRecordSet(config), config.srvWeight);
    if (after) {
      this.serial = Math.max(after.serial, after.stateSet?.zone.soa.serial ?? 0);
      this.failOpenBefore = after.health().failOpenAnswers;
    }
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

  /** Builds the records of a full state and swaps them in. Throws (keeping the old set) when
   *  building fails. `fetchedAt` seeds Mesos-DNS's serial (the generation time, in seconds),
   *  kept strictly increasing across snapshots. */
  loadState(state: MesosState, fetchedAt: number): MemRecordSet {
    // Changes move the live set's serial too: the new one starts past it, never behind.
    const current = this.stateSet?.zone.soa.serial ?? 0;
    const serial = Math.max(this.serial + 1, current + 1, Math.floor(fetchedAt / 1000));
    const rs = new MemRecordSet({ ...this.config, serial });
    rs.loadState(state);
    rs.compact();
    this.serial = serial;
    this.failOpenBefore += this.stateSet?.failOpenAnswers ?? 0;
    this.stateSet = rs;
    this.overlay.setBase(rs);
    return rs;
  }

  /** Health filtering: tasks left out now, and fail-open lookups since the store was made. */
  health(): { tasksLeftOut: number; failOpenAnswers: number } {
    return {
      tasksLeftOut: this.stateSet?.unhealthyTaskCount ?? 0,
      failOpenAnswers: this.failOpenBefore + (this.stateSet?.failOpenAnswers ?? 0),
    };
  }

  /** Replaces every ServerSet's records at once (a ServerSet source's snapshot). */
  loadServersets(sets: ReadonlyMap<string, readonly ServersetRecord[]>): void {
    this.overlay.replaceSources(sets);
  }

  /** Applies one change. A state change before the first state snapshot is dropped (the
   *  snapshot that follows carries it). */
  apply(change: RecordChange): void {
    if (change.type === 'serverset') this.overlay.setSource(change.key, change.records);
    else if (this.stateSet) applyStateChange(this.stateSet, change);
  }

  /** Runs `read` over the view without counting its fail-open lookups: a zone-transfer journal
   *  reading every name is not a query (records/journal.ts). */
  uncounted<T>(read: () => T): T {
    const set = this.stateSet;
    const before = set?.failOpenAnswers ?? 0;
    try {
      return read();
    } finally {
      if (set) this.failOpenBefore -= set.failOpenAnswers - before;
    }
  }
}
