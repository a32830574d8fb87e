// The live member list of one client: the ServerSet resolver (zk2 semantics: the last known set
// stays while ZooKeeper is unreachable, never emptied by a lost connection), one MemberNode per
// endpoint, joins added at once, leaves drained and their pools closed. Reaching ZooKeeper at
// start is retried with capped exponential backoff and jitter until the client closes, so
// creating a client never throws for an unreachable ensemble; requests wait for members instead.
import { EventEmitter } from 'node:events';
import { logger } from '../log.js';
import type { ServersetName } from '../serverset/names.js';
import { ServersetResolver, type ResolvedMember } from '../serverset/resolver.js';
import { parseAuth } from '../zk/acl.js';
import { MemberNode, addressOf } from './member.js';
import type { ResolvedOptions } from './options.js';

const log = logger('client');

export interface MembershipEvents {
  /** The member list changed (a join, or a member left). */
  change: [];
}

export class Membership extends EventEmitter<MembershipEvents> {
  private readonly byAddress = new Map<string, MemberNode>();
  private list: MemberNode[] = [];
  private resolver: ServersetResolver | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly draining = new Set<Promise<void>>();
  /** Why ZooKeeper has not given a member set yet (for NoMembersError), if it has not. */
  lastError: Error | undefined;
  /** True once the first member set was read. */
  synced = false;

  constructor(
    readonly name: ServersetName,
    private readonly options: ResolvedOptions,
    private readonly now: () => number,
  ) {
    super();
    this.setMaxListeners(0); // one listener per request waiting for a member
    void this.start(0);
  }

  /** Members that may take requests (draining ones are not listed). */
  members(): readonly MemberNode[] {
    return this.list;
  }

  /** True while the ZooKeeper view is stale (connection lost): members are the last known. */
  get stale(): boolean {
    return this.resolver ? this.resolver.stale : true;
  }

  private async start(attempt: number): Promise<void> {
    if (this.closed) return;
    const resolver = new ServersetResolver(this.name, {
      auth: this.options.auth.map(parseAuth),
      sessionTimeoutMs: this.options.zkSessionTimeoutMs,
      connectTimeoutMs: this.options.zkConnectTimeoutMs,
    });
    resolver.on('change', (members) => this.update(members));
    try {
      await resolver.start();
    } catch (e) {
      this.lastError = e as Error;
      if (this.closed) return;
      const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      log.warn(
        { path: this.name.path, err: (e as Error).message, retryInMs: Math.round(delay) },
        'cannot resolve the ServerSet yet; retrying',
      );
      this.retryTimer = setTimeout(() => void this.start(attempt + 1), delay);
      this.retryTimer.unref();
      return;
    }
    if (this.closed) {
      await resolver.stop();
      return;
    }
    this.resolver = resolver;
    this.lastError = undefined;
    this.synced = true;
    this.update(resolver.members());
  }

  private update(resolved: ResolvedMember[]): void {
    if (this.closed) return;
    const nodesOf = new Map<string, Set<string>>();
    let changed = false;
    for (const r of resolved) {
      const address = addressOf(r.endpoint.host, r.endpoint.port);
      let node = this.byAddress.get(address);
      if (!node) {
        node = new MemberNode(r.endpoint.host, r.endpoint.port, this.options, this.now);
        this.byAddress.set(address, node);
        changed = true;
      }
      node.shard = r.instance.shard;
      let names = nodesOf.get(address);
      if (!names) nodesOf.set(address, (names = new Set()));
      names.add(`${r.ensemble}!${r.name}`);
    }
    for (const [address, node] of this.byAddress) {
      const names = nodesOf.get(address);
      if (names) {
        // A re-join replaces the node name; the member (and its pool and history) stays.
        node.nodes.clear();
        for (const n of names) node.nodes.add(n);
        continue;
      }
      this.byAddress.delete(address);
      changed = true;
      const p = node.drain().catch(() => undefined);
      this.draining.add(p);
      void p.finally(() => this.draining.delete(p));
    }
    if (!changed) return;
    this.list = [...this.byAddress.values()];
    this.emit('change');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.resolver?.stop();
    const nodes = [...this.byAddress.values()];
    this.byAddress.clear();
    this.list = [];
    this.emit('change');
    await Promise.all([...nodes.map((n) => n.drain().catch(() => undefined)), ...this.draining]);
  }
}
