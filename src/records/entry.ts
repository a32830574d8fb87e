// The records of one owner name, with a reference count per record so records shared by several
// tasks (`name.fw.D.` of every instance of a job) stay until the last task that makes them goes.
// Memory matters more than elegance here: a 100,000-task set has ~560,000 names and ~3.3 million
// records, so a name with one value stores it inline (no array), SRV targets and ports share one
// array, counts exist only once a record is made twice, and arrays are trimmed after a full build.
import type { NameRecords, SrvData } from './types.js';
import { A, AAAA, type Kind, PTR, SRV } from './record-types.js';

/** Shared per record set: the SRV weight SrvData carries. */
export interface EntryParams {
  srvWeight: number;
}

// Linear search is cheaper than a keyed index (one key string per record) below this size.
const INDEX_AT = 64;
const NONE: readonly never[] = Object.freeze([]);
// Arrays shorter than this grow by an exact copy (most names hold a handful of values; push would
// leave 16+ spare slots in each, and trimming them after the build leaves holes in the old
// generation that stay resident); longer ones grow by push (amortised).
const EXACT_UNTIL = 16;

/** A/AAAA/PTR values: none, one inline, or an array. */
type Vals = string | string[] | undefined;
/** SRV records: none, one inline target (its port in `sp`), or target, port, target, port, …
 *  in one array (a second array for the ports cost ~70 bytes per SRV name). */
type Srvs = string | (string | number)[] | undefined;

function len(v: Vals): number {
  return v === undefined ? 0 : typeof v === 'object' ? v.length : 1;
}
function srvLen(v: Srvs): number {
  return v === undefined ? 0 : typeof v === 'object' ? v.length >> 1 : 1;
}

/** Rarely needed parts, allocated on demand. */
interface Extra {
  /** Reference counts per kind, parallel to the records; absent = every count is 1. */
  counts: (number[] | undefined)[];
  srvCache?: SrvData[];
  /** key → index, built once a name holds many records (shared names of big jobs). */
  index?: Map<string, number>;
}

export class Entry implements NameRecords {
  private va: Vals = undefined;
  private v6: Vals = undefined;
  private vs: Srvs = undefined;
  private vp: Vals = undefined;
  /** The port of an inline SRV record. */
  private sp = 0;
  private x: Extra | undefined = undefined;

  /** The SRV weight: a record set's entries are of its entryMaker() class, which says it (a field
   *  would cost 8 bytes in each of ~70,000 entries at 50,000 tasks). */
  protected weight(): number {
    return 0;
  }

  get a(): string[] {
    return arrayOf(this.va);
  }
  get aaaa(): string[] {
    return arrayOf(this.v6);
  }
  get ptr(): string[] {
    return arrayOf(this.vp);
  }
  get srv(): SrvData[] {
    if (this.vs === undefined) return [];
    const x = this.extra();
    if (!x.srvCache) {
      const w = this.weight();
      const t = this.values(SRV);
      const p = this.srvPorts();
      x.srvCache = t.map((target, i) => ({ priority: 0, weight: w, port: p[i]!, target }));
    }
    return x.srvCache;
  }

  /** Number of records (all kinds). */
  get size(): number {
    return len(this.va) + len(this.v6) + srvLen(this.vs) + len(this.vp);
  }

  /** Number of records of one kind. */
  count(kind: Kind): number {
    return kind === SRV ? srvLen(this.vs) : len(this.get(kind));
  }

  /** Adds every record of `other` (one reference each). */
  addAll(other: Entry): void {
    for (const k of [A, AAAA, PTR] as const) for (const v of other.values(k)) this.add(k, v, 0);
    const t = other.values(SRV);
    const p = other.srvPorts();
    for (let i = 0; i < t.length; i++) this.add(SRV, t[i]!, p[i]!);
  }

  /** Values of one kind (SRV: the targets, parallel to srvPorts()); do not mutate. */
  values(kind: Kind): readonly string[] {
    if (kind === SRV) {
      const v = this.vs;
      if (v === undefined) return NONE;
      if (typeof v === 'string') return [v];
      const out = new Array<string>(v.length >> 1);
      for (let i = 0; i < out.length; i++) out[i] = v[2 * i] as string;
      return out;
    }
    const v = this.get(kind);
    return v === undefined ? NONE : typeof v === 'string' ? [v] : v;
  }
  srvPorts(): readonly number[] {
    const v = this.vs;
    if (v === undefined) return NONE;
    if (typeof v === 'string') return [this.sp];
    const out = new Array<number>(v.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = v[2 * i + 1] as number;
    return out;
  }

  /** Adds one reference; true when the record is new. */
  add(kind: Kind, value: string, port: number): boolean {
    if (kind === SRV) return this.addSrv(value, port);
    const v = this.get(kind);
    if (v === undefined) {
      this.set(kind, value);
      if (this.x?.index) this.x.index.set(key(kind, value, port), 0);
      return true;
    }
    const i = this.find(kind, v, value);
    if (i >= 0) return this.countUp(kind, len(v), i);
    // Append (an inline single value becomes a two-element array).
    let n: number;
    if (typeof v === 'string') {
      this.set(kind, [v, value]);
      n = 2;
    } else if (v.length < EXACT_UNTIL) {
      const grown = appended(v, value);
      this.set(kind, grown);
      n = grown.length;
    } else n = v.push(value);
    this.added(kind, key(kind, value, port), n - 1);
    return true;
  }

  /** Drops one reference; true when the record is gone. */
  remove(kind: Kind, value: string, port: number): boolean {
    if (kind === SRV) return this.removeSrv(value, port);
    const v = this.get(kind);
    if (v === undefined) return false;
    const i = this.find(kind, v, value);
    if (i < 0 || this.countDown(kind, i)) return false;
    this.x?.index?.delete(key(kind, value, port));
    if (typeof v === 'string') {
      this.set(kind, undefined);
      if (this.x) this.x.counts[kind] = undefined;
      return true;
    }
    // Swap-remove: order carries no meaning (answers are shuffled, listings sorted).
    const lastI = v.length - 1;
    const c = this.x?.counts[kind];
    if (i !== lastI) {
      v[i] = v[lastI]!;
      if (c) c[i] = c[lastI]!;
      this.x?.index?.set(key(kind, v[i], 0), i);
    }
    v.pop();
    c?.pop();
    if (v.length === 1) {
      this.set(kind, v[0]); // back to the inline form
      this.inlineCount(kind, c);
    }
    return true;
  }

  /** Trims the arrays that grew by push to their length (after a full build). */
  compact(): void {
    for (const k of [A, AAAA, PTR] as const) {
      const v = this.get(k);
      if (typeof v === 'object' && v.length >= EXACT_UNTIL) this.set(k, v.slice());
    }
    if (typeof this.vs === 'object' && this.vs.length >= 2 * EXACT_UNTIL) this.vs = this.vs.slice();
  }

  private addSrv(target: string, port: number): boolean {
    const v = this.vs;
    if (v === undefined) {
      this.vs = target;
      this.sp = port;
      this.srvChanged();
      if (this.x?.index) this.x.index.set(key(SRV, target, port), 0);
      return true;
    }
    const i = this.findSrv(v, target, port);
    if (i >= 0) return this.countUp(SRV, srvLen(v), i);
    let n: number;
    if (typeof v === 'string') {
      this.vs = [v, this.sp, target, port];
      n = 2;
    } else if (v.length < 2 * EXACT_UNTIL) {
      const grown = new Array<string | number>(v.length + 2);
      for (let j = 0; j < v.length; j++) grown[j] = v[j]!;
      grown[v.length] = target;
      grown[v.length + 1] = port;
      this.vs = grown;
      n = grown.length >> 1;
    } else n = v.push(target, port) >> 1;
    this.srvChanged();
    this.added(SRV, key(SRV, target, port), n - 1);
    return true;
  }

  private removeSrv(target: string, port: number): boolean {
    const v = this.vs;
    if (v === undefined) return false;
    const i = this.findSrv(v, target, port);
    if (i < 0 || this.countDown(SRV, i)) return false;
    this.x?.index?.delete(key(SRV, target, port));
    this.srvChanged();
    if (typeof v === 'string') {
      this.vs = undefined;
      if (this.x) this.x.counts[SRV] = undefined;
      return true;
    }
    const lastI = (v.length >> 1) - 1;
    const c = this.x?.counts[SRV];
    if (i !== lastI) {
      v[2 * i] = v[2 * lastI]!;
      v[2 * i + 1] = v[2 * lastI + 1]!;
      if (c) c[i] = c[lastI]!;
      this.x?.index?.set(key(SRV, v[2 * i] as string, v[2 * i + 1] as number), i);
    }
    v.length -= 2;
    c?.pop();
    if (v.length === 2) {
      this.vs = v[0] as string; // back to the inline form
      this.sp = v[1] as number;
      this.inlineCount(SRV, c);
    }
    return true;
  }

  /** A repeated record: one more reference to record i of a kind holding n records. */
  private countUp(kind: Kind, n: number, i: number): false {
    const x = this.extra();
    let c = x.counts[kind];
    if (!c) c = x.counts[kind] = new Array<number>(n).fill(1);
    c[i]!++;
    return false;
  }
  /** True when record i is still referenced after dropping one reference. */
  private countDown(kind: Kind, i: number): boolean {
    const c = this.x?.counts[kind];
    if (c && c[i]! > 1) {
      c[i]!--;
      return true;
    }
    return false;
  }
  /** Back to one inline record: keep the survivor's count (inline values keep a one-element
   *  counts array). */
  private inlineCount(kind: Kind, c: number[] | undefined): void {
    if (this.x) this.x.counts[kind] = c && c[0]! > 1 ? [c[0]!] : undefined;
  }
  /** Bookkeeping after a new record was appended at index i. */
  private added(kind: Kind, k: string, i: number): void {
    this.x?.counts[kind]?.push(1);
    if (this.x?.index) this.x.index.set(k, i);
    else if (this.size >= INDEX_AT) this.buildIndex();
  }

  private get(kind: Kind): Vals {
    return kind === A ? this.va : kind === AAAA ? this.v6 : this.vp;
  }
  private set(kind: Kind, v: Vals): void {
    if (kind === A) this.va = v;
    else if (kind === AAAA) this.v6 = v;
    else this.vp = v;
  }
  private extra(): Extra {
    return (this.x ??= { counts: [undefined, undefined, undefined, undefined] });
  }
  private srvChanged(): void {
    if (this.x) this.x.srvCache = undefined;
  }

  private find(kind: Kind, v: string | string[], value: string): number {
    if (typeof v === 'string') return v === value ? 0 : -1;
    const idx = this.x?.index;
    if (idx) return idx.get(key(kind, value, 0)) ?? -1;
    return v.indexOf(value);
  }

  private findSrv(v: string | (string | number)[], target: string, port: number): number {
    if (typeof v === 'string') return v === target && this.sp === port ? 0 : -1;
    const idx = this.x?.index;
    if (idx) return idx.get(key(SRV, target, port)) ?? -1;
    for (let i = 0; i < v.length; i += 2) if (v[i] === target && v[i + 1] === port) return i >> 1;
    return -1;
  }

  private buildIndex(): void {
    const idx = new Map<string, number>();
    for (const k of [A, AAAA, SRV, PTR] as const) {
      const v = this.values(k);
      const p = k === SRV ? this.srvPorts() : undefined;
      for (let i = 0; i < v.length; i++) idx.set(key(k, v[i]!, p ? p[i]! : 0), i);
    }
    this.extra().index = idx;
  }
}

/** A copy of `a` with `x` appended, exactly n + 1 slots (push would leave 16+ spare ones;
 *  concat allocates exactly but is a slow generic builtin). */
function appended<T>(a: readonly T[], x: T): T[] {
  const n = a.length;
  const out = new Array<T>(n + 1);
  for (let i = 0; i < n; i++) out[i] = a[i]!;
  out[n] = x;
  return out;
}

function arrayOf(v: Vals): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

function key(kind: Kind, value: string, port: number): string {
  return kind === SRV ? `${port} ${value}` : `${kind} ${value}`;
}

const entryClasses = new Map<number, new () => Entry>();

/** Makes the entries of a record set: their SRV records carry `params.srvWeight`. */
export function entryMaker(params: EntryParams): () => Entry {
  const w = params.srvWeight;
  let C = entryClasses.get(w);
  if (!C) {
    C = class extends Entry {
      protected override weight(): number {
        return w;
      }
    };
    entryClasses.set(w, C);
  }
  const Made = C;
  return () => new Made();
}
