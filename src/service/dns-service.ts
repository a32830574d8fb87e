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
import { logger } from '../log.js';
import type { MesosState } from '../model/mesos-state.js';
import type { RecordChange } from '../records/changes.js';
import type { MemRecordSet, RecordCounts } from '../records/index.js';
import { RecordStore } from '../records/store.js';
import { ServersetSource, type ServersetRecords } from '../sources/serversets.js';
import type { ChangeMeta, StateFailure, StateSnapshot, StateSource } from '../sources/types.js';
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
  counts: RecordCounts;
}

export interface DnsServiceEvents {
  loaded: [LoadInfo];
  failed: [StateFailure];
  /** An incremental change (event stream, ServerSets) was applied to the served records. */
  changed: [RecordChange, ChangeMeta];
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

/** What the served state records came from. */
interface Served {
  fetchedAt: number;
  from: string;
  warnings: string[];
}

export class DnsService extends EventEmitter<DnsServiceEvents> {
  readonly config: Config;
  readonly metrics: ServiceMetrics;
  private readonly opts: DnsServiceOptions;
  private readonly store: RecordStore;
  private source: StateSource<MesosState> | undefined;
  /** With `serversets` configured: the ServerSet source, laid over the state's records. */
  private serversets: ServersetSource | undefined;
  private dns: DnsServer | undefined;
  private http: HttpServer | undefined;
  private served: Served | undefined;
  private lastFailure: { message: string; at: number } | undefined;
  private consecutiveFailures = 0;
  private closed = false;

  private constructor(opts: DnsServiceOptions) {
    super();
    this.opts = opts;
    this.config = opts.config;
    this.store = new RecordStore(recordsConfig(opts.config, opts.selfAddresses));
    this.metrics = new ServiceMetrics(
      {
        stateFetchedAt: () => this.stateFreshAt(),
        recordCounts: () => this.store.state?.counts(),
        health: () => this.store.health(),
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
    const source = makeStateSource(c, this.opts);
    this.source = source;
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
        onQuery: this.metrics.observeQuery,
        onRateLimited: this.metrics.observeRateLimited,
      });
      await this.dns.listen();
    }
    if (c.httpon) {
      this.http = createHttpServer({
        host: c.HTTPListener,
        port: c.httpport,
        config: c,
        records: () => this.store.state,
        answers: () => this.store.view,
        health: () => this.health(),
        metrics: this.metrics,
      });
      await this.http.listen();
    }
    // Every source is wired the same way: snapshots load one side of the store, changes apply
    // to it, failures are counted.
    if (c.serversets.length > 0) {
      const serversets = new ServersetSource({
        configs: c.serversets,
        domain: this.store.domain,
        connectTimeoutMs: c.zkDetectionTimeout > 0 ? c.zkDetectionTimeout * 1000 : 30000,
      });
      this.serversets = serversets;
      this.attach<ServersetRecords>(serversets, (snap) => this.loadServersets(snap));
      // Nothing is served before the first state load; ServerSets are read first so that load
      // already carries them. A ServerSet ensemble that cannot be read is a start-up error.
      await firstLoad(serversets);
    }
    this.attach<MesosState>(source, (snap) => this.loadState(snap));
    if (this.opts.statePath) {
      // A state file is read once up front: an unusable file is a start-up error, not a retry.
      await firstLoad(source);
    } else {
      source.start();
    }
  }

  /** Wires one source: its snapshots through `load`, its changes into the store. */
  private attach<S>(source: StateSource<S>, load: (snap: StateSnapshot<S>) => void): void {
    source.on('snapshot', (snap) => {
      if (!this.closed) load(snap);
    });
    source.on('change', (change, meta) => this.onChange(change, meta));
    source.on('failure', (f) => this.onFailure(f));
  }

  /** DNS listen address, when DNS is on. */
  dnsAddress(): { host: string; port: number } | undefined {
    return this.dns?.address();
  }
  /** HTTP listen address, when the HTTP API is on. */
  httpAddress(): { host: string; port: number } | undefined {
    return this.http?.address();
  }
  /** The state's record set, undefined before the first load. */
  records(): MemRecordSet | undefined {
    return this.store.state;
  }

  /** Describes the state source (`masters 10.0.0.1:5050`, `zk zk://…`, `file /path`). */
  sourceDescription(): string {
    const s = this.source?.status();
    return s ? `${s.kind} ${s.target}` : 'none';
  }

  /** When the served state was last known current: its fetch, or — while a push source (the
   *  event stream) is live — its last event or heartbeat. */
  private stateFreshAt(): number | undefined {
    const at = this.served?.fetchedAt;
    if (at === undefined) return undefined;
    const st = this.source?.status();
    return st?.live ? Math.max(at, st.lastSuccessAt ?? 0) : at;
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
        records: this.store.state?.counts(),
      },
      Date.now(),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stop the sources first so no new record set arrives while the servers shut down.
    for (const s of [this.source, this.serversets]) {
      await s
        ?.close()
        .catch((e: unknown) => log.warn({ err: (e as Error).message }, 'closing a source'));
    }
    await Promise.all([this.http?.close(), this.dns?.close()]);
  }

  private loadState(snap: StateSnapshot<MesosState>): void {
    let rs: MemRecordSet;
    try {
      rs = this.store.loadState(snap.state, snap.fetchedAt);
    } catch (e) {
      this.onFailure({
        error: new Error(`${snap.from}: generating records failed: ${(e as Error).message}`),
        at: Date.now(),
        consecutive: this.consecutiveFailures + 1,
      });
      return;
    }
    const prevWarnings = this.served?.warnings.length;
    this.served = { fetchedAt: snap.fetchedAt, from: snap.from, warnings: snap.warnings };
    this.published();
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

  private loadServersets(snap: StateSnapshot<ServersetRecords>): void {
    this.store.loadServersets(snap.state);
    this.published();
  }

  /** Tells the DNS server what to answer from now (it drops answers cached from before). */
  private published(): void {
    const view = this.store.view;
    if (view) this.dns?.setRecords(view);
  }

  /** One incremental change, applied to the served set in place. Record-set updates are
   *  synchronous, so a reader sees the set before or after the change, never half of it. */
  private onChange(change: RecordChange, meta: ChangeMeta): void {
    if (this.closed) return;
    try {
      this.store.apply(change);
    } catch (e) {
      // The set may be inconsistent now: count it, and let the next snapshot (resubscription or
      // poll) rebuild it in full.
      log.error({ err: (e as Error).message, event: meta.event }, 'applying a change failed');
      this.onFailure({
        error: new Error(`${meta.from}: applying ${meta.event} failed: ${(e as Error).message}`),
        at: Date.now(),
        consecutive: this.consecutiveFailures + 1,
      });
      return;
    }
    this.published();
    if (change.type !== 'serverset' && this.served) this.served.fetchedAt = meta.at;
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

/** Starts a source and resolves on its first snapshot; rejects on its first failure. */
function firstLoad<S>(source: StateSource<S>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
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
    source.start();
  });
}
