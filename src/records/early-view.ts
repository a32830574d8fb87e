// What DNS answers from while the first state's records build: the EarlySet with the ServerSet
// records laid over it by the store's own OverlayRecordSet (so ServerSet changes during the build
// show), covering a name only where the merge equals the one the full set will make. The merge
// reads the state's records of the name and the addresses of every SRV target (to drop a ServerSet
// member the state already names): each of those names must be settled in the EarlySet (every
// task that could make it in). Outside the domain only PTR names with records are covered (the
// tasks with the address in); SRV targets outside it have no addresses in the state set, so they
// need nothing.
import type { EarlySet } from './early-set.js';
import type { OverlayRecordSet } from './overlay.js';
import type { RecordCounts } from './record-types.js';
import type { NameRecords, PartialRecordSet, ZoneInfo } from './types.js';

export class EarlyView implements PartialRecordSet {
  /** `overlay`'s base is `early` (RecordStore.early sets it). */
  constructor(
    private readonly early: EarlySet,
    private readonly overlay: OverlayRecordSet,
  ) {}

  /** Jobs held back (logs). */
  get jobCount(): number {
    return this.early.jobCount;
  }

  get zone(): ZoneInfo {
    return this.overlay.zone;
  }

  covers(name: string): boolean {
    // Once the store has put another set under its ServerSet records (the swap, a failed or
    // abandoned build), this view vouches for nothing.
    if (this.overlay.baseSet !== this.early) return false;
    // Without ServerSet records the view is the EarlySet, which remembers what it covered.
    if (this.overlay.sources().size === 0) return this.early.covers(name);
    if (!this.early.settled(name)) return false;
    // No records: the ServerSet names are all here, the state's at and below it must be in.
    const r = this.overlay.get(name);
    return r === undefined ? this.early.settledBelow(name) : this.early.complete(r);
  }

  get(name: string): NameRecords | undefined {
    return this.overlay.get(name);
  }

  /** For covered names only (see PartialRecordSet). */
  exists(name: string): boolean {
    return this.covers(name) && this.overlay.exists(name);
  }

  names(): IterableIterator<string> {
    return this.overlay.names();
  }

  counts(): RecordCounts {
    return this.overlay.counts();
  }
}
