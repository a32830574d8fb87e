// ServerSet members of each job, live: one ServersetWatcher per announcing job on the process's
// shared coordination session (the embedded store, or the real ensemble), started when the job
// appears and stopped when it is gone and its last member has left. Each join/leave is handed on.
import { logger } from '../../log.js';
import type { Endpoint } from '../../model/service-instance.js';
import { ServersetWatcher, type Member } from '../../serverset/watcher.js';
import { acquireSession, type SessionLease } from '../../zk/index.js';

const log = logger('dashboard');

/** One member as the page shows it. */
export interface MemberView {
  name: string;
  status: string;
  shard?: number;
  serviceEndpoint: Endpoint;
  additionalEndpoints: Record<string, Endpoint>;
}

export interface ServersetView {
  path: string;
  /** True before the first sync and while the coordination service is unreachable. */
  stale: boolean;
  members: MemberView[];
}

export interface MembersChange {
  job: string;
  path: string;
  joined: MemberView[];
  left: MemberView[];
}

export interface JobMembersOptions {
  /** Coordination target: a ZooKeeper connect string, or `embedded`. */
  target: string;
  onChange: (c: MembersChange) => void;
}

function view(m: Member): MemberView {
  const i = m.instance;
  return {
    name: m.name,
    status: i.status,
    ...(i.shard !== undefined ? { shard: i.shard } : {}),
    serviceEndpoint: i.serviceEndpoint,
    additionalEndpoints: i.additionalEndpoints,
  };
}

export class JobMembers {
  private readonly o: JobMembersOptions;
  private lease: SessionLease | undefined;
  private readonly watchers = new Map<string, { path: string; watcher: ServersetWatcher }>();
  private wanted = new Map<string, string>();
  private closed = false;

  constructor(o: JobMembersOptions) {
    this.o = o;
  }

  /** Watches exactly these jobs (job key → ServerSet path), keeping a gone job's watcher until its
   *  members have left, so the page sees the leaves. */
  sync(wanted: Map<string, string>): void {
    if (this.closed) return;
    this.wanted = wanted;
    for (const [job, path] of wanted) {
      const cur = this.watchers.get(job);
      if (cur?.path === path) continue;
      if (cur) this.drop(job);
      this.watch(job, path);
    }
    for (const [job, w] of this.watchers) {
      if (!wanted.has(job) && w.watcher.members().length === 0) this.drop(job);
    }
  }

  /** The job's ServerSet, undefined when it is not watched. */
  get(job: string): ServersetView | undefined {
    const w = this.watchers.get(job);
    if (!w) return undefined;
    return { path: w.path, stale: w.watcher.stale, members: w.watcher.members().map(view) };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.watchers.keys()]) this.drop(job);
    await this.lease?.release();
    this.lease = undefined;
  }

  private watch(job: string, path: string): void {
    this.lease ??= acquireSession(this.o.target);
    const watcher = new ServersetWatcher({ session: this.lease.session, path });
    this.watchers.set(job, { path, watcher });
    watcher.on('change', (c) => {
      if (c.joined.length || c.left.length) {
        this.o.onChange({ job, path, joined: c.joined.map(view), left: c.left.map(view) });
      }
      if (!this.wanted.has(job) && c.members.length === 0) this.drop(job);
    });
    watcher.start().catch((e: unknown) => {
      log.warn({ job, path, err: (e as Error).message }, 'watching the ServerSet failed');
    });
  }

  private drop(job: string): void {
    this.watchers.get(job)?.watcher.stop();
    this.watchers.delete(job);
  }
}
