// Resolves a ServerSet name (`zk!…`, `zk2!…`, `/$/com.twitter.serverset/…`) to a live member
// set: one watcher per ensemble on the process-wide shared sessions, merged as Finagle's zk2
// merges several ensembles. Used by `beacon serverset ls|watch` and by DNS's ServerSet source.
import { EventEmitter } from 'node:events';
import { acquireSession, type OpenOptions, type SessionLease } from '../zk/index.js';
import type { Member } from './watcher.js';
import { ServersetWatcher } from './watcher.js';
import type { ServersetName } from './names.js';

export interface ResolvedMember extends Member {
  /** The ensemble (connect string) the member was read from. */
  ensemble: string;
}

export interface ResolverEvents {
  change: [members: ResolvedMember[], joined: ResolvedMember[], left: ResolvedMember[]];
  stale: [];
  fresh: [];
  skipped: [ensemble: string, name: string, reason: string];
}

export interface ResolverOptions extends OpenOptions {
  /** Bound on reaching each ensemble at start (ms). Default 15000. */
  connectTimeoutMs?: number;
}

export class ServersetResolver extends EventEmitter<ResolverEvents> {
  readonly name: ServersetName;
  private readonly leases: SessionLease[] = [];
  private readonly watchers: Array<{ ensemble: string; watcher: ServersetWatcher }> = [];
  private readonly options: ResolverOptions;
  private last = new Map<string, ResolvedMember>();

  constructor(name: ServersetName, options: ResolverOptions = {}) {
    super();
    this.name = name;
    this.options = options;
  }

  /** Connects to every ensemble and waits for the first full sync of each. */
  async start(): Promise<void> {
    const timeout = this.options.connectTimeoutMs ?? 15000;
    try {
      await Promise.all(
        this.name.ensembles.map(async (ensemble) => {
          const lease = acquireSession(ensemble, this.options);
          this.leases.push(lease);
          await lease.session.waitConnected(timeout);
          const watcher = new ServersetWatcher({
            session: lease.session,
            path: this.name.path,
            endpoint: this.name.endpoint,
            shard: this.name.shard,
          });
          this.watchers.push({ ensemble, watcher });
          watcher.on('change', () => this.publish());
          watcher.on('stale', () => this.emit('stale'));
          watcher.on('fresh', () => {
            if (!this.stale) this.emit('fresh');
          });
          watcher.on('skipped', (n, reason) => this.emit('skipped', ensemble, n, reason));
          await watcher.start();
        }),
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.publish();
  }

  /** True while any ensemble's view is stale. */
  get stale(): boolean {
    return this.watchers.some((w) => w.watcher.stale);
  }

  members(): ResolvedMember[] {
    return this.watchers.flatMap(({ ensemble, watcher }) =>
      watcher.members().map((m) => ({ ...m, ensemble })),
    );
  }

  /** Members skipped as undecodable or invalid, over all ensembles. */
  get skipped(): number {
    return this.watchers.reduce((n, w) => n + w.watcher.stats.skipped, 0);
  }

  private publish(): void {
    const next = new Map(this.members().map((m) => [`${m.ensemble}!${m.name}`, m]));
    // A member whose weight changed (a `vector_*` node came or went) leaves and joins again.
    const same = (k: string, m: ResolvedMember) => this.last.get(k)?.weight === m.weight;
    const joined = [...next].filter(([k, m]) => !same(k, m)).map(([, m]) => m);
    const left = [...this.last]
      .filter(([k, m]) => next.get(k)?.weight !== m.weight)
      .map(([, m]) => m);
    this.last = next;
    if (joined.length || left.length) this.emit('change', [...next.values()], joined, left);
  }

  async stop(): Promise<void> {
    for (const { watcher } of this.watchers) watcher.stop();
    this.watchers.length = 0;
    await Promise.all(this.leases.splice(0).map((l) => l.release()));
  }
}
