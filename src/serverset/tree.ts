// Watches every ServerSet under a root (e.g. `/aurora`): child watches on the tree (re-armed on
// every change, no polling) find the nodes holding `member_*` children, and each such ServerSet
// gets a ServersetWatcher. Emits the member set of each ServerSet as it changes. Stale-while-
// disconnected rules are the watcher's: a ServerSet's set is never emptied by a lost connection.
import { EventEmitter } from 'node:events';
import { ZkError } from '../errors.js';
import { logger } from '../log.js';
import { joinPath, normalizePath } from '../zk/paths.js';
import type { Coordination } from '../zk/types.js';
import { ServersetWatcher, type Member } from './watcher.js';

export interface TreeEvents {
  /** The members of the ServerSet at `path` changed (an empty list: the ServerSet is empty). */
  change: [path: string, members: Member[]];
  /** The node at `path` is gone: forget its ServerSet. */
  removed: [path: string];
  skipped: [path: string, member: string, reason: string];
}

export interface TreeOptions {
  session: Coordination;
  root: string;
  /** How deep below the root to look for ServerSets. Default 6 (Aurora uses 3). */
  maxDepth?: number;
  /** Passed to each ServerSet's watcher (Finagle's stabilizer). Default 0. */
  removalGraceMs?: number;
}

const log = logger('serverset-tree');

export class ServersetTree extends EventEmitter<TreeEvents> {
  readonly root: string;
  private readonly session: Coordination;
  private readonly maxDepth: number;
  private readonly graceMs: number;
  /** Nodes whose children we watch (interior nodes), by path. */
  private readonly dirs = new Set<string>();
  private readonly sets = new Map<string, ServersetWatcher>();
  private stopped = false;
  private readonly onRenewed = () => {
    // Every child watch died with the old session: re-list the whole tree.
    this.dirs.clear();
    void this.scan(this.root, 0);
  };

  constructor(options: TreeOptions) {
    super();
    this.session = options.session;
    this.root = normalizePath(options.root);
    this.maxDepth = options.maxDepth ?? 6;
    this.graceMs = options.removalGraceMs ?? 0;
  }

  /** Resolves after the first full scan: every ServerSet found has been read once. */
  async start(): Promise<void> {
    this.session.on('sessionRenewed', this.onRenewed);
    await this.scan(this.root, 0);
  }

  /** The ServerSets currently known, with their members. */
  serversets(): Map<string, Member[]> {
    return new Map([...this.sets].map(([p, w]) => [p, w.members()]));
  }

  /** True while any ServerSet's view is stale (ZooKeeper unreachable). */
  get stale(): boolean {
    return [...this.sets.values()].some((w) => w.stale);
  }

  stop(): void {
    this.stopped = true;
    this.session.off('sessionRenewed', this.onRenewed);
    for (const w of this.sets.values()) w.stop();
    this.sets.clear();
    this.dirs.clear();
  }

  /** Lists `path` with a child watch and descends; a node with members becomes a ServerSet. */
  private async scan(path: string, depth: number): Promise<void> {
    if (this.stopped) return;
    let children: string[];
    try {
      children = await this.session.getChildren(path, (ev) => {
        if (this.stopped) return;
        if (ev.type === 'deleted') this.forget(path);
        else void this.scan(path, depth);
      });
    } catch (e) {
      if (e instanceof ZkError && e.reason === 'noNode') {
        this.forget(path);
        if (path === this.root) await this.waitForRoot();
        return;
      }
      if (e instanceof ZkError && (e.retryable || e.reason === 'closed')) return; // resync on renewal
      throw e;
    }
    this.dirs.add(path);
    const hasMembers = children.some((c) => c.startsWith('member_'));
    if (hasMembers && !this.sets.has(path)) await this.watchSet(path);
    if (depth >= this.maxDepth) return;
    // Members and Finagle weight vectors (`vector_*`, read by the set's watcher) are leaves.
    const sub = children.filter((c) => !c.startsWith('member_') && !c.startsWith('vector_'));
    await Promise.all(
      sub.map((c) => {
        const p = joinPath(path, c);
        // Already-watched interior nodes keep their own watch; only new ones are scanned.
        return this.dirs.has(p) ? undefined : this.scan(p, depth + 1);
      }),
    );
  }

  private async waitForRoot(): Promise<void> {
    const st = await this.session
      .exists(this.root, () => void this.scan(this.root, 0))
      .catch(() => null);
    if (st) await this.scan(this.root, 0);
  }

  private async watchSet(path: string): Promise<void> {
    const w = new ServersetWatcher({ session: this.session, path, removalGraceMs: this.graceMs });
    this.sets.set(path, w);
    w.on('change', (c) => this.emit('change', path, c.members));
    w.on('skipped', (name, reason) => this.emit('skipped', path, name, reason));
    await w.start();
    log.debug({ path }, 'watching ServerSet');
  }

  private forget(path: string): void {
    for (const p of [...this.dirs]) {
      if (p === path || p.startsWith(`${path}/`)) this.dirs.delete(p);
    }
    for (const [p, w] of [...this.sets]) {
      if (p === path || p.startsWith(`${path}/`)) {
        w.stop();
        this.sets.delete(p);
        this.emit('removed', p);
      }
    }
  }
}
