// Query statistics of the DNS server in plain integers: answered queries by (type, rcode,
// transport), answer latency in fixed buckets, rate-limited responses. The server bumps array
// slots per query (no objects, no strings, no label hashing); a metrics registry reads the totals
// at scrape time (http/metrics.ts, from a prom-client `collect` callback).
import { QTYPE, qtypeName, rcodeName } from './codec/constants.js';

/** Latency bucket upper bounds, seconds (the beacon_dns_query_duration_seconds histogram). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5,
];

/** Query types with their own label; every other type counts as OTHER, a missing question NONE. */
const TYPES: readonly number[] = [...new Set(Object.values(QTYPE))];
const TYPE_INDEX = new Int16Array(65536).fill(TYPES.length);
TYPES.forEach((t, i) => (TYPE_INDEX[t] = i));
const OTHER = TYPES.length;
/** Index of "no question was read" (FORMERR/NOTIMP before the question). */
export const QTYPE_NONE = -1;
const NONE = TYPES.length + 1;
const NTYPES = TYPES.length + 2;
/** rcodes 0-15 (4-bit header rcode, what upstreams may relay) and 16 (BADVERS). */
const NRCODES = 17;

export type TransportIndex = 0 | 1;
export const UDP: TransportIndex = 0;
export const TCP: TransportIndex = 1;

export class DnsStats {
  /** Answered queries: [type][rcode][transport], flattened. */
  private readonly queries = new Float64Array(NTYPES * NRCODES * 2);
  /** Latency bucket counts (not cumulative) for local (0) and forwarded (1) answers, plus +Inf. */
  private readonly buckets = [
    new Float64Array(LATENCY_BUCKETS.length + 1),
    new Float64Array(LATENCY_BUCKETS.length + 1),
  ];
  private readonly sums = new Float64Array(2);
  private readonly counts = new Float64Array(2);
  rrlDropped = 0;
  rrlSlipped = 0;
  /** UDP answers the kernel would not take (send buffer full): lost like any UDP datagram. */
  udpSendFailed = 0;
  /** Answers sent whose records failed open (unhealthy tasks, none healthy behind the name and
   *  type): every one, cache hits included. Zone transfers are not answers and never count. */
  failOpenAnswers = 0;

  readonly latencyBuckets = LATENCY_BUCKETS;

  /** One answered query; `qtype` QTYPE_NONE when no question was read. */
  query(qtype: number, rcode: number, transport: TransportIndex): void {
    const t = qtype === QTYPE_NONE ? NONE : TYPE_INDEX[qtype & 0xffff];
    const r = rcode >= 0 && rcode < NRCODES ? rcode : 2;
    this.queries[(t * NRCODES + r) * 2 + transport]++;
  }

  /** `n` answers that each took `seconds` from being read to being sent. */
  latency(forwarded: boolean, seconds: number, n = 1): void {
    const f = forwarded ? 1 : 0;
    const b = this.buckets[f];
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    b[i] += n;
    this.sums[f] += seconds * n;
    this.counts[f] += n;
  }

  /** Visits every (qtype, rcode, transport) counted so far with its total. */
  forEachQuery(visit: (qtype: string, rcode: string, transport: string, n: number) => void): void {
    const q = this.queries;
    for (let t = 0; t < NTYPES; t++) {
      const type = t === NONE ? 'NONE' : t === OTHER ? 'OTHER' : qtypeName(TYPES[t]);
      for (let r = 0; r < NRCODES; r++) {
        const base = (t * NRCODES + r) * 2;
        if (q[base] > 0) visit(type, rcodeName(r), 'udp', q[base]);
        if (q[base + 1] > 0) visit(type, rcodeName(r), 'tcp', q[base + 1]);
      }
    }
  }

  /** Latency histogram of local or forwarded answers: non-cumulative bucket counts (last: +Inf). */
  latencyOf(forwarded: boolean): { buckets: ArrayLike<number>; sum: number; count: number } {
    const f = forwarded ? 1 : 0;
    return { buckets: this.buckets[f], sum: this.sums[f], count: this.counts[f] };
  }
}
