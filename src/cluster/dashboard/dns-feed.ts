// Follows the devcluster's DNS service for the dashboard: after each change it applied (event
// stream) or each full load, the served record set is compared with the one seen before and the
// records that appeared or went are reported, grouped by name; its metrics registry feeds the
// chart's sampler. Diffing the whole set is fine at devcluster sizes; past `maxRecords` only
// the counts are reported.
import { recordList, type MemRecordSet, type RecordCounts } from '../../records/index.js';
import type { DnsService } from '../../service/dns-service.js';
import { MetricsSampler, type DnsSample, type MetricsSample } from './metrics-sampler.js';

/** Records of one name that appeared or went in one change. */
export interface NameChange {
  name: string;
  type: string;
  added: string[];
  removed: string[];
}

export interface DnsChange {
  changes: NameChange[];
  /** Set when the set was too large to diff. */
  counts?: RecordCounts;
}

export interface DnsFeedOptions {
  /** Where the records come from (the devcluster's records-only mirror of its DNS service). */
  service: DnsService;
  /** The DNS server's query counters and state age (it runs in a worker thread). */
  read: () => Promise<DnsSample>;
  onChange: (c: DnsChange) => void;
  onSample: (s: MetricsSample) => void;
  /** Default 50,000. */
  maxRecords?: number;
}

type Snapshot = Map<string, Set<string>>;

function snapshot(rs: MemRecordSet): Snapshot {
  const out: Snapshot = new Map();
  for (const r of recordList(rs)) {
    if (r.type === 'PTR') continue; // the reverse of every A record: noise in a feed
    const key = `${r.type} ${r.name.replace(/\.$/, '')}`;
    const data = r.type === 'SRV' ? `${r.data.replace(/\.$/, '')}:${r.port}` : r.data;
    let s = out.get(key);
    if (!s) out.set(key, (s = new Set()));
    s.add(data);
  }
  return out;
}

/** What changed between two snapshots, by name (sorted). */
export function diffRecords(before: Snapshot, after: Snapshot): NameChange[] {
  const out: NameChange[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(key) ?? new Set<string>();
    const a = after.get(key) ?? new Set<string>();
    const added = [...a].filter((v) => !b.has(v)).sort();
    const removed = [...b].filter((v) => !a.has(v)).sort();
    if (!added.length && !removed.length) continue;
    const sp = key.indexOf(' ');
    out.push({ type: key.slice(0, sp), name: key.slice(sp + 1), added, removed });
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

export class DnsFeed {
  readonly service: DnsService;
  readonly sampler: MetricsSampler;
  private readonly o: DnsFeedOptions;
  private seen: Snapshot | undefined;
  private queued = false;
  private readonly onLoaded = () => this.queue();
  private readonly onChanged = () => this.queue();

  constructor(o: DnsFeedOptions) {
    this.o = o;
    this.service = o.service;
    this.sampler = new MetricsSampler({
      read: o.read,
      onSample: o.onSample,
    });
    const rs = o.service.records();
    if (rs) this.seen = this.small(rs) ? snapshot(rs) : undefined;
    o.service.on('loaded', this.onLoaded);
    o.service.on('changed', this.onChanged);
  }

  stop(): void {
    this.sampler.stop();
    this.service.off('loaded', this.onLoaded);
    this.service.off('changed', this.onChanged);
  }

  private small(rs: MemRecordSet): boolean {
    const c = rs.counts();
    return c.a + c.aaaa + c.srv + c.ptr <= (this.o.maxRecords ?? 50000);
  }

  /** One diff per burst: a task's update arrives as several stream events in the same tick. */
  private queue(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      const rs = this.service.records();
      if (!rs) return;
      if (!this.small(rs)) {
        this.seen = undefined;
        this.o.onChange({ changes: [], counts: rs.counts() });
        return;
      }
      const now = snapshot(rs);
      const changes = diffRecords(this.seen ?? new Map(), now);
      this.seen = now;
      if (changes.length) this.o.onChange({ changes });
    });
  }
}
