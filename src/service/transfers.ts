// Zone transfers for `beacon dns` (the hidden primary): the zone journal kept in step with the
// served view, the AXFR/IXFR handler the DNS server calls, and NOTIFY to the secondaries. Made
// only when `allowTransfer` or `notify` is set (the journal holds a copy of the zone). The journal
// syncs at most once per serial unit (100 ms) and rests as long as a slow sync took, so a stream
// of changes costs at most half a core; changes in between share one serial.
import type { Config } from '../config/mesos-dns.js';
import { parseNetworks, type NetworkSet } from '../dns/acl.js';
import { Notifier, NotifyStats, parseNotifyTarget } from '../dns/notify.js';
import { createTransferHandler, XfrStats, type TransferHandler } from '../dns/xfr.js';
import { logger } from '../log.js';
import { ZoneJournal } from '../records/journal.js';
import type { RecordStore } from '../records/store.js';
import type { RecordSet, ZoneInfo } from '../records/types.js';

const log = logger('xfr');

/** True when the config asks for zone transfers or NOTIFYs. */
export function transfersEnabled(c: Config): boolean {
  return c.allowTransfer.length > 0 || c.notify.length > 0;
}

/** What /metrics reads at scrape time. */
export interface TransferStatus {
  serial: number | undefined;
  records: number;
  history: number;
  inProgress: number;
  xfr: XfrStats;
  notify: NotifyStats;
  clockBehind: number;
  syncs: number;
  syncSeconds: number;
}

export class ZoneTransfers {
  private journal: ZoneJournal;
  /** The last view wrap() gave the journal's serial, and the wrapper. */
  private wrapped: { base: RecordSet; journal: ZoneJournal; view: RecordSet } | undefined;
  private allow: NetworkSet;
  private notifier: Notifier | undefined;
  private notifyKey = '';
  readonly xfrStats: XfrStats;
  readonly notifyStats: NotifyStats;
  readonly handler: TransferHandler;
  private timer: NodeJS.Timeout | undefined;
  private lastSyncMs = 0;
  private lastSyncEnd = -Infinity;
  private syncs = 0;
  private syncSeconds = 0;
  private closed = false;

  /** `store()`: the serving generation's store (it changes on a reload); `stats`: counters that
   *  outlive this object (transfers turned off and on by reloads). */
  constructor(
    config: Config,
    private readonly store: () => RecordStore,
    stats: { xfr: XfrStats; notify: NotifyStats } = {
      xfr: new XfrStats(),
      notify: new NotifyStats(),
    },
  ) {
    this.xfrStats = stats.xfr;
    this.notifyStats = stats.notify;
    this.journal = new ZoneJournal(config.domain, { history: config.ixfrHistory });
    this.allow = parseNetworks(config.allowTransfer, 'allowTransfer');
    this.setNotify(config);
    // The journal and the allow list are read per transfer: a reload replaces them.
    const get = {
      journal: () => this.journal,
      allow: () => this.allow,
    };
    this.handler = createTransferHandler({
      get journal() {
        return get.journal();
      },
      get allow() {
        return get.allow();
      },
      zone: () => this.zone(),
      stats: this.xfrStats,
      log,
    });
  }

  private zone(): ZoneInfo | undefined {
    return this.store().view?.zone;
  }

  private setNotify(config: Config): void {
    const key = JSON.stringify([config.notify, config.notifyMinIntervalMs]);
    if (key === this.notifyKey) return;
    this.notifyKey = key;
    this.notifier?.close();
    this.notifier =
      config.notify.length > 0
        ? new Notifier({
            targets: config.notify.map((t, i) => parseNotifyTarget(t, `notify[${i}]`)),
            minIntervalMs: config.notifyMinIntervalMs,
            log,
            stats: this.notifyStats,
          })
        : undefined;
    // New targets hear about the current serial at once.
    if (this.notifier && this.journal.serial !== undefined) this.announce();
  }

  /** A reload: new lists apply at once; a new domain starts a new journal (IXFR history reset). */
  reconfigure(config: Config): void {
    this.allow = parseNetworks(config.allowTransfer, 'allowTransfer');
    if (config.domain.toLowerCase() !== this.journal.domain) {
      log.info({ domain: config.domain }, 'domain changed: zone journal restarted');
      this.journal = new ZoneJournal(config.domain, { history: config.ixfrHistory });
    } else this.journal.setHistory(config.ixfrHistory);
    this.setNotify(config);
    this.changed();
  }

  /** `view` with the journal's serial (what DNS answers, so SOA queries see the transfer serial). */
  wrap(view: RecordSet): RecordSet {
    // The same view gets the same wrapper, so the DNS server knows the set (DnsServer.setRecords).
    const w = this.wrapped;
    if (w?.base === view && w.journal === this.journal) return w.view;
    this.wrapped = { base: view, journal: this.journal, view: this.journal.view(view) };
    return this.wrapped.view;
  }

  /** The served records changed: sync the journal soon (coalesced). */
  changed(): void {
    if (this.closed || this.timer) return;
    // The first records: take the first serial as soon as the clock allows (at most one unit;
    // until then SOA answers show the journal's floor, never the store's own scheme).
    if (this.journal.serial === undefined && this.journal.waitMs() === 0) {
      this.sync();
      return;
    }
    // At most one serial per unit, and after a slow sync as much rest as it took (a stream of
    // changes costs at most half a core however large the zone).
    const rest = Math.max(0, this.lastSyncEnd + this.lastSyncMs - performance.now());
    const wait = Math.max(this.journal.waitMs(), rest);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync();
    }, wait);
  }

  /** Brings the journal up to the served view now; NOTIFYs the secondaries when it moved. */
  sync(): boolean {
    const store = this.store();
    const view = store.view;
    if (!view || this.closed) return false;
    const t0 = performance.now();
    // A stream change touches a few names: compare those; a snapshot, a ServerSet replacement
    // or a new generation's store ('all') compares the whole zone.
    const touched = store.takeTouched();
    const moved =
      touched === 'all' ? this.journal.sync(view) : this.journal.syncNames(view, touched);
    const ms = performance.now() - t0;
    this.lastSyncMs = ms;
    this.lastSyncEnd = performance.now();
    this.syncs++;
    this.syncSeconds += ms / 1000;
    if (moved) {
      log.debug({ serial: this.journal.serial, ms: Math.round(ms) }, 'zone serial moved');
      this.announce();
    } else if (this.journal.serial === undefined) this.changed(); // a timer that fired early
    return moved;
  }

  private announce(): void {
    const z = this.zone();
    const serial = this.journal.serial;
    if (!z || serial === undefined || !this.notifier) return;
    const fq = (n: string) => (n.endsWith('.') ? n.toLowerCase() : `${n.toLowerCase()}.`);
    this.notifier.changed(fq(z.domain), z.ttl, {
      ...z.soa,
      mname: fq(z.soa.mname),
      rname: fq(z.soa.rname),
      serial,
    });
  }

  /** The serial secondaries are told about (undefined before the first load). */
  get serial(): number | undefined {
    return this.journal.serial;
  }

  status(): TransferStatus {
    return {
      serial: this.journal.serial,
      records: this.journal.records,
      history: this.journal.historyLength,
      inProgress: this.journal.activeReaders,
      xfr: this.xfrStats,
      notify: this.notifyStats,
      clockBehind: this.journal.clockBehind,
      syncs: this.syncs,
      syncSeconds: this.syncSeconds,
    };
  }

  /** Per target, the serial it last acknowledged. */
  notified(): { target: string; serial: number | undefined }[] {
    return this.notifier?.acknowledged() ?? [];
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.notifier?.close();
  }
}
