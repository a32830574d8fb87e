// A Sink that only collects records, into flat arrays (one slot per record, one id per owner
// name), and sorts them once: what a one-shot listing needs instead of MemRecordSet's per-name
// entries, reference counts and per-task bookkeeping (`beacon records` on 50,000 tasks makes
// 1.65 million records and lists each once).
import { MAX_NAME } from './labels.js';
import type { Kind } from './record-types.js';
import type { Sink } from './task-records.js';

/** Records sorted for listing: owner names by code unit order; within a name A, AAAA, SRV, PTR;
 *  values in order (SRV by target, then port); duplicates (the same record made twice) once. */
export interface SortedRecords {
  /** Calls `f` for every record in order. */
  forEach(f: (name: string, kind: Kind, value: string, port: number) => void): void;
}

// kind and port in one small integer, so sorting compares kind first and port last cheaply.
const PORT_BITS = 17;
const PORT_MASK = (1 << PORT_BITS) - 1;

export class RecordCollector implements Sink {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  // Per record: its name's id, kind and port, value. Typed arrays grown by doubling: pushing
  // numbers onto plain arrays of millions costs more than the records' generation.
  private nameOf = new Int32Array(1 << 16);
  private kindPort = new Int32Array(1 << 16);
  private readonly values: string[] = [];
  private count = 0;

  put(name: string, kind: Kind, value: string, port: number): void {
    if (name.length > MAX_NAME) return;
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    const i = this.count++;
    if (i === this.nameOf.length) this.grow();
    this.nameOf[i] = id;
    this.kindPort[i] = (kind << PORT_BITS) | port;
    this.values.push(value);
  }

  /** The kinds of record each of `names` has so far (one pass over the records). */
  kindsOf(names: ReadonlySet<string>): Map<string, Set<Kind>> {
    const out = new Map<string, Set<Kind>>();
    const want = new Map<number, string>();
    for (const n of names) {
      const id = this.ids.get(n);
      if (id !== undefined) want.set(id, n);
    }
    for (let i = 0; i < this.count; i++) {
      const n = want.get(this.nameOf[i]!);
      if (n === undefined) continue;
      let s = out.get(n);
      if (!s) out.set(n, (s = new Set()));
      s.add((this.kindPort[i]! >>> PORT_BITS) as Kind);
    }
    return out;
  }

  private grow(): void {
    const n = new Int32Array(this.nameOf.length * 2);
    n.set(this.nameOf);
    this.nameOf = n;
    const k = new Int32Array(n.length);
    k.set(this.kindPort);
    this.kindPort = k;
  }

  /** Sorts once: names by one string sort, records bucketed by their name's rank (counting sort);
   *  each name's few records are sorted in place as the walk reaches them (a second walk finds
   *  them sorted). */
  sorted(): SortedRecords {
    const { names, nameOf, kindPort, values, count } = this;
    const sortedNames = names.slice().sort();
    const rank = new Int32Array(names.length);
    for (let r = 0; r < sortedNames.length; r++) rank[this.ids.get(sortedNames[r]!)!] = r;
    const start = new Int32Array(names.length + 1);
    for (let i = 0; i < count; i++) start[rank[nameOf[i]!]! + 1]!++;
    for (let r = 0; r < names.length; r++) start[r + 1]! += start[r]!;
    const fill = start.slice(0, names.length);
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[fill[rank[nameOf[i]!]!]!++] = i;
    const before = (x: number, y: number): boolean => {
      const kx = kindPort[x]! >>> PORT_BITS;
      const ky = kindPort[y]! >>> PORT_BITS;
      if (kx !== ky) return kx < ky;
      const vx = values[x]!;
      const vy = values[y]!;
      return vx !== vy ? vx < vy : kindPort[x]! < kindPort[y]!;
    };
    return {
      forEach(f) {
        for (let r = 0; r < sortedNames.length; r++) {
          const s = start[r]!;
          const e = start[r + 1]!;
          sortRange(order, s, e, before);
          const name = sortedNames[r]!;
          let prev = -1;
          for (let j = s; j < e; j++) {
            const i = order[j]!;
            if (prev >= 0 && kindPort[i] === kindPort[prev] && values[i] === values[prev]) continue;
            prev = i;
            const kp = kindPort[i]!;
            f(name, (kp >>> PORT_BITS) as Kind, values[i]!, kp & PORT_MASK);
          }
        }
      },
    };
  }
}

// Insertion sort for the usual handful of records per name; the built-in sort for big names.
function sortRange(
  order: Int32Array,
  s: number,
  e: number,
  before: (x: number, y: number) => boolean,
): void {
  if (e - s > 32) {
    const part = Array.from(order.subarray(s, e)).sort((x, y) =>
      before(x, y) ? -1 : before(y, x) ? 1 : 0,
    );
    order.set(part, s);
    return;
  }
  for (let i = s + 1; i < e; i++) {
    const v = order[i]!;
    let j = i - 1;
    for (; j >= s && before(v, order[j]!); j--) order[j + 1] = order[j]!;
    order[j + 1] = v;
  }
}
