// `beacon dns` as a module tests can start in-process: a state source feeds the record generator,
// each new record set is swapped into the DNS server and the HTTP API in one assignment, and
// health and metrics follow every refresh. A failed refresh keeps the last good set; nothing is
// served (DNS SERVFAIL, HTTP 503) before the first good one.
import { EventEmitter } from 'node:events';
import { recordsConfig, type Config } from '../config/mesos-dns.js';
import { createDnsServer, type DnsServer } from '../dns/index.js';
import type { DnsServerOptions } from '../dns/server.js';
import { ConfigError, documentWasRead, withContext } from '../errors.js';
import { computeHealth, type HealthReport } from '../http/health.js';
import { ServiceMetrics } from '../http/metrics.js';
import { createHttpServer, type HttpServer } from '../http/server.js';
import { logger } from '../log.js';
import type { MesosState } from '../model/mesos-state.js';
import type { RecordChange } from '../records/changes.js';
import type { EarlyView, MemRecordSet, RecordCounts } from '../records/index.js';
import { RecordStore } from '../records/store.js';
import { FrameworkHosts, needsLookup } from '../sources/framework-hosts.js';
import {
  cancelCollectAfterLoad,
  collectAfterFailedRead,
  collectAfterLoadSoon,
  Compactor,
} from './heap.js';
import type { ServersetSource, ServersetRecords } from '../sources/serversets.js';
import { SourceStats } from '../sources/source-stats.js';
import type { ChangeMeta, StateFailure, StateSnapshot, StateSource } from '../sources/types.js';
import { makeStateSource, type SourceChoice } from './make-source.js';
import { transfersEnabled, ZoneTransfers } from './transfers.js';
import { loadZkParts, zkParts } from './zk-parts.js';
import { NotifyStats } from '../dns/notify.js';
import { XfrStats } from '../dns/xfr.js';

const log = logger('dns-service');

export interface DnsServiceOptions extends SourceChoice {
  /** The effective config (flags already applied, see withOverrides). */
  config: Config;
  /** Addresses of the SOAMname self record; default: derived from `listener`. */
  selfAddresses?: string[];
  /** Export process_* / nodejs_* metrics too. Default true. */
  processMetrics?: boolean;
  /** Gives back the old space's free room a long stream of changes leaves (heap.ts); tests
   *  pass one with their own clock and heap. Default: a Compactor with the defaults. */
  compactor?: Compactor;
  /** Called with the serving set's task count after a state document was read and rejected;
   *  tests pass their own. Default: collectAfterFailedRead (heap.ts). */
  afterFailedRead?: (tasks: number) => void;
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

/** One set of sources feeding one record store. A reload that changes how records are made or
 *  where they come from builds a new generation beside the serving one and swaps it in once it
 *  has loaded (Mesos-DNS's Reload: build the new set, swap in one place, keep the old on failure). */
interface Generation {
  config: Config;
  store: RecordStore;
  source: StateSource<MesosState>;
  /** With `serversets` configured: the ServerSet source, laid over the state's records. */
  serversets?: ServersetSource;
  served?: Served;
  /** A state snapshot is being built (sliced: see loadState); `next` is the newest one that
   *  arrived meanwhile (older ones are superseded) with the changes that came after it. */
  building?: boolean;
  next?: PendingState;
  /** Called once with the outcome of the next state load (firstStateLoad). */
  onLoad: ((err?: Error) => void)[];
  /** Aborted when the generation closes: an unfinished build is abandoned. */
  abort: AbortController;
  closed?: boolean;
}

/** A snapshot waiting to be built, and the state changes that arrived after it (they are applied
 *  to the set it becomes, after the swap). */
interface PendingState {
  snap: StateSnapshot<MesosState>;
  changes: RecordChange[];
}

/** The outcome of one reload (SIGHUP). */
export interface ReloadResult {
  /** What changed, by config key group (`records`, `sources`, `dns`, `dns listener`, `http`). */
  applied: string[];
}

/** The keys that decide which records are made, and the ones that decide where state comes from:
 *  a change in either rebuilds the generation. */
function recordsKey(c: Config, selfAddresses?: string[]): string {
  return JSON.stringify(recordsConfig(c, selfAddresses));
}
const SOURCE_KEYS = [
  'masters',
  'zk',
  'stateSource',
  'refreshSeconds',
  'stateTimeoutSeconds',
  'zkDetectionTimeout',
  'MesosHTTPSOn',
  'CACertFile',
  'CertFile',
  'KeyFile',
  'MesosAuthentication',
  'MesosCredentials',
  'serversets',
] as const satisfies readonly (keyof Config)[];
function sourcesKey(c: Config): string {
  return JSON.stringify(SOURCE_KEYS.map((k) => c[k]));
}

/** A listener the OS refused (EACCES: a port below 1024 without the capability) as an error that
 *  names the key, the address and the ways out; anything else unchanged. */
async function bound(
  listen: () => Promise<unknown>,
  key: 'port' | 'httpport',
  host: string,
  port: number,
): Promise<void> {
  try {
    await listen();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    throw new ConfigError(
      `"${key}": cannot listen on ${host}:${port}: permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE (deploy/systemd/beacon-dns.service grants it to an unprivileged user), or choose a "${key}" of 1024 or more`,
      { cause: e },
    );
  }
}

function dnsOptions(c: Config, transfers?: ZoneTransfers): DnsServerOptions {
  return {
    transfers: transfers?.handler,
    host: c.listener,
    port: c.port,
    recurse: c.recurseon,
    externalOn: c.externalon,
    resolvers: c.resolvers,
    zoneResolvers: c.zoneResolvers,
    forwardMode: c.forwardMode,
    forwardTimeoutMs: c.timeout * 1000,
    ednsMaxUdp: c.ednsMaxUdp,
    setTruncateBit: c.SetTruncateBit,
    forwardAllowedNetworks: c.forwardAllowedNetworks,
    rrlResponsesPerSecond: c.rrlResponsesPerSecond,
    rrlSlip: c.rrlSlip,
    rrlExemptNetworks: c.rrlExemptNetworks,
  };
}

export class DnsService extends EventEmitter<DnsServiceEvents> {
  readonly metrics: ServiceMetrics;
  private readonly opts: DnsServiceOptions;
  private gen: Generation;
  private dns: DnsServer | undefined;
  private http: HttpServer | undefined;
  private lastFailure: { message: string; at: number } | undefined;
  private consecutiveFailures = 0;
  private closed = false;
  /** True from the moment shutdown begins (/readyz fails while DNS keeps answering). */
  private draining = false;
  private reloading: Promise<ReloadResult> | undefined;
  /** The generation a reload is loading, until it is swapped in or given up. */
  private preparing: Generation | undefined;
  /** Addresses of frameworks without a pid, looked up off the query path (sources/framework-hosts). */
  private readonly frameworkHosts = new FrameworkHosts();
  private readonly compactor: Compactor;
  private readonly afterFailedRead: (tasks: number) => void;
  /** Zone transfers and NOTIFY (`allowTransfer`, `notify`), when configured. */
  private transfers: ZoneTransfers | undefined;
  private readonly xfrStats = { xfr: new XfrStats(), notify: new NotifyStats() };
  /** ZooKeeper-session and event-stream figures, kept across the generations reloads build. */
  private readonly sourceStats = new SourceStats();

  private constructor(opts: DnsServiceOptions) {
    super();
    this.opts = opts;
    this.compactor = opts.compactor ?? new Compactor();
    this.afterFailedRead = opts.afterFailedRead ?? ((tasks) => void collectAfterFailedRead(tasks));
    // Build the source first: a config error should not leave a port bound even for a moment.
    this.gen = this.generation(opts.config);
    if (transfersEnabled(opts.config))
      this.transfers = new ZoneTransfers(opts.config, () => this.gen.store, this.xfrStats);
    this.metrics = new ServiceMetrics(
      {
        stateFetchedAt: () => this.stateFreshAt(),
        // What DNS serves: the ServerSet records counted with the state's.
        recordCounts: () => this.gen.store.view?.counts(),
        health: () => this.gen.store.health(),
        transfers: () => this.transfers?.status(),
      },
      { processMetrics: opts.processMetrics, sources: this.sourceStats },
    );
    this.frameworkHosts.on('resolved', (host, ips) => {
      // Through the store: the zone journal must see the names this changes.
      if (this.gen.store.setFrameworkHostIps(host, ips)) this.published();
    });
  }

  /** The config in force (the last one a reload applied). */
  get config(): Config {
    return this.gen.config;
  }

  /** Binds the listeners, then starts loading state. Rejects (after releasing whatever it opened)
   *  on a port in use, a bad config value or — with --state — an unusable state file. */
  static async start(options: DnsServiceOptions): Promise<DnsService> {
    await loadZkParts(options.config);
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
    if (c.dnson) {
      this.dns = createDnsServer(dnsOptions(c, this.transfers));
      // Counted by the server in plain integers, read by /metrics at scrape time.
      this.metrics.attachDnsStats(this.dns.stats);
      const dns = this.dns;
      await bound(() => dns.listen(), 'port', c.listener, c.port);
    }
    if (c.httpon) {
      const http = (this.http = this.httpServer(c));
      await bound(() => http.listen(), 'httpport', c.HTTPListener, c.httpport);
    }
    // A state file is read once up front: an unusable file is a start-up error, not a retry.
    await this.startGeneration(this.gen, this.opts.statePath !== undefined);
  }

  private httpServer(c: Config): HttpServer {
    return createHttpServer({
      host: c.HTTPListener,
      port: c.httpport,
      config: c,
      records: () => this.gen.store.state,
      answers: () => this.gen.store.view,
      soaSerial: () => this.transfers?.serial,
      health: () => this.health(),
      notReady: () => this.notReady(),
      metrics: this.metrics,
    });
  }

  /** The sources and store of a config, not started. Throws ConfigError on a bad source setting. */
  private generation(config: Config): Generation {
    const source = makeStateSource(config, { ...this.opts, stats: this.sourceStats });
    const store = new RecordStore(recordsConfig(config, this.opts.selfAddresses));
    const g: Generation = { config, store, source, onLoad: [], abort: new AbortController() };
    if (config.serversets.length > 0) {
      g.serversets = new (zkParts().ServersetSource)({
        configs: config.serversets,
        domain: store.domain,
        connectTimeoutMs: config.zkDetectionTimeout > 0 ? config.zkDetectionTimeout * 1000 : 30000,
        stats: this.sourceStats,
      });
    }
    return g;
  }

  /** Wires and starts a generation's sources. With `awaitState`, resolves once the state source
   *  has loaded (rejects on its first failure); ServerSets are always read before the state, so
   *  the first state load already carries them (an unreadable ensemble is an error). */
  private async startGeneration(g: Generation, awaitState: boolean): Promise<void> {
    // Every source is wired the same way: snapshots load one side of the store, changes apply
    // to it, failures are counted.
    if (g.serversets) {
      this.attach<ServersetRecords>(g, g.serversets, (snap) => this.loadServersets(g, snap));
      await firstLoad(g.serversets);
    }
    this.attach<MesosState>(g, g.source, (snap) => this.queueState(g, snap));
    if (awaitState) await firstStateLoad(g);
    else g.source.start();
  }

  /** Wires one source of generation `g`: its snapshots through `load`, its changes into the
   *  store. Only the serving generation's failures count; a new one's fail its reload. */
  private attach<S>(
    g: Generation,
    source: StateSource<S>,
    load: (snap: StateSnapshot<S>) => void,
  ): void {
    source.on('snapshot', (snap) => {
      if (!this.closed) load(snap);
    });
    source.on('change', (change, meta) => this.onChange(g, change, meta));
    source.on('failure', (f) => {
      if (g === this.gen) this.onFailure(f);
    });
    source.on('discarded', (f) => {
      if (g === this.gen && !this.closed) this.collectAfterRead(f);
    });
  }

  /**
   * Applies a new config without a restart (SIGHUP): record settings and sources by building a new
   * generation beside the serving one and swapping it in once it loaded; DNS query settings in
   * place; a changed DNS or HTTP listener by binding the new one first and closing the old after.
   * Rejects — with the old config still serving in full — when anything about the new one fails.
   * With an unchanged config, asks the sources for a fresh snapshot (re-reads --state).
   */
  reload(next: Config | (() => Promise<Config>)): Promise<ReloadResult> {
    // One reload at a time: a second SIGHUP waits for the first.
    const attempt = async () => this.reloadNow(typeof next === 'function' ? await next() : next);
    const run = (this.reloading ?? Promise.resolve()).then(attempt, attempt);
    this.reloading = run;
    return run.then(
      (r) => {
        this.metrics.configReloaded('ok');
        return r;
      },
      (e: unknown) => {
        this.metrics.configReloaded('failed');
        throw e;
      },
    );
  }

  private async reloadNow(next: Config): Promise<ReloadResult> {
    if (this.closed || this.draining) throw new Error('shutting down; reload ignored');
    const cur = this.gen.config;
    const applied: string[] = [];
    const self = this.opts.selfAddresses;
    const rebuild =
      recordsKey(cur, self) !== recordsKey(next, self) || sourcesKey(cur) !== sourcesKey(next);
    let fresh: Generation | undefined;
    let newDns: DnsServer | undefined;
    let newHttp: HttpServer | undefined;
    try {
      if (next.dnson !== cur.dnson || next.httpon !== cur.httpon)
        throw new ConfigError('"dnson" and "httpon" cannot change without a restart');
      if (rebuild) {
        await loadZkParts(next);
        fresh = this.preparing = this.generation(next);
        await this.startGeneration(fresh, true);
        applied.push(recordsKey(cur, self) !== recordsKey(next, self) ? 'records' : 'sources');
      }
      if (this.dns && (next.listener !== cur.listener || next.port !== cur.port)) {
        const d = (newDns = createDnsServer(dnsOptions(next, this.nextTransfers(next))));
        await bound(() => d.listen(), 'port', next.listener, next.port);
        // The old server's counts stay attached (frozen), so the counters never go back.
        this.metrics.attachDnsStats(newDns.stats);
        applied.push('dns listener');
      }
      if (this.http && (next.HTTPListener !== cur.HTTPListener || next.httpport !== cur.httpport)) {
        const h = (newHttp = this.httpServer(next));
        await bound(() => h.listen(), 'httpport', next.HTTPListener, next.httpport);
        applied.push('http listener');
      }
      // close() ran meanwhile: it closed what serves, and nothing new may start serving.
      if (this.closed) throw new Error('shutting down; reload abandoned');
    } catch (e) {
      this.preparing = undefined;
      await this.closeGeneration(fresh);
      await newDns?.close();
      await newHttp?.close();
      throw e;
    }
    this.preparing = undefined;
    // The swap: from here on everything serves the new config.
    const old = this.gen;
    if (fresh) {
      // Serials continue past the old store's, changes made while the new one loaded included.
      fresh.store.continueAfter(old.store);
      this.gen = fresh;
    } else {
      // In place: the sources' handlers compare their generation with this.gen by identity, so a
      // copy would make every later snapshot and change of these sources look stale.
      old.config = next;
      old.source.refresh?.();
    }
    if (newDns) {
      const prev = this.dns!;
      this.dns = newDns;
      await prev.close();
    } else if (this.dns) {
      this.dns.reconfigure(dnsOptions(next, this.nextTransfers(next)));
      applied.push('dns');
    }
    if (newHttp) {
      const prev = this.http!;
      this.http = newHttp;
      await prev.close();
    } else this.http?.setConfig(next);
    this.published();
    if (fresh) {
      await this.closeGeneration(old);
      collectAfterLoadSoon(fresh.store.state?.taskCount() ?? 0);
    }
    log.info({ applied }, 'config reloaded');
    return { applied };
  }

  /** The transfers for config `next` (a reload): made, reconfigured or closed as it asks. */
  private nextTransfers(next: Config): ZoneTransfers | undefined {
    if (!transfersEnabled(next)) {
      this.transfers?.close();
      this.transfers = undefined;
    } else if (this.transfers) this.transfers.reconfigure(next);
    else this.transfers = new ZoneTransfers(next, () => this.gen.store, this.xfrStats);
    return this.transfers;
  }

  /** The SOA serial zone transfers give (undefined without transfers or before the first load). */
  transferSerial(): number | undefined {
    return this.transfers?.serial;
  }

  /** Per NOTIFY target, the serial it last acknowledged. */
  notified(): { target: string; serial: number | undefined }[] {
    return this.transfers?.notified() ?? [];
  }

  private async closeGeneration(g: Generation | undefined): Promise<void> {
    if (!g || g.closed) return;
    // An unfinished build is abandoned, and whoever waits for it (a reload) hears so.
    g.closed = true;
    g.next = undefined;
    g.abort.abort(new Error('closed while loading state'));
    for (const done of g.onLoad.splice(0)) done(new Error('closed while loading state'));
    for (const s of [g.source, g.serversets]) {
      await s
        ?.close()
        .catch((e: unknown) => log.warn({ err: (e as Error).message }, 'closing a source'));
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
    return this.gen.store.state;
  }

  /** Describes the state source (`masters 10.0.0.1:5050`, `zk zk://…`, `file /path`). */
  sourceDescription(): string {
    const s = this.gen.source.status();
    return `${s.kind} ${s.target}`;
  }

  /** Why the service should not take traffic now (/readyz), or undefined when it should: not
   *  before the first good load, and not from the moment shutdown begins. */
  notReady(): string | undefined {
    if (this.draining || this.closed) return 'shutting down';
    if (this.gen.served === undefined) return 'no state loaded yet';
    return undefined;
  }

  /** Shutdown begins: /readyz fails from now on, DNS and HTTP keep answering until close(). */
  drain(): void {
    this.draining = true;
  }

  /** When the served state was last known current: its fetch, or — while a push source (the
   *  event stream) is live — its last event or heartbeat. */
  private stateFreshAt(): number | undefined {
    const at = this.gen.served?.fetchedAt;
    if (at === undefined) return undefined;
    const st = this.gen.source.status();
    return st.live ? Math.max(at, st.lastSuccessAt ?? 0) : at;
  }

  health(): HealthReport {
    const st = this.gen.source.status();
    const served = this.gen.served;
    return computeHealth(
      {
        stateFetchedAt: this.stateFreshAt(),
        stateFrom: served?.from,
        lastFailure: this.lastFailure,
        consecutiveFailures: this.consecutiveFailures,
        nextAttemptAt: this.consecutiveFailures > 0 ? st.nextAttemptAt : undefined,
        maxStateAgeSeconds: this.config.maxStateAgeSeconds,
        source: { kind: st.kind, target: st.target, ...(st.leader ? { leader: st.leader } : {}) },
        skippedItems: served?.warnings.length,
        records: this.gen.store.view?.counts(),
      },
      Date.now(),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    this.frameworkHosts.close();
    this.transfers?.close();
    // Stop the sources first so no new record set arrives while the servers shut down (a
    // reload's generation too: its build is abandoned and the reload rejects).
    await this.closeGeneration(this.preparing);
    await this.closeGeneration(this.gen);
    await Promise.all([this.http?.close(), this.dns?.close()]);
    cancelCollectAfterLoad();
  }

  /** Builds snapshots one at a time; one that arrives during a build waits, and only the newest
   *  waiting one is built (a poll or resubscription supersedes the one before). */
  private queueState(g: Generation, snap: StateSnapshot<MesosState>): void {
    if (g.closed) return;
    const pending: PendingState = { snap, changes: [] };
    if (g.building) {
      g.next = pending;
      return;
    }
    g.building = true;
    void (async () => {
      let p: PendingState | undefined = pending;
      try {
        while (p && !g.closed && !this.closed) {
          try {
            await this.loadState(g, p);
          } catch (e) {
            // A bug after the build (a listener, the DNS server): logged, and the queue goes on.
            log.error({ err: (e as Error).message }, 'publishing a state load failed');
          }
          p = g.next;
          g.next = undefined;
        }
      } finally {
        g.building = false;
      }
    })();
  }

  private async loadState(g: Generation, p: PendingState): Promise<void> {
    const snap = p.snap;
    let rs: MemRecordSet;
    try {
      this.frameworkHosts.annotate(snap.state);
      this.answerEarly(g, snap);
      // Sliced: a big state takes seconds to build, and DNS keeps answering from the old set
      // meanwhile (one event loop serves both).
      rs = await g.store.loadStateSliced(snap.state, snap.fetchedAt, {
        replay: p.changes,
        signal: g.abort.signal,
        onReplayError: (e, change) => this.changeFailed(g, e, change.type, snap.from),
      });
    } catch (e) {
      // Nothing loaded: no answers from that snapshot either (a no-op once a set serves), also
      // while close() waits for the sources before it closes DNS.
      if (g === this.gen) this.dns?.setPartialRecords(undefined);
      if (g.closed) return; // abandoned: closeGeneration told the waiters
      const failure = {
        error: withContext(`${snap.from}: generating records failed`, e),
        at: Date.now(),
        consecutive: this.consecutiveFailures + 1,
      };
      for (const done of g.onLoad.splice(0)) done(failure.error);
      if (g === this.gen) this.onFailure(failure);
      else g.source.emit('failure', failure);
      return;
    }
    // Framework addresses looked up while the set was built reached only the old set.
    for (const f of snap.state.frameworks) {
      if (!needsLookup(f)) continue;
      const ips = this.frameworkHosts.cached(f.hostname.toLowerCase());
      if (ips) g.store.setFrameworkHostIps(f.hostname, ips);
    }
    for (const done of g.onLoad.splice(0)) done();
    if (this.closed) return;
    const prevWarnings = g.served?.warnings.length;
    // A change applied during the build may have made the state fresher than this snapshot.
    const fetchedAt = Math.max(snap.fetchedAt, g.served?.fetchedAt ?? 0);
    g.served = { fetchedAt, from: snap.from, warnings: snap.warnings };
    // A generation still loading for a reload is swapped in by reloadNow, not here.
    if (g !== this.gen) return;
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
    collectAfterLoadSoon(rs.taskCount());
    this.emit('loaded', {
      from: snap.from,
      fetchedAt: snap.fetchedAt,
      warnings: snap.warnings,
      counts,
    });
  }

  /** The first load of the serving generation: until its set is in, DNS answers the task names
   *  of the snapshot being built from an EarlySet under the ServerSet records (records/
   *  early-set.ts, early-view.ts), instead of SERVFAIL for every query. */
  private answerEarly(g: Generation, snap: StateSnapshot<MesosState>): void {
    if (g !== this.gen || !this.dns) return;
    const t0 = performance.now();
    let early: EarlyView | undefined;
    try {
      early = g.store.early(snap.state, snap.fetchedAt);
    } catch (e) {
      // Only an earlier answer is lost: the full build goes on.
      log.warn({ err: (e as Error).message }, 'answering before the records are built failed');
      return;
    }
    if (!early) return;
    this.dns.setPartialRecords(early);
    log.info(
      { jobs: early.jobCount, ms: Math.round(performance.now() - t0) },
      'answering task names from the state while its records are built',
    );
  }

  private loadServersets(g: Generation, snap: StateSnapshot<ServersetRecords>): void {
    g.store.loadServersets(snap.state);
    if (g === this.gen) this.published();
  }

  /** Tells the DNS server what to answer from now (it drops answers cached from before). */
  private published(): void {
    const view = this.gen.store.view;
    if (!view) return;
    const t = this.transfers;
    this.dns?.setRecords(t ? t.wrap(view) : view);
    t?.changed();
  }

  /** One incremental change, applied to its generation's set in place. Record-set updates are
   *  synchronous, so a reader sees the set before or after the change, never half of it. */
  private onChange(g: Generation, change: RecordChange, meta: ChangeMeta): void {
    if (this.closed) return;
    try {
      if (change.type === 'framework') this.frameworkHosts.annotateFramework(change.framework);
      // A snapshot waiting for its build was taken before this change: it applies there too.
      if (change.type !== 'serverset') g.next?.changes.push(change);
      // A TASK_UPDATED of a task no set holds changes nothing: no serial, no count, no event. A
      // snapshot waiting for its build may hold it and gets the change (above), the same as a set
      // being built does (RecordStore.apply says nothing then): it goes on as applied.
      const warning = g.store.apply(change);
      if (warning && !g.next) {
        log.warn({ event: meta.event, from: meta.from }, warning);
        return;
      }
    } catch (e) {
      this.changeFailed(g, e, meta.event, meta.from);
      return;
    }
    if (change.type !== 'serverset' && g.served) g.served.fetchedAt = meta.at;
    if (g !== this.gen) return;
    this.published();
    this.metrics.changeApplied(meta.event);
    this.compactor.changed();
    this.emit('changed', change, meta);
  }

  /** A change could not be applied: the set may be inconsistent now; count it, and let the next
   *  snapshot (resubscription or poll) rebuild it in full. */
  private changeFailed(g: Generation, e: unknown, event: string, from: string): void {
    log.error({ err: (e as Error).message, event }, 'applying a change failed');
    if (g === this.gen)
      this.onFailure({
        error: withContext(`${from}: applying ${event} failed`, e),
        at: Date.now(),
        consecutive: this.consecutiveFailures + 1,
      });
  }

  private onFailure(f: StateFailure): void {
    if (this.closed) return;
    this.consecutiveFailures++;
    this.lastFailure = { message: f.error.message, at: f.at };
    this.metrics.refreshFailed();
    this.collectAfterRead(f);
    this.emit('failed', f);
  }

  /** Only a document read and rejected leaves garbage; a refused connection or a lost stream
   *  reads nothing. */
  private collectAfterRead(f: StateFailure): void {
    if (documentWasRead(f.error)) this.afterFailedRead(this.gen.store.state?.taskCount() ?? 0);
  }
}

/** Starts a generation's state source and resolves once its first snapshot is built into the
 *  store (rejects when the source fails before a snapshot, the records cannot be built, or the
 *  generation closes meanwhile). A source failure during the build does not count: the build
 *  has its snapshot. */
function firstStateLoad(g: Generation): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const got = () => g.source.off('failure', bad);
    const bad = (f: StateFailure) => {
      g.source.off('snapshot', got);
      g.onLoad = g.onLoad.filter((x) => x !== done);
      reject(f.error);
    };
    const done = (err?: Error) => {
      g.source.off('failure', bad);
      g.source.off('snapshot', got);
      if (err) reject(err);
      else resolve();
    };
    g.onLoad.push(done);
    g.source.once('failure', bad);
    g.source.once('snapshot', got);
    g.source.start();
  });
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
