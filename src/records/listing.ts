// Sorted views of a record set: zone-file text (`beacon records`, golden tests), a JSON list, and
// Mesos-DNS's /v1/enumerate and /v1/axfr shapes. Sorting: owner names by code unit order; within
// a name A, AAAA, SRV, PTR; values in order (SRV by target, then port).
import { A, AAAA, KIND_NAMES, PTR, SRV, type Kind, type RecordTypeName } from './record-types.js';
import type { SortedRecords } from './collector.js';
import { Entry } from './entry.js';
import { type MemRecordSet, cmp } from './mem-record-set.js';
import type { OverlayRecordSet } from './overlay.js';
import { specId } from './task-records.js';
import { eachName, type NameRecords, type RecordSet } from './types.js';

export interface RecordLine {
  name: string;
  type: RecordTypeName;
  ttl: number;
  /** IP (A/AAAA), target FQDN (SRV, PTR). */
  data: string;
  /** SRV only. */
  priority?: number;
  weight?: number;
  port?: number;
}

const KINDS = [A, AAAA, SRV, PTR] as const;

/** Every name with what get() answers for it, sorted by name (zone-wide listings read the set
 *  in one bulk pass: see RecordSet.each). */
export function sortedRecords(rs: RecordSet): [string, NameRecords][] {
  const all: [string, NameRecords][] = [];
  eachName(rs, (name, r) => void all.push([name, r]));
  return all.sort((x, y) => cmp(x[0], y[0]));
}

const ONE = [0] as const;

// Sorted indices of one kind's values (SRV: by target, then port). Insertion sort: nearly all
// names hold a handful of values, and a comparator closure per name costs more than the sort.
function order(vals: readonly string[], ports: readonly number[] | undefined): readonly number[] {
  const n = vals.length;
  if (n === 1) return ONE;
  if (n > 32) {
    const idx = vals.map((_, i) => i);
    return idx.sort((x, y) => cmp(vals[x]!, vals[y]!) || (ports ? ports[x]! - ports[y]! : 0));
  }
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = vals[i]!;
    const p = ports ? ports[i]! : 0;
    let j = i - 1;
    for (; j >= 0; j--) {
      const w = vals[idx[j]!]!;
      if (w < v || (w === v && (ports ? ports[idx[j]!]! : 0) <= p)) break;
      idx[j + 1] = idx[j]!;
    }
    idx[j + 1] = i;
  }
  return idx;
}

/** Calls `f` for every record in sorted order. */
export function forEachRecord(
  rs: RecordSet,
  f: (name: string, kind: Kind, value: string, port: number) => void,
): void {
  for (const [name, r] of sortedRecords(rs))
    for (const kind of KINDS) forEachValue(r, kind, (value, port) => f(name, kind, value, port));
}

/** What DNS serves, for listings: the state's set and, when ServerSet records lie over it, the
 *  overlay (whose base is `state`). */
export interface ServedView {
  state: MemRecordSet;
  overlay?: OverlayRecordSet;
}

/** Calls `f` with each record of one kind of a name's records, in listing order. An Entry is read
 *  without building answer objects (SrvData would stay cached on a long-lived entry). */
export function forEachValue(
  r: NameRecords,
  kind: Kind,
  f: (value: string, port: number) => void,
): void {
  let vals: readonly string[];
  let ports: readonly number[] | undefined;
  if (r instanceof Entry) {
    vals = r.values(kind);
    ports = kind === SRV ? r.srvPorts() : undefined;
  } else if (kind === SRV) {
    vals = r.srv.map((s) => s.target);
    ports = r.srv.map((s) => s.port);
  } else vals = kind === A ? r.a : kind === AAAA ? r.aaaa : r.ptr;
  if (vals.length === 0) return;
  for (const i of order(vals, ports)) f(vals[i]!, ports ? ports[i]! : 0);
}

/** A record set's records in listing order. */
function sortedView(rs: MemRecordSet): SortedRecords {
  return { forEach: (f) => forEachRecord(rs, f) };
}

/** Every record as one zone-file line (`name TTL IN TYPE rdata`), handed to `write` in chunks of
 *  about `chunkSize` characters (a 50,000-task zone is ~175 MB: one string per line is slow). */
export function writeZone(
  rs: MemRecordSet,
  write: (chunk: string) => void,
  chunkSize = 1 << 20,
): void {
  writeZoneLines(sortedView(rs), rs.zone.ttl, rs.config.srvWeight, write, chunkSize);
}

/** writeZone for sorted records (a one-shot listing). */
export function writeZoneLines(
  records: SortedRecords,
  ttl: number,
  srvWeight: number,
  write: (chunk: string) => void,
  chunkSize = 1 << 20,
): void {
  const heads = KIND_NAMES.map((k) => ` ${ttl} IN ${k} `);
  heads[SRV] = ` ${ttl} IN SRV 0 ${srvWeight} `;
  let buf = '';
  // `name TTL IN TYPE ` once per name and type: a name's records are consecutive.
  let head = '';
  let headName = '';
  let headKind = -1;
  records.forEach((name, kind, value, port) => {
    if (name !== headName || kind !== headKind) {
      head = name + heads[kind]!;
      headName = name;
      headKind = kind;
    }
    buf += kind === SRV ? `${head}${port} ${value}\n` : `${head}${value}\n`;
    if (buf.length >= chunkSize) {
      write(buf);
      buf = '';
    }
  });
  if (buf !== '') write(buf);
}

export function zoneText(rs: MemRecordSet): string {
  const parts: string[] = [];
  writeZone(rs, (c) => parts.push(c));
  return parts.join('');
}

/** Every record as an object, sorted. */
export function recordList(rs: MemRecordSet): RecordLine[] {
  return recordLines(sortedView(rs), rs.zone.ttl, rs.config.srvWeight);
}

/** recordList for sorted records (a one-shot listing). */
export function recordLines(records: SortedRecords, ttl: number, srvWeight: number): RecordLine[] {
  const out: RecordLine[] = [];
  records.forEach((name, kind, value, port) => {
    if (kind === SRV)
      out.push({ name, type: 'SRV', ttl, data: value, priority: 0, weight: srvWeight, port });
    else out.push({ name, type: KIND_NAMES[kind], ttl, data: value });
  });
  return out;
}

export interface EnumerableRecord {
  name: string;
  /** IP, or `target:port` for SRV (Mesos-DNS's form). */
  host: string;
  rtype: Exclude<RecordTypeName, 'PTR'>;
}
export interface EnumerableTask {
  name: string;
  id: string;
  records: EnumerableRecord[];
}
export interface EnumerableFramework {
  name: string;
  tasks: EnumerableTask[];
}

/** One task's records as /v1/enumerate lists them: PTR left out, duplicates once, in
 *  generation order. */
export function enumerableRecords(
  rs: MemRecordSet,
  spec: Parameters<MemRecordSet['taskRecords']>[0],
): EnumerableRecord[] {
  const records: EnumerableRecord[] = [];
  const seen = new Set<string>();
  rs.taskRecords(spec, {
    put(name, kind, value, port) {
      if (kind === PTR) return;
      const host = kind === SRV ? `${value}:${port}` : value;
      const k = `${name} ${kind} ${host}`;
      if (seen.has(k)) return;
      seen.add(k);
      records.push({ name, host, rtype: KIND_NAMES[kind] as EnumerableRecord['rtype'] });
    },
  });
  return records;
}

/** Mesos-DNS's /v1/enumerate body: framework → task → the task's records (PTR left out, as
 *  Mesos-DNS has none). Frameworks and tasks in id order, records in generation order. */
export function enumerate(rs: MemRecordSet): { frameworks: EnumerableFramework[] } {
  const frameworks: EnumerableFramework[] = [];
  for (const g of rs.taskGroups()) {
    const tasks: EnumerableTask[] = [];
    for (const spec of g.tasks)
      tasks.push({ name: spec.name, id: specId(spec), records: enumerableRecords(rs, spec) });
    frameworks.push({ name: g.frameworkName, tasks });
  }
  return { frameworks };
}

/** The `Records` part of Mesos-DNS's /v1/axfr: name → values per type (SRV as `target:port`),
 *  names and values sorted. PTRs are Beacon's own addition (`PTRs`). */
export function axfrRecords(rs: MemRecordSet): {
  As: Record<string, string[]>;
  AAAAs: Record<string, string[]>;
  SRVs: Record<string, string[]>;
  PTRs: Record<string, string[]>;
} {
  const out = { As: {}, AAAAs: {}, SRVs: {}, PTRs: {} } as {
    As: Record<string, string[]>;
    AAAAs: Record<string, string[]>;
    SRVs: Record<string, string[]>;
    PTRs: Record<string, string[]>;
  };
  const maps = [out.As, out.AAAAs, out.SRVs, out.PTRs];
  forEachRecord(rs, (name, kind, value, port) => {
    const m = maps[kind]!;
    (m[name] ??= []).push(kind === SRV ? `${value}:${port}` : value);
  });
  return out;
}
