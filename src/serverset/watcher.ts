// The ServerSet watcher/resolver, with Finagle zk2's rules: a child watch on the ServerSet path,
// each `member_*` node read once (members are immutable), poison members skipped and counted,
// only ALIVE members kept, endpoint-by-name and shard selection, and Finagle's weight vectors
// (`vector_*` nodes: each member's weight; weight -1 drains it). The last known set is kept (and
// marked stale) while ZooKeeper is unreachable — never an empty set because the connection was
// lost — and a full resync follows every reconnect and session renewal.
import { EventEmitter } from 'node:events';
import { ZkError } from '../errors.js';
import { logger } from '../log.js';
import type { Endpoint, ServiceInstance } from '../model/service-instance.js';
import { joinPath, normalizePath } from '../zk/paths.js';
import type { Coordination } from '../zk/types.js';
import { decodeMember } from './codec.js';
import { DRAIN_WEIGHT, parseWeightVector, weightOf, type WeightVector } from './weights.js';

export interface Member {
  /** Node name, e.g. `member_0000000007`. */
  name: string;
  instance: ServiceInstance;
  /** The selected endpoint: `serviceEndpoint`, or `additionalEndpoints[endpoint]`. */
  endpoint: Endpoint;
  /** The selected endpoint's Finagle weight (1 without `vector_*` nodes); never -1 (drained
   *  members are left out). */
  weight: number;
  /** The ServerSet's weight vectors (shared by its members), for the weights of other endpoints. */
  vectors: readonly WeightVector[];
}

export interface MemberSetChange {
  members: Member[];
  joined: Member[];
  left: Member[];
}

export interface WatcherEvents {
  /** The member set changed (members sorted by name). */
  change: [change: MemberSetChange];
  /** Connection lost: `members()` is the last known set and may be out of date. */
  stale: [];
  /** Synced again after being stale. */
  fresh: [];
  /** A member node was skipped (undecodable, invalid). Counted in `stats.skipped`. */
  skipped: [name: string, reason: string];
}

export interface WatcherOptions {
  session: Coordination;
  path: string;
  /** Select `additionalEndpoints[endpoint]` instead of `serviceEndpoint`. */
  endpoint?: string;
  /** Keep only the member announcing this shard. */
  shard?: number;
  /** Member reads in flight at once during a sync. Default 500. */
  readConcurrency?: number;
  /** Hold a member that disappeared for this long before publishing its removal, and treat a
   *  new node with the same endpoint and shard as the same member (Finagle's stabilizer): a
   *  re-join after session expiry then looks like one continuous set. Default 0 (off). */
  removalGraceMs?: number;
}

type Read =
  { ok: true; instance: ServiceInstance } | { ok: false; reason: string } | { gone: true };

const log = logger('watcher');

export class ServersetWatcher extends EventEmitter<WatcherEvents> {
  readonly path: string;
  readonly endpoint: string | undefined;
  readonly shard: number | undefined;
  private readonly session: Coordination;
  private readonly concurrency: number;
  private readonly graceMs: number;
  /** Members no longer in ZooKeeper, still published until their grace ends. */
  private readonly held = new Map<string, { member: Member; until: number }>();
  private graceTimer: NodeJS.Timeout | undefined;
  private lastNames: string[] = [];
  /** Highest sequential suffix seen under the path (-1: none yet). */
  private maxSeq = -1;
  /** Settles start(): resolved by the first successful sync, rejected by a lasting error. */
  private firstSync: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** Decoded member data by node name (members are immutable, so each is read once). */
  private readonly cache = new Map<string, Read>();
  /** Parsed `vector_*` nodes by name (undefined: unusable, skipped). */
  private readonly vectorCache = new Map<string, WeightVector | undefined>();
  private lastVectors: string[] = [];
  private current = new Map<string, Member>();
  private _stale = true;
  private synced = false;
  private syncing = false;
  private dirty = false;
  private stopped = false;
  private generation = 0;
  readonly stats = { skipped: 0, syncs: 0, reads: 0, speculativeHits: 0 };
  private readonly onDisconnected = () => this.markStale();
  private readonly onConnected = () => this.requestSync();
  private readonly onRenewed = () => {
    this.generation++; // watches of the old session are gone; ignore any late ones
    this.requestSync();
  };

  constructor(options: WatcherOptions) {
    super();
    this.session = options.session;
    this.path = normalizePath(options.path);
    this.endpoint = options.endpoint;
    this.shard = options.shard;
    this.concurrency = options.readConcurrency ?? 500;
    this.graceMs = options.removalGraceMs ?? 0;
  }

  /** True before the first sync and while disconnected. */
  get stale(): boolean {
    return this._stale;
  }

  /** The current members (ALIVE, with the selected endpoint, shard-filtered), sorted by name. */
  members(): Member[] {
    return [...this.current.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Starts watching; resolves after the first successful sync. Bounded by the caller (the
   *  session's waitConnected, or a timeout around this promise). */
  async start(): Promise<void> {
    this.session.on('disconnected', this.onDisconnected);
    this.session.on('connected', this.onConnected);
    this.session.on('sessionRenewed', this.onRenewed);
    if (this.session.state !== 'connected') this.markStale();
    const first = new Promise<void>((resolve, reject) => {
      if (this.synced) return resolve();
      this.firstSync = { resolve, reject };
    });
    this.requestSync();
    try {
      await first;
    } catch (e) {
      this.stop();
      throw e;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.graceTimer);
    this.session.off('disconnected', this.onDisconnected);
    this.session.off('connected', this.onConnected);
    this.session.off('sessionRenewed', this.onRenewed);
  }

  private markStale(): void {
    if (this._stale && this.synced) return;
    if (!this._stale) {
      this._stale = true;
      log.debug({ path: this.path }, 'stale');
      this.emit('stale');
    }
  }

  /** Coalesces change notifications: one sync at a time, one more if anything changed meanwhile. */
  private requestSync(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.syncing = true;
    void this.syncLoop();
  }

  private async syncLoop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        if (this.session.state !== 'connected') break; // 'connected' will request a sync
        try {
          await this.sync();
        } catch (e) {
          if (e instanceof ZkError && (e.retryable || e.reason === 'closed')) break;
          if (this.firstSync) {
            // The first read failed for a reason a retry will not fix (NoAuth, a bad path):
            // the caller learns it now instead of waiting forever.
            this.firstSync.reject(e);
            this.firstSync = undefined;
            break;
          }
          log.warn({ path: this.path, err: (e as Error).message }, 'sync failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
          this.dirty = true;
        }
      } while (this.dirty && !this.stopped);
    } finally {
      this.syncing = false;
    }
  }

  private async sync(): Promise<void> {
    const gen = this.generation;
    const rewatch = () => {
      if (gen === this.generation) this.requestSync();
    };
    // Sequential suffixes only grow: the next join is most likely member_<highest seen + 1>.
    // Read it in the same round trip as the listing, so a join costs one round trip after the
    // notification instead of two. A miss costs nothing but the read.
    const guess =
      this.maxSeq >= 0 ? `member_${String(this.maxSeq + 1).padStart(10, '0')}` : undefined;
    const speculative =
      guess !== undefined && !this.cache.has(guess)
        ? this.read(guess, true).catch(() => undefined)
        : undefined;
    let children: string[];
    try {
      children = await this.session.getChildren(this.path, rewatch);
    } catch (e) {
      if (!(e instanceof ZkError && e.reason === 'noNode')) throw e;
      // No ServerSet yet: an empty set (a real answer, not a connection problem); watch for it.
      const st = await this.session.exists(this.path, rewatch);
      if (st) {
        this.dirty = true;
        return;
      }
      children = [];
    }
    this.stats.syncs++;
    const names = children.filter((c) => c.startsWith('member_'));
    for (const n of names) {
      const seq = Number(n.slice(7));
      if (Number.isSafeInteger(seq) && seq > this.maxSeq) this.maxSeq = seq;
    }
    const vectorNames = children.filter((c) => c.startsWith('vector_')).sort();
    const present = new Set(names);
    for (const name of this.cache.keys()) if (!present.has(name)) this.cache.delete(name);
    for (const name of this.vectorCache.keys())
      if (!vectorNames.includes(name)) this.vectorCache.delete(name);
    for (const name of vectorNames) {
      if (this.vectorCache.has(name)) continue;
      const v = await this.readVector(name);
      if (v !== 'gone') this.vectorCache.set(name, v);
    }
    this.lastVectors = vectorNames;
    if (speculative && guess !== undefined && present.has(guess)) {
      const r = await speculative;
      if (r && 'ok' in r && r.ok) {
        this.cache.set(guess, r); // poison members take the counted path below instead
        this.stats.speculativeHits++;
      }
    }
    const toRead = names.filter((n) => !this.cache.has(n));
    await this.readAll(toRead);
    this.publish(names);
  }

  private async readAll(names: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++]!;
        this.cache.set(name, await this.read(name));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, names.length) }, worker));
  }

  private async read(name: string, speculative = false): Promise<Read> {
    this.stats.reads++;
    try {
      const { data } = await this.session.getData(joinPath(this.path, name));
      const r = decodeMember(data);
      if (!r.ok && speculative) return { ok: false, reason: r.reason };
      if (!r.ok) {
        this.stats.skipped++;
        log.warn({ path: this.path, member: name, reason: r.reason }, 'skipping member');
        this.emit('skipped', name, r.reason);
        return { ok: false, reason: r.reason };
      }
      return { ok: true, instance: r.instance };
    } catch (e) {
      if (e instanceof ZkError && e.reason === 'noNode') return { gone: true };
      throw e;
    }
  }

  /** A weight vector node's data, parsed; an unusable one is skipped (counted, reported). */
  private async readVector(name: string): Promise<WeightVector | undefined | 'gone'> {
    this.stats.reads++;
    try {
      const { data } = await this.session.getData(joinPath(this.path, name));
      const v = parseWeightVector(data);
      if (!v) {
        const reason = 'weight vector is not a JSON object';
        this.stats.skipped++;
        log.warn({ path: this.path, node: name, reason }, 'skipping weight vector');
        this.emit('skipped', name, reason);
      }
      return v;
    } catch (e) {
      if (e instanceof ZkError && e.reason === 'noNode') return 'gone';
      throw e;
    }
  }

  private select(
    name: string,
    instance: ServiceInstance,
    vectors: readonly WeightVector[],
  ): Member | undefined {
    if (instance.status !== 'ALIVE') return undefined;
    if (this.shard !== undefined && instance.shard !== this.shard) return undefined;
    const endpoint =
      this.endpoint === undefined
        ? instance.serviceEndpoint
        : instance.additionalEndpoints[this.endpoint];
    if (!endpoint) return undefined;
    const weight = weightOf(vectors, {
      member: name,
      host: endpoint.host,
      port: endpoint.port,
      shard: instance.shard,
    });
    if (weight === DRAIN_WEIGHT) return undefined;
    return { name, instance, endpoint, weight, vectors };
  }

  private publish(names: string[]): void {
    this.lastNames = names;
    const vectors: WeightVector[] = [];
    for (const n of this.lastVectors) {
      const v = this.vectorCache.get(n);
      if (v) vectors.push(v);
    }
    const fresh = new Map<string, Member>();
    for (const name of names) {
      const r = this.cache.get(name);
      if (!r || !('ok' in r) || !r.ok) continue;
      const m = this.select(name, r.instance, vectors);
      if (m) fresh.set(name, m);
    }
    const next = new Map(fresh);
    if (this.graceMs > 0) {
      const now = Date.now();
      const freshKeys = new Set([...fresh.values()].map(identity));
      for (const m of this.current.values()) {
        if (!fresh.has(m.name) && !this.held.has(m.name))
          this.held.set(m.name, { member: m, until: now + this.graceMs });
      }
      for (const [name, h] of this.held) {
        if (h.until <= now || freshKeys.has(identity(h.member)) || fresh.has(name))
          this.held.delete(name);
        else next.set(name, h.member);
      }
      this.scheduleGrace();
    }
    const oldKeys = new Set([...this.current.values()].map(identity));
    const newKeys = new Set([...next.values()].map(identity));
    const joined = [...next.values()].filter((m) => !oldKeys.has(identity(m)));
    const left = [...this.current.values()].filter((m) => !newKeys.has(identity(m)));
    const replaced = [...next].some(([k, m]) => this.current.get(k)?.weight !== m.weight);
    const first = !this.synced;
    this.current = next;
    this.synced = true;
    if (joined.length || left.length || first || replaced) {
      const sort = (a: Member, b: Member) => (a.name < b.name ? -1 : 1);
      this.emit('change', {
        members: this.members(),
        joined: joined.sort(sort),
        left: left.sort(sort),
      });
    }
    if (this._stale) {
      this._stale = false;
      this.emit('fresh');
    }
    this.firstSync?.resolve();
    this.firstSync = undefined;
  }

  /** Re-publishes when the earliest held member's grace ends. */
  private scheduleGrace(): void {
    clearTimeout(this.graceTimer);
    if (this.held.size === 0 || this.stopped) return;
    const until = Math.min(...[...this.held.values()].map((h) => h.until));
    this.graceTimer = setTimeout(
      () => {
        // While disconnected the last known set stands; the next sync publishes.
        if (!this._stale) this.publish(this.lastNames);
      },
      Math.max(0, until - Date.now()) + 1,
    );
    this.graceTimer.unref();
  }
}

/** Two nodes announcing the same endpoint and shard are the same member to a client. */
function identity(m: Member): string {
  return `${m.endpoint.host}:${m.endpoint.port}#${m.instance.shard ?? ''}`;
}
