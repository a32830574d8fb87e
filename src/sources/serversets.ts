// The ServerSet source for DNS: watches every ServerSet under each configured root (child
// watches, no polling) and keeps their members' records laid over the state's records. Members
// announced by anything — Aurora executors, Finagle servers, `beacon serverset announce` — get
// names, including portmap aliases and static ports that DiscoveryInfo cannot carry.
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { logger } from '../log.js';
import type { OverlayRecordSet } from '../records/overlay.js';
import { serversetRecords, type ServersetNaming } from '../records/serverset-records.js';
import { ServersetTree } from '../serverset/tree.js';
import type { Member } from '../serverset/watcher.js';
import { parseAuth } from '../zk/acl.js';
import { acquireSession, type OpenOptions, type SessionLease } from '../zk/index.js';

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

export interface ServersetSourceEvents {
  /** Records of one ServerSet were replaced (`members` = how many it has now). */
  changed: [path: string, members: number];
  skipped: [path: string, member: string, reason: string];
}

const log = logger('serverset-source');

export class ServersetSource extends EventEmitter<ServersetSourceEvents> {
  private readonly trees: Array<{ tree: ServersetTree; lease: SessionLease }> = [];
  /** Host name → addresses, for members announced by name (refreshed per change). */
  private readonly hosts = new Map<string, readonly string[]>();
  /** Latest update per ServerSet: a slower host lookup must not apply an older member set. */
  private readonly latest = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly configs: readonly ServersetSourceConfig[],
    private readonly overlay: OverlayRecordSet,
    private readonly domain: string,
    private readonly session: OpenOptions = {},
  ) {
    super();
  }

  /** Connects and reads every ServerSet once; bounded by `timeoutMs` per ensemble. */
  async start(timeoutMs = 15000): Promise<void> {
    for (const cfg of this.configs) {
      const lease = acquireSession(cfg.zk, {
        ...this.session,
        ...(cfg.auth ? { auth: [parseAuth(cfg.auth)] } : {}),
      });
      const tree = new ServersetTree({
        session: lease.session,
        root: cfg.root,
        removalGraceMs: (cfg.removalGraceSeconds ?? 0) * 1000,
      });
      this.trees.push({ tree, lease });
      const naming: ServersetNaming = {
        root: cfg.root,
        framework: cfg.framework ?? 'aurora',
        template: cfg.nameTemplate,
      };
      tree.on('change', (path, members) => void this.update(cfg.zk, path, members, naming));
      tree.on('removed', (path) => {
        this.latest.set(`${cfg.zk}!${path}`, ++this.seq);
        this.overlay.setSource(`${cfg.zk}!${path}`, []);
        this.emit('changed', path, 0);
      });
      tree.on('skipped', (path, member, reason) => this.emit('skipped', path, member, reason));
      await lease.session.waitConnected(timeoutMs);
      await tree.start();
    }
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
    this.overlay.setSource(key, serversetRecords(path, members, naming, this.domain, ips));
    this.emit('changed', path, members.length);
  }

  /** True while any watched ServerSet is stale (its ZooKeeper unreachable). */
  get stale(): boolean {
    return this.trees.some((t) => t.tree.stale);
  }

  async close(): Promise<void> {
    for (const { tree } of this.trees) tree.stop();
    await Promise.all(this.trees.splice(0).map((t) => t.lease.release()));
  }
}
