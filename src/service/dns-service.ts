// `beacon dns` as a module tests can start in-process: a state source feeds the record generator,
// each new record set is swapped into the DNS server and the HTTP API in one assignment, and
// health and metrics follow every refresh. A failed refresh keeps the last good set; nothing is
// served (DNS SERVFAIL, HTTP 503) before the first good one.
import { EventEmitter } from 'node:events';
import { recordsConfig, type Config } from '../config/mesos-dns.js';
import { createDnsServer, type DnsServer } from '../dns/index.js';
import { computeHealth, type HealthReport } from '../http/health.js';
import { ServiceMetrics } from '../http/metrics.js';
import { createHttpServer, type HttpServer } from '../http/server.js';
import { OverlayRecordSet } from '../records/overlay.js';
import type { RecordSet } from '../records/types.js';
import { ServersetSource } from '../sources/serversets.js';
import { logger } from '../log.js';
import type { MesosState } from '../model/mesos-state.js';
import { generateRecords, MemRecordSet } from '../records/index.js';
import type { RecordsConfig } from '../records/config.js';
import {
  applyStateChange,
  StreamStateSource,
  type ChangeMeta,
  type StateChange,
} from '../sources/stream.js';
import type { StateFailure, StateSnapshot, StateSource } from '../sources/types.js';
import { makeStateSource, type SourceChoice } from './make-source.js';

const log = logger('dns-service');

export interface DnsServiceOptions extends SourceChoice {
  /** The effective config (flags already applied, see withOverrides). */
  config: Config;
  /** Addresses of the SOAMname self record; default: derived from `listener`. */
  selfAddresses?: string[];
  /** Export process_* / nodejs_* metrics too. Default true. */
  processMetrics?: boolean;
}

/** One successful load, as reported by the `loaded` event. */
export interface LoadInfo {
  from: string;
  fetchedAt: number;
  warnings: string[];
  counts: { a: number; aaaa: number; srv: number; ptr: number };
}

export interface DnsServiceEvents {
  loaded: [LoadInfo];
  failed: [StateFailure];
  /** An incremental change from the event stream was applied to the served records. */
  changed: [StateChange, ChangeMeta];
}

/** Command-line overrides of config keys (tests use port 0 for free ports). */
export interface ListenOverrides {
  port?: number;
  httpPort?: number;
  listener?: string;
  httpListener?: string;
}

/** The config with flag overrides applied, so /v1/config shows what is really in effect. */
export function withOverrides(config: Config, o: ListenOverrides): Config {
  return {
    ...config,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.httpPort !== undefined ? { httpport: o.httpPort } : {}),
    ...(o.listener !== undefined ? { listener: o.listener } : {}),
    ...(o.httpListener !== undefined ? { HTTPListener: o.httpListener } : {}),
  };
}

interface Served {
  rs: MemRecordSet;
  fetchedAt: number;
  from: string;
  warnings: string[];
}

export class DnsService extends EventEmitter<DnsServiceEvents> {
  readonly config: Config;
  readonly metrics: ServiceMetrics;
  private readonly opts: DnsServiceOptions;
  private readonly recCfg: RecordsConfig;
  private source: StateSource<MesosState> | undefined;
  private dns: DnsServer | undefined;
  private http: HttpServer | undefined;
  private served: Served | undefined;
  /** With `serversets` configured: ServerSet records laid over the state's, and their source. */
  private overlay: OverlayRecordSet | undefined;
  private serversets: ServersetSource | undefined;
  private lastFailure: { message: string; at: number } | undefined;
  private consecutiveFailures = 0;
  private serial = 0;
  private closed = false;

  private constructor(opts: DnsServiceOptions) {
    super();
    this.opts = opts;
    this.config = opts.config;
    this.recCfg = recordsConfig(opts.config, opts.selfAddresses);
    this.metrics = new ServiceMetrics(
      {
        stateFetchedAt: () => this.stateFreshAt(),
        recordCounts: () => this.served?.rs.counts(),
      },
      { processMetrics: opts.processMetrics },
    );
  }

  /** Binds the listeners, then starts loading state. Rejects (after releasing whatever it opened)
   *  on a port in use, a bad config value or — with --state — an unusable state file. */
  static async start(options: DnsServiceOptions): Promise<DnsService> {
    const s = new DnsService(options);
    try {
      await s.init();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private async init(): Promise<void> {
    const c = this.config;
    // Build the source first: a config error should not leave a port bound even for a moment.
    this.source = makeStateSource(c, this.opts);
    if (c.dnson) {
      this.dns = createDnsServer({
        host: c.listener,
        port: c.port,
        recurse: c.recurseon,
        externalOn: c.externalon,
        resolvers: c.resolvers,
        forwardMode: c.forwardMode,
        forwardTimeoutMs: c.timeout * 1000,
        ednsMaxUdp: c.ednsMaxUdp,
        setTruncateBit: c.SetTruncateBit,
        forwardAllowedNetworks: c.forwardAllowedNetworks,
        rrlResponsesPerSecond: c.rrlResponsesPerSecond,
        rrlSlip: c.rrlSlip,
        rrlExemptNetworks: c.rrlExemptNetworks,
      });
      // Counted by the server in plain integers, read by /metrics at scrape time.
      this.metrics.attachDnsStats(this.dns.stats);
      await this.dns.listen();
    }
    if (c.httpon) {
      this.http = createHttpServer({
        host: c.HTTPListener,
        port: c.httpport,
        config: c,
        records: () => this.served?.rs,
        answers: () => (this.served ? this.answering(this.served.rs) : undefined),
        health: () => this.health(),
        metrics: this.metrics,
      });
      await this.http.listen();
    }
    if (c.serversets.length > 0) {
      // Nothing is served before the first state load; the overlay only starts filling now.
      this.overlay = new OverlayRecordSet(new MemRecordSet(this.recCfg), c.srvRecordDefaultWeight);
      this.serversets = new ServersetSource(c.serversets, this.overlay, this.recCfg.domain);
      this.serversets.on('changed', () => this.metrics.changeApplied('SERVERSET'));
      await this.serversets.start(c.zkDetectionTimeout > 0 ? c.zkDetectionTimeout * 1000 : 30000);
    }
    const source = this.source;
    source.on('snapshot', (snap) => this.onSnapshot(snap));
    source.on('failure', (f) => this.onFailure(f));
    if (source instanceof StreamStateSource) {
      source.stream.on('change', (c, meta) => this.onChange(c, meta));
    }
    if (this.opts.statePath) {
      // A state file is read once up front: an unusable file is a start-up error, not a retry.
      const first = new Promise<void>((resolve, reject) => {
        const ok = () => {
          source.off('failure', bad);
          resolve();
        };
        const bad = (f: StateFailure) => {
          source.off('snapshot', ok);
          reject(f.error);
        };
        source.once('snapshot', ok);
        source.once('failure', bad);
      });
      source.start();
      await first;
    } else {
      source.start();
    }
  }

  /** DNS listen address, when DNS is on. */
  dnsAddress(): { host: string; port: number } | undefined {
    return this.dns?.address();
  }
  /** The DNS server's UDP path (`batched` native or `dgram`), when DNS is on. */
  dnsUdpPath(): 'batched' | 'dgram' | undefined {
    return this.dns?.udpPath();
  }
  /** HTTP listen address, when the HTTP API is on. */
  httpAddress(): { host: string; port: number } | undefined {
    return this.http?.address();
  }
  /** The state's record set, undefined before the first load. */
  records(): MemRecordSet | undefined {
    return this.served?.rs;
  }

  /** What DNS answers from: the state's records, with ServerSet records laid over them when
   *  `serversets` is configured. */
  private answering(rs: MemRecordSet): RecordSet {
    if (!this.overlay) return rs;
    this.overlay.setBase(rs);
    return this.overlay;
  }
  /** Describes the state source (`masters 10.0.0.1:5050`, `zk zk://…`, `file /path`). */
  sourceDescription(): string {
    const s = this.source?.status();
    return s ? `${s.kind} ${s.target}` : 'none';
  }

  /** When the served state was last known current: its fetch, or — while an event stream is
   *  live — the last event or heartbeat from the master. */
  private stateFreshAt(): number | undefined {
    const at = this.served?.fetchedAt;
    if (at === undefined) return undefined;
    const src = this.source;
    if (src instanceof StreamStateSource && src.isStreaming) {
      return Math.max(at, src.status().lastSuccessAt ?? 0);
    }
    return at;
  }

  health(): HealthReport {
    const st = this.source?.status();
    return computeHealth(
      {
        stateFetchedAt: this.stateFreshAt(),
        stateFrom: this.served?.from,
        lastFailure: this.lastFailure,
        consecutiveFailures: this.consecutiveFailures,
        nextAttemptAt: this.consecutiveFailures > 0 ? st?.nextAttemptAt : undefined,
        maxStateAgeSeconds: this.config.maxStateAgeSeconds,
        source: st
          ? { kind: st.kind, target: st.target, ...(st.leader ? { leader: st.leader } : {}) }
          : { kind: 'none', target: '' },
        skippedItems: this.served?.warnings.length,
        records: this.served?.rs.counts(),
      },
      Date.now(),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stop the source first so no new record set arrives while the servers shut down.
    await this.source
      ?.close()
      .catch((e: unknown) => log.warn({ err: (e as Error).message }, 'closing the source'));
    await this.serversets?.close();
    await Promise.all([this.http?.close(), this.dns?.close()]);
  }

  private onSnapshot(snap: StateSnapshot<MesosState>): void {
    if (this.closed) return;
    let rs: MemRecordSet;
    try {
      // Mesos-DNS's serial is the generation time; kept strictly increasing across refreshes.
      this.serial = Math.max(this.serial + 1, Math.floor(snap.fetchedAt / 1000));
      rs = generateRecords(snap.state, { ...this.recCfg, serial: this.serial });
    } catch (e) {
      this.onFailure({
        error: new Error(`${snap.from}: generating records failed: ${(e as Error).message}`),
        at: Date.now(),
        consecutive: this.consecutiveFailures + 1,
      });
      return;
    }
    const prevWarnings = this.served?.warnings.length;
    // The swap: one assignment here and one in the DNS server; both read the new set from now on.
    this.served = { rs, fetchedAt: snap.fetchedAt, from: snap.from, warnings: snap.warnings };
    this.dns?.setRecords(this.answering(rs));
    this.consecutiveFailures = 0;
    this.metrics.refreshOk(snap.warnings.length);
    if (snap.warnings.length !== (prevWarnings ?? 0)) {
      log.warn(
        { skipped: snap.warnings.length, first: snap.warnings.slice(0, 5) },
        'items skipped as unusable in the state document',
      );
    }
    const counts = rs.counts();
    log.info({ from: snap.from, ...counts }, 'records loaded');
    this.emit('loaded', {
      from: snap.from,
      fetchedAt: snap.fetchedAt,
      warnings: snap.warnings,
      counts,
    });
  }

  /** One event-stream change, applied to the served set in place. MemRecordSet updates are
   *  synchronous, so a reader sees the set before or after the change, never half of it; the DNS
   *  server is told so it drops answers cached from before. */
  private onChange(change: StateChange, meta: ChangeMeta): void {
    const served = this.served;
    if (this.closed || !served) return;
    try {
      applyStateChange(served.rs, change);
    } catch (e) {
      // The set may be inconsistent now: count it, and let the next snapshot (resubscription or
      // poll) rebuild it in full.
      log.error(
        { err: (e as Error).message, event: meta.event },
        'applying a stream change failed',
      );
      this.onFailure({
        error: new Error(`${meta.from}: applying ${meta.event} failed: ${(e as Error).message}`),
        at: Date.now(),
        consecutive: this.consecutiveFailures + 1,
      });
      return;
    }
    this.dns?.setRecords(this.answering(served.rs));
    served.fetchedAt = meta.at;
    this.metrics.changeApplied(meta.event);
    this.emit('changed', change, meta);
  }

  private onFailure(f: StateFailure): void {
    if (this.closed) return;
    this.consecutiveFailures++;
    this.lastFailure = { message: f.error.message, at: f.at };
    this.metrics.refreshFailed();
    this.emit('failed', f);
  }
}
