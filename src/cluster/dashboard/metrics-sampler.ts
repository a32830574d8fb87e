// Samples the DNS service's Prometheus registry (through `read`: the DNS runs in a worker thread,
// see cluster/dns.ts) once a second for the dashboard's chart: queries
// per second (from the beacon_dns_queries_total counter, by type and rcode too) and the served
// state's age (beacon_state_age_seconds). A window of samples is kept so a page opened later has
// a history to draw; each new sample is handed to `onSample` (the live feed).
import type { Registry } from 'prom-client';

export interface MetricsSample {
  /** ms since the epoch. */
  at: number;
  /** DNS queries answered per second over the last interval. */
  qps: number;
  /** Seconds since the served state was fetched; null before the first load. */
  stateAge: number | null;
  /** Queries per second over the last interval by query type (A, SRV, …). */
  byType: Record<string, number>;
  /** Queries per second over the last interval by response code (NOERROR, NXDOMAIN, …). */
  byRcode: Record<string, number>;
}

const QUERIES = 'beacon_dns_queries_total';
const STATE_AGE = 'beacon_state_age_seconds';

/** What one read of the DNS service's registry gives: the query counter's series and the state age. */
export interface DnsSample {
  queries: Array<{ qtype: string; rcode: string; value: number }>;
  /** beacon_state_age_seconds (−1 before the first load). */
  stateAge: number | undefined;
}

/** Reads a DnsSample from a DNS service's registry (where the service runs). */
export async function readDnsSample(registry: Registry): Promise<DnsSample> {
  const q = await registry.getSingleMetric(QUERIES)?.get();
  const age = (await registry.getSingleMetric(STATE_AGE)?.get())?.values[0]?.value;
  return {
    queries: (q?.values ?? []).map((v) => ({
      qtype: String(v.labels.qtype ?? '?'),
      rcode: String(v.labels.rcode ?? '?'),
      value: v.value,
    })),
    stateAge: age,
  };
}

export interface MetricsSamplerOptions {
  read: () => Promise<DnsSample>;
  onSample: (s: MetricsSample) => void;
  /** Default 1000 ms. */
  intervalMs?: number;
  /** Samples kept. Default 300 (five minutes at 1 s). */
  window?: number;
}

interface Totals {
  at: number;
  total: number;
  byType: Map<string, number>;
  byRcode: Map<string, number>;
}

export class MetricsSampler {
  private readonly o: MetricsSamplerOptions;
  private readonly samples: MetricsSample[] = [];
  private readonly timer: NodeJS.Timeout;
  private last: Totals | undefined;
  private busy = false;

  constructor(o: MetricsSamplerOptions) {
    this.o = o;
    this.timer = setInterval(() => void this.tick(), o.intervalMs ?? 1000);
    this.timer.unref();
    void this.tick();
  }

  /** The kept window, oldest first. */
  window(): MetricsSample[] {
    return [...this.samples];
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<{ totals: Totals; stateAge: number | null }> {
    const totals: Totals = { at: Date.now(), total: 0, byType: new Map(), byRcode: new Map() };
    const { queries, stateAge: age } = await this.o.read();
    for (const v of queries) {
      totals.total += v.value;
      totals.byType.set(v.qtype, (totals.byType.get(v.qtype) ?? 0) + v.value);
      totals.byRcode.set(v.rcode, (totals.byRcode.get(v.rcode) ?? 0) + v.value);
    }
    return { totals, stateAge: age === undefined || age < 0 ? null : age };
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      let read: Awaited<ReturnType<MetricsSampler['read']>>;
      try {
        read = await this.read();
      } catch {
        return; // the DNS service is gone or closing: no sample this time
      }
      const { totals, stateAge } = read;
      const prev = this.last;
      this.last = totals;
      if (!prev) return; // the first read is the baseline of the first rate
      const secs = Math.max(0.001, (totals.at - prev.at) / 1000);
      const rate = (now: Map<string, number>, before: Map<string, number>) => {
        const out: Record<string, number> = {};
        for (const [k, v] of now) {
          const r = (v - (before.get(k) ?? 0)) / secs;
          if (r > 0) out[k] = round(r);
        }
        return out;
      };
      const sample: MetricsSample = {
        at: totals.at,
        qps: round(Math.max(0, totals.total - prev.total) / secs),
        stateAge: stateAge === null ? null : round(stateAge),
        byType: rate(totals.byType, prev.byType),
        byRcode: rate(totals.byRcode, prev.byRcode),
      };
      this.samples.push(sample);
      const max = this.o.window ?? 300;
      if (this.samples.length > max) this.samples.splice(0, this.samples.length - max);
      this.o.onSample(sample);
    } finally {
      this.busy = false;
    }
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
