// A RecordSet that serves the state's records with extra records laid over them (ServerSet
// members). Names present in both are merged: A/AAAA as sets, SRV deduplicated by target address
// and port, so an Aurora task announced in a ServerSet and published in DiscoveryInfo answers
// once. The base may change in place (its serial moves) or be replaced; readers still see one
// consistent view per query, since every change is a synchronous swap.
import {
  eachName,
  type NameRecords,
  type RecordSet,
  type SrvData,
  type ZoneInfo,
} from './types.js';
import { addCounts, type RecordCounts } from './record-types.js';
import type { ServersetRecord } from './serverset-records.js';
import { srvWeight } from '../serverset/weights.js';

interface Extra {
  a: Set<string>;
  aaaa: Set<string>;
  srv: Map<string, SrvData>; // key target:port
}

export class OverlayRecordSet implements RecordSet {
  private base: RecordSet;
  private readonly bySource = new Map<string, readonly ServersetRecord[]>();
  private extra = new Map<string, Extra>();
  private extraAncestors = new Set<string>();
  private generation = 0;
  private readonly srvWeight: number;
  private merged = new Map<string, NameRecords>();
  private mergedKey = '';
  private zoneCache:
    { base: ZoneInfo; serial: number; generation: number; zone: ZoneInfo } | undefined;

  constructor(base: RecordSet, srvWeight = 1) {
    this.base = base;
    this.srvWeight = srvWeight;
  }

  /** Replaces the state's record set (a full refresh). */
  setBase(base: RecordSet): void {
    this.base = base;
    // Merged answers are keyed by the base's serial, which an EarlySet shares with the set that
    // replaces it.
    this.merged = new Map();
    this.mergedKey = '';
  }

  /** The state's record set under the extra records. */
  get baseSet(): RecordSet {
    return this.base;
  }

  /** The extra records of each source (`zk!path`), as given. */
  sources(): ReadonlyMap<string, readonly ServersetRecord[]> {
    return this.bySource;
  }

  /** Replaces the extra records of every source at once. */
  replaceSources(sources: ReadonlyMap<string, readonly ServersetRecord[]>): void {
    this.bySource.clear();
    for (const [k, v] of sources) if (v.length > 0) this.bySource.set(k, v);
    this.rebuild();
  }

  /** Sets (or with an empty list, clears) the extra records of one source, e.g. a ServerSet path. */
  setSource(source: string, records: readonly ServersetRecord[]): void {
    if (records.length === 0) this.bySource.delete(source);
    else this.bySource.set(source, records);
    this.rebuild();
  }

  private rebuild(): void {
    const extra = new Map<string, Extra>();
    for (const records of this.bySource.values()) {
      for (const r of records) {
        let e = extra.get(r.name);
        if (!e) extra.set(r.name, (e = { a: new Set(), aaaa: new Set(), srv: new Map() }));
        if (r.type === 'A') e.a.add(r.value);
        else if (r.type === 'AAAA') e.aaaa.add(r.value);
        else
          e.srv.set(`${r.value}:${r.port}`, {
            priority: 0,
            // A Finagle weight scales the configured SRV weight (weight 2 → twice as much).
            weight: srvWeight(r.weight ?? 1, this.srvWeight),
            port: r.port,
            target: r.value,
          });
      }
    }
    const ancestors = new Set<string>();
    for (const name of extra.keys()) {
      for (let i = name.indexOf('.'); i >= 0 && i < name.length - 1; i = name.indexOf('.', i + 1)) {
        ancestors.add(name.slice(i + 1));
      }
    }
    this.extra = extra;
    this.extraAncestors = ancestors;
    this.generation++;
  }

  get zone(): ZoneInfo {
    // Read on every query: compare numbers, build a new object only when either side moved.
    const z = this.base.zone;
    const c = this.zoneCache;
    if (!c || c.base !== z || c.serial !== z.soa.serial || c.generation !== this.generation) {
      // Serial moves with either side, so caches keyed by it (the DNS answer cache) stay right.
      this.zoneCache = {
        base: z,
        serial: z.soa.serial,
        generation: this.generation,
        zone: { ...z, soa: { ...z.soa, serial: z.soa.serial + this.generation } },
      };
    }
    return this.zoneCache!.zone;
  }

  get(name: string): NameRecords | undefined {
    const b = this.base.get(name);
    const x = this.extra.get(name);
    if (!x) return b;
    const key = `${this.base.zone.soa.serial}/${this.generation}`;
    if (key !== this.mergedKey) {
      this.merged = new Map();
      this.mergedKey = key;
    }
    let m = this.merged.get(name);
    if (!m) {
      m = b
        ? this.merge(b, x)
        : { a: [...x.a], aaaa: [...x.aaaa], srv: [...x.srv.values()], ptr: [] };
      this.merged.set(name, m);
    }
    return m;
  }

  private addresses(target: string): Set<string> {
    const r = this.base.get(target);
    const x = this.extra.get(target);
    return new Set([...(r?.a ?? []), ...(r?.aaaa ?? []), ...(x?.a ?? []), ...(x?.aaaa ?? [])]);
  }

  private merge(b: NameRecords, x: Extra): NameRecords {
    const seen = new Set<string>();
    for (const s of b.srv) for (const ip of this.addresses(s.target)) seen.add(`${ip}:${s.port}`);
    const srv = [...b.srv];
    for (const s of x.srv.values()) {
      const dup = [...this.addresses(s.target)].some((ip) => seen.has(`${ip}:${s.port}`));
      if (!dup) srv.push(s);
    }
    const m: NameRecords = {
      a: [...new Set([...b.a, ...x.a])],
      aaaa: [...new Set([...b.aaaa, ...x.aaaa])],
      srv,
      ptr: b.ptr,
    };
    // The state's unhealthy tasks are still in the merge: it stays marked (ServerSet members are
    // never health-filtered, so they add no marks of their own).
    if (b.failOpen) m.failOpen = b.failOpen;
    return m;
  }

  exists(name: string): boolean {
    return this.base.exists(name) || this.extra.has(name) || this.extraAncestors.has(name);
  }

  *names(): IterableIterator<string> {
    yield* this.base.names();
    for (const n of this.extra.keys()) if (!this.base.get(n)) yield n;
  }

  each(f: (name: string, records: NameRecords) => void): void {
    eachName(this.base, (name, r) => {
      if (!this.extra.has(name)) f(name, r);
    });
    for (const name of this.extra.keys()) f(name, this.get(name)!);
  }

  counts(): RecordCounts {
    const c = { ...this.base.counts() };
    for (const e of this.extra.values())
      addCounts(c, { a: e.a.size, aaaa: e.aaaa.size, srv: e.srv.size });
    return c;
  }
}
