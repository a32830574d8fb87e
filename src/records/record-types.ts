// The one home of Beacon's record types: their kinds (small integers the record store indexes
// by), names, keys in NameRecords and count shapes. Files that count, list or label records
// import them from here; adding a record type means this file, the generator that makes it
// (task-records / cluster-records) and the DNS wire codec (dns/codec/rr.ts, dns/answer.ts).

export const A = 0;
export const AAAA = 1;
export const SRV = 2;
export const PTR = 3;
export type Kind = typeof A | typeof AAAA | typeof SRV | typeof PTR;

export interface RecordType<K extends Kind = Kind> {
  kind: K;
  /** The DNS type mnemonic. */
  name: string;
  /** The field of NameRecords and of RecordCounts. */
  key: string;
}

/** Every record type, indexed by kind. */
export const RECORD_TYPES = [
  { kind: A, name: 'A', key: 'a' },
  { kind: AAAA, name: 'AAAA', key: 'aaaa' },
  { kind: SRV, name: 'SRV', key: 'srv' },
  { kind: PTR, name: 'PTR', key: 'ptr' },
] as const satisfies readonly RecordType[];

export type RecordTypeName = (typeof RECORD_TYPES)[number]['name'];
export type RecordKey = (typeof RECORD_TYPES)[number]['key'];

/** Type mnemonics by kind. */
export const KIND_NAMES: readonly RecordTypeName[] = RECORD_TYPES.map((t) => t.name);

/** Number of records of each type. */
export type RecordCounts = Record<RecordKey, number>;

/** Counts from per-kind totals (an array indexed by kind). */
export function countsOf(totals: readonly number[]): RecordCounts {
  const c = {} as RecordCounts;
  for (const t of RECORD_TYPES) c[t.key] = totals[t.kind] ?? 0;
  return c;
}

/** Adds `b` to `a` in place and returns `a`. */
export function addCounts(a: RecordCounts, b: Partial<RecordCounts>): RecordCounts {
  for (const t of RECORD_TYPES) a[t.key] += b[t.key] ?? 0;
  return a;
}
