// Beacon DNS's Prometheus metrics (prom-client, one registry per service so several services can
// run in one process, e.g. in tests): queries by type and rcode and their latency (fed by the DNS
// server's onQuery observer), rate-limited responses (its onRateLimited observer), state refreshes, state age, record counts, skipped state items.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RECORD_TYPES, type RecordCounts } from '../records/record-types.js';

/** What the DNS server reports per query (structurally the same as dns/'s QueryInfo). */
export interface QueryObservation {
  qtype: string;
  rcode: string;
  transport: string;
  forwarded: boolean;
  durationSeconds: number;
}

/** Read at scrape time, so gauges are never stale between refreshes. */
export interface MetricsSnapshotSource {
  /** ms since the epoch of the served state's fetch, undefined before the first load. */
  stateFetchedAt(): number | undefined;
  recordCounts(): RecordCounts | undefined;
  /** Health filtering: tasks left out of job-level names now, fail-open lookups so far. */
  health?(): { tasksLeftOut: number; failOpenAnswers: number } | undefined;
}

export interface ServiceMetricsOptions {
  /** Also export process_* and nodejs_* metrics. Default true. */
  processMetrics?: boolean;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly queries: Counter<'qtype' | 'rcode' | 'transport'>;
  private readonly latency: Histogram<'forwarded'>;
  private readonly refreshes: Counter<'result'>;
  private readonly skipped: Gauge;
  private readonly skippedTotal: Counter;
  private readonly changes: Counter<'event'>;
  private readonly rrlDropped: Counter;
  private readonly reloads: Counter<'result'>;
  private readonly rrlSlipped: Counter;

  constructor(source: MetricsSnapshotSource, options: ServiceMetricsOptions = {}) {
    const registers = [this.registry];
    this.queries = new Counter({
      name: 'beacon_dns_queries_total',
      help: 'DNS queries answered, by query type, response code and transport',
      labelNames: ['qtype', 'rcode', 'transport'],
      registers,
    });
    this.latency = new Histogram({
      name: 'beacon_dns_query_duration_seconds',
      help: 'Time from receiving a query to sending its answer (forwarded: answered by an upstream resolver)',
      labelNames: ['forwarded'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
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
      help: 'Name lookups answered with unhealthy tasks because none behind the name was healthy',
      registers,
      collect() {
        this.reset();
        this.inc(source.health?.()?.failOpenAnswers ?? 0);
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
    this.rrlDropped = new Counter({
      name: 'beacon_dns_rrl_dropped_total',
      help: 'UDP responses not sent because the client netblock was over rrlResponsesPerSecond',
      registers,
    });
    this.rrlSlipped = new Counter({
      name: 'beacon_dns_rrl_slipped_total',
      help: 'Rate-limited UDP queries answered with an empty TC=1 response (rrlSlip) so real clients retry over TCP',
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  // Label children cached per combination (qtype → rcode|transport): this runs once per DNS
  // query, and resolving a label set (hashing the label object) costs more than the increment.
  private readonly queryChildren = new Map<string, Map<string, { inc(): void }>>();
  private latencyLocal: { observe(v: number): void } | undefined;
  private latencyForwarded: { observe(v: number): void } | undefined;

  /** The DNS server's onQuery observer. */
  observeQuery = (q: QueryObservation): void => {
    let byType = this.queryChildren.get(q.qtype);
    if (!byType) this.queryChildren.set(q.qtype, (byType = new Map()));
    const key = q.transport === 'udp' ? q.rcode : `${q.rcode}/${q.transport}`;
    let child = byType.get(key);
    if (!child) byType.set(key, (child = this.queries.labels(q.qtype, q.rcode, q.transport)));
    child.inc();
    if (q.forwarded) {
      (this.latencyForwarded ??= this.latency.labels('true')).observe(q.durationSeconds);
    } else {
      (this.latencyLocal ??= this.latency.labels('false')).observe(q.durationSeconds);
    }
  };

  /** The DNS server's onRateLimited observer: one UDP response dropped or slipped. */
  observeRateLimited = (action: 'drop' | 'slip'): void => {
    (action === 'drop' ? this.rrlDropped : this.rrlSlipped).inc();
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
