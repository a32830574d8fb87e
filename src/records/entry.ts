// The records of one owner name, with a reference count per record so records shared by several
// tasks (`name.fw.D.` of every instance of a job) stay until the last task that makes them goes.
// Memory matters more than elegance here: a 100,000-task set has ~560,000 names and ~3.3 million
// records, so a name with one value stores it inline (no array), counts exist only once a record
// is made twice, and arrays are trimmed to size after a full build.
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

type Vals = string | string[] | undefined;
type Ports = number | number[] | undefined;

function len(v: Vals | Ports): number {
  return v === undefined ? 0 : typeof v === 'object' ? v.length : 1;
}

/** Rarely needed parts, allocated on demand. */
interface Extra {
  /** Reference counts per kind, parallel to the values; absent = every count is 1. */
  counts: (number[] | undefined)[];
  srvCache?: SrvData[];
  /** key → index, built once a name holds many records (shared names of big jobs). */
  index?: Map<string, number>;
}

export class Entry implements NameRecords {
  private va: Vals = undefined;
  private v6: Vals = undefined;
  private vs: Vals = undefined;
  private vp: Vals = undefined;
  private sp: Ports = undefined;
  private x: Extra | undefined = undefined;

  constructor(private readonly params: EntryParams) {}

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
      const w = this.params.srvWeight;
      const t = this.values(SRV);
      const p = this.srvPorts();
      x.srvCache = t.map((target, i) => ({ priority: 0, weight: w, port: p[i]!, target }));
    }
    return x.srvCache;
  }

  /** Number of records (all kinds). */
  get size(): number {
    return len(this.va) + len(this.v6) + len(this.vs) + len(this.vp);
  }

  /** Values of one kind (internal view; do not mutate). */
  values(kind: Kind): readonly string[] {
    const v = this.get(kind);
    return v === undefined ? NONE : typeof v === 'string' ? [v] : v;
  }
  /** Values of one kind as stored: undefined, one inline string, or an array (no allocation). */
  raw(kind: Kind): string | readonly string[] | undefined {
    return this.get(kind);
  }
  /** SRV ports as stored, parallel to raw(SRV). */
  rawPorts(): number | readonly number[] | undefined {
    return this.sp;
  }
  srvPorts(): readonly number[] {
    const p = this.sp;
    return p === undefined ? NONE : typeof p === 'number' ? [p] : p;
  }

  /** Adds one reference; true when the record is new. */
  add(kind: Kind, value: string, port: number): boolean {
    const v = this.get(kind);
    if (v === undefined) {
      this.set(kind, value);
      if (kind === SRV) this.sp = port;
      this.changed(kind);
      if (this.x?.index) this.x.index.set(key(kind, value, port), 0);
      return true;
    }
    const i = this.find(kind, v, value, port);
    if (i >= 0) {
      const x = this.extra();
      let c = x.counts[kind];
      if (!c) c = x.counts[kind] = new Array<number>(len(v)).fill(1);
      c[i]!++;
      return false;
    }
    // Append (an inline single value becomes a two-element array).
    let n: number;
    if (typeof v === 'string') {
      this.set(kind, [v, value]);
      if (kind === SRV) this.sp = [this.sp as number, port];
      n = 2;
    } else if (v.length < EXACT_UNTIL) {
      const grown = appended(v, value);
      this.set(kind, grown);
      if (kind === SRV) this.sp = appended(this.sp as number[], port);
      n = grown.length;
    } else {
      n = v.push(value);
      if (kind === SRV) (this.sp as number[]).push(port);
    }
    this.x?.counts[kind]?.push(1);
    this.changed(kind);
    if (this.x?.index) this.x.index.set(key(kind, value, port), n - 1);
    else if (this.size >= INDEX_AT) this.buildIndex();
    return true;
  }

  /** Drops one reference; true when the record is gone. */
  remove(kind: Kind, value: string, port: number): boolean {
    const v = this.get(kind);
    if (v === undefined) return false;
    const i = this.find(kind, v, value, port);
    if (i < 0) return false;
    const c = this.x?.counts[kind];
    if (c && c[i]! > 1) {
      c[i]!--;
      return false;
    }
    this.x?.index?.delete(key(kind, value, port));
    if (typeof v === 'string') {
      this.set(kind, undefined);
      if (kind === SRV) this.sp = undefined;
      if (this.x) this.x.counts[kind] = undefined;
      this.changed(kind);
      return true;
    }
    // Swap-remove: order carries no meaning (answers are shuffled, listings sorted).
    const lastI = v.length - 1;
    const p = kind === SRV ? (this.sp as number[]) : undefined;
    if (i !== lastI) {
      v[i] = v[lastI]!;
      if (c) c[i] = c[lastI]!;
      if (p) p[i] = p[lastI]!;
      this.x?.index?.set(key(kind, v[i]!, p ? p[i]! : 0), i);
    }
    v.pop();
    c?.pop();
    p?.pop();
    if (v.length === 1) {
      // back to the inline form
      this.set(kind, v[0]);
      if (p) this.sp = p[0];
      // keep the survivor's count (inline values still have a one-element counts array)
      if (this.x) this.x.counts[kind] = c && c[0]! > 1 ? [c[0]!] : undefined;
    }
    this.changed(kind);
    return true;
  }

  /** Trims the arrays that grew by push to their length (after a full build). */
  compact(): void {
    for (const k of [A, AAAA, SRV, PTR] as const) {
      const v = this.get(k);
      if (typeof v === 'object' && v.length >= EXACT_UNTIL) this.set(k, v.slice());
    }
    if (typeof this.sp === 'object' && this.sp.length >= EXACT_UNTIL) this.sp = this.sp.slice();
  }

  private get(kind: Kind): Vals {
    return kind === A ? this.va : kind === AAAA ? this.v6 : kind === SRV ? this.vs : this.vp;
  }
  private set(kind: Kind, v: Vals): void {
    if (kind === A) this.va = v;
    else if (kind === AAAA) this.v6 = v;
    else if (kind === SRV) this.vs = v;
    else this.vp = v;
  }
  private extra(): Extra {
    return (this.x ??= { counts: [undefined, undefined, undefined, undefined] });
  }
  private changed(kind: Kind): void {
    if (kind === SRV && this.x) this.x.srvCache = undefined;
  }

  private find(kind: Kind, v: string | string[], value: string, port: number): number {
    if (typeof v === 'string') return v === value && (kind !== SRV || this.sp === port) ? 0 : -1;
    const idx = this.x?.index;
    if (idx) return idx.get(key(kind, value, port)) ?? -1;
    if (kind === SRV) {
      const p = this.sp as number[];
      for (let i = 0; i < v.length; i++) if (v[i] === value && p[i] === port) return i;
      return -1;
    }
    return v.indexOf(value);
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
