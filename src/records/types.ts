// The record set: what the DNS server and HTTP API serve. Produced by records/ from Mesos state
// (and later from ServerSets); consumed read-only by dns/ and http/. Names are lowercase, fully
// qualified, with the trailing dot (`http_example.test.vagrant.aurora.mesos.`).
import type { RecordCounts, RecordKey } from './record-types.js';

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  /** Lowercase FQDN with trailing dot. */
  target: string;
}

/** Every record of one owner name. Arrays are never shared between names. */
export interface NameRecords {
  a: string[];
  aaaa: string[];
  srv: SrvData[];
  /** PTR targets (lowercase FQDNs with trailing dot), for `in-addr.arpa.` / `ip6.arpa.` owners. */
  ptr: string[];
  /** Record types answered with unhealthy tasks' records because no healthy task behind the name
   *  makes that type (healthFailOpen); absent when none is. Reading is not counting: the readers
   *  that answer clients count what they send from these (beacon_health_failopen_answers_total). */
  failOpen?: FailOpen;
}

/** The record types of one name that failed open (PTRs are never health-filtered). */
export type FailOpen = Partial<Record<Exclude<RecordKey, 'ptr'>, true>>;

/** Zone parameters the server needs next to the records (SOA, TTLs, apex). */
export interface ZoneInfo {
  /** The authoritative domain, lowercase, no trailing dot (default `mesos`). */
  domain: string;
  ttl: number;
  soa: {
    mname: string;
    rname: string;
    serial: number;
    refresh: number;
    retry: number;
    expire: number;
    minttl: number;
  };
}

/**
 * A complete, consistent set of records. Readers hold a reference to one RecordSet; a refresh
 * builds a new one and swaps the reference (or applies an incremental update synchronously), so a
 * query never sees half a refresh.
 */
export interface RecordSet {
  readonly zone: ZoneInfo;
  /** Records of a lowercase FQDN (trailing dot), or undefined when the name has none. */
  get(name: string): NameRecords | undefined;
  /** True when the name exists as an owner or as an ancestor of an owner (empty non-terminal):
   *  distinguishes NODATA from NXDOMAIN. */
  exists(name: string): boolean;
  /** All owner names, in no particular order. */
  names(): IterableIterator<string>;
  /** Number of records of each type. */
  counts(): RecordCounts;
  /** Calls `f` with every name of names() and what get() answers for it, in no order: for
   *  zone-wide readers (listings, the zone journal), where a set that makes records when asked
   *  can make them in bulk. Absent: names() and get(). */
  each?(f: (name: string, records: NameRecords) => void): void;
}

/**
 * A RecordSet that knows some names' answers before it knows the whole zone (EarlySet, while the
 * first full build runs). A reader asks covers(name) first and answers from it only then: for a
 * name it does not cover, get() and exists() say nothing (no NXDOMAIN can be told yet).
 */
export interface PartialRecordSet extends RecordSet {
  covers(name: string): boolean;
}

/** rs.each, or names() and get() where a set has no bulk path. */
export function eachName(rs: RecordSet, f: (name: string, records: NameRecords) => void): void {
  if (rs.each) {
    rs.each(f);
    return;
  }
  for (const name of rs.names()) {
    const r = rs.get(name);
    if (r) f(name, r);
  }
}
