// The ServerSet source: watches every ServerSet under each configured root (child watches, no
// polling) and turns their members into records in the DiscoveryInfo naming scheme. Members
// announced by anything — Aurora executors, Finagle servers, `beacon serverset announce` — get
// names, including portmap aliases and static ports that DiscoveryInfo cannot carry. Like every
// source it emits one snapshot (all ServerSets after the first read), then changes (one
// ServerSet's records replaced); the records layer lays them over the state's records.
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { logger } from '../log.js';
import {
  serversetRecords,
  type ServersetNaming,
  type ServersetRecord,
} from '../records/serverset-records.js';
import { ServersetTree } from '../serverset/tree.js';
import type { Member } from '../serverset/watcher.js';
import { parseAuth } from '../zk/acl.js';
import { acquireSession, type OpenOptions, type SessionLease } from '../zk/index.js';
import { RefreshHealth, safeEmit } from './common.js';
import type { SourceStats } from './source-stats.js';
import type { SourceStatus, StateSource, StateSourceEvents } from './types.js';

export interface ServersetSourceConfig {
  /** ZooKeeper connect string, or `embedded` for the process's own store. */
  zk: string;
  /** Root to watch, e.g. `/aurora`. */
  root: string;
  /** Framework label of the names (default `aurora`). */
  framework?: string;
  /** Name template for paths below the root (default `{reversed}`). */
  nameTemplate?: string;
  /** Finagle-style stabilizer: hold vanished members this long (default 0). */
  removalGraceSeconds?: number;
  /** Credentials for ACL-protected ServerSets: `digest:USER:PASSWORD`. */
  auth?: string;
}

/** The records of every watched ServerSet, by `zk!path`. */
export type ServersetRecords = Map<string, readonly ServersetRecord[]>;

export interface ServersetSourceOptions {
  configs: readonly ServersetSourceConfig[];
  /** The served domain (`mesos`). */
  domain: string;
  session?: OpenOptions;
  /** Bound of connecting to each ensemble for the first read, ms. Default 15000. */
  connectTimeoutMs?: number;
  /** A member node that is not a usable member (it is skipped; the rest are served). */
  onSkipped?: (path: string, member: string, reason: string) => void;
  /** Where /metrics reads the sessions' state, reconnects and expiries from. */
  stats?: SourceStats;
}

const log = logger('serverset-source');

export class ServersetSource
  extends EventEmitter<StateSourceEvents<ServersetRecords>>
  implements StateSource<ServersetRecords>
{
  private readonly trees: Array<{ tree: ServersetTree; lease: SessionLease }> = [];
  /** Host name → addresses, for members announced by name (refreshed per change). */
  private readonly hosts = new Map<string, readonly string[]>();
  /** Latest update per ServerSet: a slower host lookup must not apply an older member set. */
  private readonly latest = new Map<string, number>();
  private readonly current: ServersetRecords = new Map();
  private readonly pending = new Set<Promise<void>>();
  private readonly health = new RefreshHealth();
  private seq = 0;
  private started = false;
  private loaded = false;
  private closed = false;

  constructor(private readonly o: ServersetSourceOptions) {
    super();
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.load().then(
      () => {
        if (this.closed) return;
        this.loaded = true;
        const at = Date.now();
        this.health.succeeded(this.target(), at);
        safeEmit(this, log, 'snapshot', {
          state: new Map(this.current),
          warnings: [],
          fetchedAt: at,
          from: this.target(),
        });
      },
      (e: unknown) => {
        if (this.closed) return;
        const error = e instanceof Error ? e : new Error(String(e));
        const at = this.health.failed(error);
        safeEmit(this, log, 'failure', { error, at, consecutive: this.health.consecutive });
      },
    );
  }

  /** Connects and reads every ServerSet once; bounded by the connect timeout per ensemble. */
  private async load(): Promise<void> {
    for (const cfg of this.o.configs) {
      const lease = acquireSession(cfg.zk, {
        ...this.o.session,
        ...(cfg.auth ? { auth: [parseAuth(cfg.auth)] } : {}),
      });
      const tree = new ServersetTree({
        session: lease.session,
        root: cfg.root,
        removalGraceMs: (cfg.removalGraceSeconds ?? 0) * 1000,
      });
      this.trees.push({ tree, lease });
      this.o.stats?.watchSession(lease.session);
      const naming: ServersetNaming = {
        root: cfg.root,
        framework: cfg.framework ?? 'aurora',
        template: cfg.nameTemplate,
      };
      tree.on('change', (path, members) => this.track(this.update(cfg.zk, path, members, naming)));
      tree.on('removed', (path) => {
        const key = `${cfg.zk}!${path}`;
        this.latest.set(key, ++this.seq);
        this.set(key, []);
      });
      tree.on('skipped', (path, member, reason) => this.o.onSkipped?.(path, member, reason));
      await lease.session.waitConnected(this.o.connectTimeoutMs ?? 15000);
      await tree.start();
    }
    // Host lookups of the first read finish before the snapshot is taken.
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private target(): string {
    return this.o.configs.map((c) => `${c.zk}${c.root}`).join(',');
  }

  /** Records of one ServerSet: kept, and — once the snapshot is out — emitted as a change. */
  private set(key: string, records: readonly ServersetRecord[]): void {
    if (this.closed) return;
    if (records.length === 0) this.current.delete(key);
    else this.current.set(key, records);
    if (!this.loaded) return;
    const at = Date.now();
    this.health.lastSuccessAt = at;
    safeEmit(
      this,
      log,
      'change',
      { type: 'serverset', key, records },
      {
        at,
        event: 'SERVERSET',
        from: key,
      },
    );
  }

  private async update(
    zk: string,
    path: string,
    members: Member[],
    naming: ServersetNaming,
  ): Promise<void> {
    const key = `${zk}!${path}`;
    const mine = ++this.seq;
    this.latest.set(key, mine);
    const names = new Set<string>();
    for (const m of members) {
      names.add(m.instance.serviceEndpoint.host);
      for (const e of Object.values(m.instance.additionalEndpoints)) names.add(e.host);
    }
    await Promise.all(
      [...names]
        .filter((h) => !isIP(h))
        .map(async (h) => {
          try {
            this.hosts.set(
              h,
              (await lookup(h, { all: true })).map((a) => a.address),
            );
          } catch (e) {
            log.warn(
              { host: h, path, err: (e as Error).message },
              'cannot resolve a member host; its records are left out',
            );
            this.hosts.set(h, []);
          }
        }),
    );
    if (this.latest.get(key) !== mine) return;
    const ips = (host: string) => (isIP(host) ? [host] : (this.hosts.get(host) ?? []));
    this.set(key, serversetRecords(path, members, naming, this.o.domain, ips));
  }

  /** True while any watched ServerSet is stale (its ZooKeeper unreachable). */
  get stale(): boolean {
    return this.trees.some((t) => t.tree.stale);
  }

  status(): SourceStatus {
    return {
      kind: 'serversets',
      target: this.target(),
      ...this.health.status(),
      live: this.loaded && !this.stale,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { tree } of this.trees) tree.stop();
    await Promise.all(
      this.trees.splice(0).map(async (t) => {
        await t.lease.release();
        this.o.stats?.unwatchSession(t.lease.session);
      }),
    );
  }
}
