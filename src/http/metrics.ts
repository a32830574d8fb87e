// Beacon DNS's Prometheus metrics (prom-client, one registry per service so several services can
// run in one process, e.g. in tests): queries by type and rcode and their latency, rate-limited
// responses, state refreshes, state age, record counts, skipped state items. The DNS figures are
// counted by the DNS server in plain integers (dns/stats.ts) and read here at scrape time through
// `collect` callbacks (attachDnsStats), so a query costs no prom-client work; the per-query
// observers (observeQuery, observeRateLimited) remain for callers that report queries themselves.
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { RECORD_TYPES, type RecordCounts } from '../records/record-types.js';
import type { SourceStats } from '../sources/source-stats.js';
import { registerSourceMetrics } from './source-metrics.js';

/** What the DNS server reports per query (structurally the same as dns/'s QueryInfo). */
export interface QueryObservation {
  qtype: string;
  rcode: string;
  transport: string;
  forwarded: boolean;
  durationSeconds: number;
}

/** The DNS server's integer statistics (structurally dns/stats.ts's DnsStats), read at scrape time. */
export interface DnsStatsSource {
  forEachQuery(visit: (qtype: string, rcode: string, transport: string, n: number) => void): void;
  /** Upper bounds (s) of the latency buckets. */
  readonly latencyBuckets: readonly number[];
  /** Non-cumulative counts per bucket, then +Inf; sum of seconds; count. */
  latencyOf(forwarded: boolean): { buckets: ArrayLike<number>; sum: number; count: number };
  readonly rrlDropped: number;
  readonly rrlSlipped: number;
  /** UDP answers the kernel did not take (send buffer full, unreachable peer). */
  readonly udpSendFailed?: number;
  /** Answers sent with records of unhealthy tasks because none behind the name was healthy. */
  readonly failOpenAnswers?: number;
}

const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5,
];

/** Totals reported through the per-query observers, in the same shape as the DNS server's. */
class ObservedTotals implements DnsStatsSource {
  readonly counts = new Map<string, { q: string; r: string; t: string; n: number }>();
  readonly latencyBuckets = LATENCY_BUCKETS;
  readonly lat = [0, 1].map(() => ({
    buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
    sum: 0,
    count: 0,
  }));
  rrlDropped = 0;
  rrlSlipped = 0;
  failOpenAnswers = 0;
  forEachQuery(visit: (qtype: string, rcode: string, transport: string, n: number) => void): void {
    for (const c of this.counts.values()) visit(c.q, c.r, c.t, c.n);
  }
  latencyOf(forwarded: boolean): { buckets: ArrayLike<number>; sum: number; count: number } {
    return this.lat[forwarded ? 1 : 0];
  }
}

/**
 * A histogram whose bucket counts are read from integer sources at scrape time (prom-client's
 * Histogram can only be fed one observation at a time). Registered as a prom-client metric.
 */
class CollectedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly sources: readonly DnsStatsSource[],
  ) {}
  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] =
      [];
    for (const forwarded of [false, true]) {
      const bounds = LATENCY_BUCKETS;
      const counts = new Array<number>(bounds.length + 1).fill(0);
      let sum = 0;
      let count = 0;
      for (const s of this.sources) {
        const l = s.latencyOf(forwarded);
        for (let i = 0; i <= bounds.length; i++) counts[i] += l.buckets[i] ?? 0;
        sum += l.sum;
        count += l.count;
      }
      const f = String(forwarded);
      let acc = 0;
      for (let i = 0; i < bounds.length; i++) {
        acc += counts[i];
        values.push({
          labels: { le: bounds[i], forwarded: f },
          value: acc,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({
        labels: { le: '+Inf', forwarded: f },
        value: count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: { forwarded: f }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { forwarded: f }, value: count, metricName: `${this.name}_count` });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }
}

/** Read at scrape time, so gauges are never stale between refreshes. */
export interface MetricsSnapshotSource {
  /** ms since the epoch of the served state's fetch, undefined before the first load. */
  stateFetchedAt(): number | undefined;
  recordCounts(): RecordCounts | undefined;
  /** Health filtering: tasks left out of job-level names now. */
  health?(): { tasksLeftOut: number } | undefined;
  /** Zone transfers and NOTIFY (undefined when not configured). */
  transfers?(): TransferMetricsSource | undefined;
}

export interface ServiceMetricsOptions {
  /** Also export process_* and nodejs_* metrics. Default true. */
  processMetrics?: boolean;
  /** The sources' ZooKeeper-session and event-stream figures (source-metrics.ts). */
  sources?: SourceStats;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Where the DNS figures come from: the observers' totals, then attached DNS servers. */
  private readonly observed = new ObservedTotals();
  private readonly dnsSources: DnsStatsSource[] = [this.observed];
  private readonly refreshes: Counter<'result'>;
  private readonly skipped: Gauge;
  private readonly skippedTotal: Counter;
  private readonly changes: Counter<'event'>;
  private readonly reloads: Counter<'result'>;

  constructor(source: MetricsSnapshotSource, options: ServiceMetricsOptions = {}) {
    const registers = [this.registry];
    const sources = this.dnsSources;
    new Counter({
      name: 'beacon_dns_queries_total',
      help: 'DNS queries answered, by query type, response code and transport',
      labelNames: ['qtype', 'rcode', 'transport'],
      registers,
      collect() {
        this.reset();
        for (const s of sources)
          s.forEachQuery((qtype, rcode, transport, n) => this.inc({ qtype, rcode, transport }, n));
      },
    });
    this.registry.registerMetric(
      new CollectedHistogram(
        'beacon_dns_query_duration_seconds',
        'Time from receiving a query to sending its answer (forwarded: answered by an upstream resolver)',
        sources,
      ) as unknown as Metric,
    );
    this.refreshes = new Counter({
      name: 'beacon_state_refreshes_total',
      help: 'State loads by result (ok: records swapped in; failed: last good records kept)',
      labelNames: ['result'],
      registers,
    });
    // Both results exist from the start, so rate() works before the first failure.
    this.refreshes.inc({ result: 'ok' }, 0);
    this.refreshes.inc({ result: 'failed' }, 0);
    this.reloads = new Counter({
      name: 'beacon_config_reloads_total',
      help: 'Config reloads (SIGHUP) by result (ok: applied; failed: the old config kept serving)',
      labelNames: ['result'],
      registers,
    });
    this.reloads.inc({ result: 'ok' }, 0);
    this.reloads.inc({ result: 'failed' }, 0);
    new Gauge({
      name: 'beacon_state_age_seconds',
      help: 'Seconds since the served state was fetched (-1 before the first load)',
      registers,
      collect() {
        const at = source.stateFetchedAt();
        this.set(at === undefined ? -1 : Math.max(0, (Date.now() - at) / 1000));
      },
    });
    new Gauge({
      name: 'beacon_health_tasks_left_out',
      help: 'Running tasks left out of job-level names because their latest health check failed',
      registers,
      collect() {
        this.set(source.health?.()?.tasksLeftOut ?? 0);
      },
    });
    new Counter({
      name: 'beacon_health_failopen_answers_total',
      help: 'DNS answers and /v1/hosts, /v1/services replies sent with unhealthy tasks because no healthy task was behind the name and type (fail open); zone transfers not counted',
      registers,
      collect() {
        // Counted where answers are sent (DNS servers, observeFailOpenAnswer): a replaced
        // server's count stays attached, so the counter never goes back.
        this.reset();
        this.inc(sources.reduce((n, s) => n + (s.failOpenAnswers ?? 0), 0));
      },
    });
    new Gauge({
      name: 'beacon_state_ready',
      help: '1 once a state has been loaded and records are served, else 0',
      registers,
      collect() {
        this.set(source.stateFetchedAt() === undefined ? 0 : 1);
      },
    });
    new Gauge({
      name: 'beacon_records',
      help: 'Records in the served set, by type',
      labelNames: ['type'],
      registers,
      collect() {
        const c = source.recordCounts();
        this.reset();
        if (!c) return;
        for (const t of RECORD_TYPES) this.set({ type: t.name }, c[t.key]);
      },
    });
    this.skipped = new Gauge({
      name: 'beacon_state_skipped_items',
      help: 'Items (tasks, agents, port ranges) skipped as unusable in the served state',
      registers,
    });
    this.skippedTotal = new Counter({
      name: 'beacon_state_skipped_items_total',
      help: 'Items skipped as unusable, summed over every state loaded',
      registers,
    });
    this.changes = new Counter({
      name: 'beacon_state_changes_total',
      help: 'Incremental changes from the v1 event stream applied to the served records, by event',
      labelNames: ['event'],
      registers,
    });
    new Counter({
      name: 'beacon_dns_rrl_dropped_total',
      help: 'UDP responses not sent because the client netblock was over rrlResponsesPerSecond',
      registers,
      collect() {
        this.reset();
        this.inc(sources.reduce((n, s) => n + s.rrlDropped, 0));
      },
    });
    new Counter({
      name: 'beacon_dns_udp_send_failed_total',
      help: 'UDP answers the kernel did not accept (socket send buffer full or peer unreachable); lost like any UDP datagram',
      registers,
      collect() {
        this.reset();
        this.inc(sources.reduce((n, s) => n + (s.udpSendFailed ?? 0), 0));
      },
    });
    new Counter({
      name: 'beacon_dns_rrl_slipped_total',
      help: 'Rate-limited UDP queries answered with an empty TC=1 response (rrlSlip) so real clients retry over TCP',
      registers,
      collect() {
        this.reset();
        this.inc(sources.reduce((n, s) => n + s.rrlSlipped, 0));
      },
    });
    registerTransferMetrics(registers, source);

    // ---- Sources: ZooKeeper sessions and the v1 event stream ----
    if (options.sources) registerSourceMetrics(this.registry, options.sources);
    // ---- end of the sources block ----

    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Reads a DNS server's statistics at every scrape (the cheap way: the server counts integers).
   * Do not also pass observeQuery/observeRateLimited to that server, or its queries count twice.
   */
  attachDnsStats(stats: DnsStatsSource): void {
    if (stats.latencyBuckets.join() !== LATENCY_BUCKETS.join())
      throw new Error('DNS latency buckets differ from the histogram buckets');
    if (!this.dnsSources.includes(stats)) this.dnsSources.push(stats);
  }

  /** A per-query observer (DnsServerOptions.onQuery shape), for callers without attachDnsStats. */
  observeQuery = (q: QueryObservation): void => {
    const o = this.observed;
    const key = `${q.qtype}|${q.rcode}|${q.transport}`;
    const c = o.counts.get(key);
    if (c) c.n++;
    else o.counts.set(key, { q: q.qtype, r: q.rcode, t: q.transport, n: 1 });
    const l = o.lat[q.forwarded ? 1 : 0];
    let i = 0;
    while (i < LATENCY_BUCKETS.length && q.durationSeconds > LATENCY_BUCKETS[i]) i++;
    l.buckets[i]++;
    l.sum += q.durationSeconds;
    l.count++;
  };

  /** One HTTP API reply (/v1/hosts, /v1/services) sent with fail-open records. */
  observeFailOpenAnswer = (): void => {
    this.observed.failOpenAnswers++;
  };

  /** The DNS server's onRateLimited observer: one UDP response dropped or slipped. */
  observeRateLimited = (action: 'drop' | 'slip'): void => {
    if (action === 'drop') this.observed.rrlDropped++;
    else this.observed.rrlSlipped++;
  };

  refreshOk(skippedItems: number): void {
    this.refreshes.inc({ result: 'ok' });
    this.skipped.set(skippedItems);
    this.skippedTotal.inc(skippedItems);
  }

  /** One incremental change from the event stream applied (`event`: TASK_UPDATED, …). */
  changeApplied(event: string): void {
    this.changes.inc({ event });
  }

  configReloaded(result: 'ok' | 'failed'): void {
    this.reloads.inc({ result });
  }

  refreshFailed(): void {
    this.refreshes.inc({ result: 'failed' });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

// ---- zone transfers (AXFR/IXFR/NOTIFY, issue 12) -------------------------------------------------

/** What the zone-transfer side reports (structurally service/transfers.ts's TransferStatus). */
export interface TransferMetricsSource {
  serial: number | undefined;
  records: number;
  history: number;
  inProgress: number;
  xfr: {
    forEach(visit: (type: string, result: string, n: number) => void): void;
    bytes: number;
    messages: number;
  };
  notify: { sent: number; acked: number; retried: number };
  syncs: number;
  syncSeconds: number;
}

/** Transfer metrics, read at scrape time; all zero (and serial -1) without transfers. */
function registerTransferMetrics(registers: Registry[], source: MetricsSnapshotSource): void {
  const t = () => source.transfers?.();
  new Counter({
    name: 'beacon_xfr_requests_total',
    help: 'Zone transfer requests by type (axfr, ixfr) and result (full: whole zone; incremental; uptodate; refused: client not in allowTransfer; notauth; servfail; formerr; aborted: client went away)',
    labelNames: ['type', 'result'],
    registers,
    collect() {
      this.reset();
      t()?.xfr.forEach((type, result, n) => this.inc({ type, result }, n));
    },
  });
  new Counter({
    name: 'beacon_xfr_bytes_total',
    help: 'Bytes of zone transfer messages written (TCP framing included)',
    registers,
    collect() {
      this.reset();
      this.inc(t()?.xfr.bytes ?? 0);
    },
  });
  new Gauge({
    name: 'beacon_xfr_in_progress',
    help: 'Zone transfers being streamed now',
    registers,
    collect() {
      this.set(t()?.inProgress ?? 0);
    },
  });
  new Gauge({
    name: 'beacon_xfr_serial',
    help: 'SOA serial given to secondaries (-1 before the first load or without transfers)',
    registers,
    collect() {
      this.set(t()?.serial ?? -1);
    },
  });
  new Gauge({
    name: 'beacon_xfr_journal_serials',
    help: 'Serials of differences held for IXFR',
    registers,
    collect() {
      this.set(t()?.history ?? 0);
    },
  });
  new Counter({
    name: 'beacon_xfr_journal_sync_seconds_total',
    help: 'Time spent comparing the served records with the journal copy',
    registers,
    collect() {
      this.reset();
      this.inc(t()?.syncSeconds ?? 0);
    },
  });
  const notify = new Counter({
    name: 'beacon_notify_total',
    help: 'NOTIFY messages to secondaries by outcome (sent, acked, retried: unanswered and sent again)',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const n = t()?.notify;
      for (const k of ['sent', 'acked', 'retried'] as const) this.inc({ outcome: k }, n?.[k] ?? 0);
    },
  });
  void notify;
}
