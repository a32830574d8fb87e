// State from the master ZooKeeper names as leader (`zk` in config.json): a LeaderDetector finds
// the leader and a MasterPollSource polls it (then the configured `masters` as fallbacks). A
// leader change triggers an immediate refresh. Start-up waits at most zkDetectionTimeout for a
// first detection, then polls whatever is known and reports the missing leader as a failure.
import { EventEmitter } from 'node:events';
import { StateError } from '../errors.js';
import { logger } from '../log.js';
import type { Coordination } from '../zk/types.js';
import { hostPort } from './master-address.js';
import { MasterPollSource, type MasterPollOptions } from './master-poll.js';
import type { SourceStats } from './source-stats.js';
import type { SourceStatus, StateSource, StateSourceEvents } from './types.js';
import { LeaderDetector } from './zk-leader.js';
import { redactZkUrl } from './zk-url.js';

const log = logger('source');

export interface ZkSourceOptions<S> extends Omit<
  MasterPollOptions<S>,
  'leaderHint' | 'kind' | 'target'
> {
  /** A session on the ensemble the masters register in. */
  coordination: Coordination;
  /** The group path, e.g. `/mesos`. */
  path: string;
  /** The zk:// URL, for status (credentials are masked). */
  url: string;
  /** How long start-up waits for a first leader before reporting a failure and polling the
   *  configured masters (zkDetectionTimeout), ms; 0 waits without a bound. */
  detectionTimeoutMs: number;
  /** Close the coordination session in close(). Default true. */
  ownsCoordination?: boolean;
  /** Where /metrics reads the session's state, reconnects and expiries from. */
  stats?: SourceStats;
}

export class ZkStateSource<S> extends EventEmitter<StateSourceEvents<S>> implements StateSource<S> {
  private readonly opts: ZkSourceOptions<S>;
  private readonly detector: LeaderDetector;
  private readonly poller: MasterPollSource<S>;
  private detectTimer: NodeJS.Timeout | undefined;
  private pollerStarted = false;
  private closed = false;
  private lastProblem: string | undefined;

  constructor(options: ZkSourceOptions<S>) {
    super();
    this.opts = options;
    this.detector = new LeaderDetector(options.coordination, options.path);
    this.poller = new MasterPollSource<S>({
      ...options,
      leaderHint: () => this.detector.leader()?.address,
      kind: 'zk',
      target: redactZkUrl(options.url),
    });
    this.poller.on('snapshot', (s) => this.emit('snapshot', s));
    this.poller.on('failure', (f) => this.emit('failure', f));
    this.detector.on('leader', (l) => {
      log.info({ leader: l ? hostPort(l.address) : null }, 'ZooKeeper leader changed');
      if (!this.pollerStarted) {
        if (l) this.startPoller();
      } else if (l) this.poller.refreshNow();
    });
    this.detector.on('problem', (e) => {
      this.lastProblem = e.message;
      log.warn({ err: e.message }, 'leader detection problem');
    });
  }

  refresh(): void {
    if (this.pollerStarted) this.poller.refreshNow();
  }

  start(): void {
    if (this.closed) return;
    this.opts.stats?.watchSession(this.opts.coordination);
    this.detector.start();
    // 0 means no bound: wait for ZooKeeper as long as it takes.
    if (this.opts.detectionTimeoutMs <= 0) return;
    this.detectTimer = setTimeout(() => {
      if (this.pollerStarted || this.closed) return;
      const why = this.lastProblem ? ` (${this.lastProblem})` : '';
      const error = new StateError(
        `no leading Mesos master found in ZooKeeper at ${redactZkUrl(this.opts.url)} within ${this.opts.detectionTimeoutMs} ms (zkDetectionTimeout)${why}` +
          (this.opts.masters.length
            ? '; polling the configured masters meanwhile'
            : '; still watching'),
      );
      this.emit('failure', { error, at: Date.now(), consecutive: 1 });
      this.startPoller();
    }, this.opts.detectionTimeoutMs);
    this.detectTimer.unref();
  }

  status(): SourceStatus {
    const s = this.poller.status();
    const l = this.detector.leader();
    return {
      ...s,
      kind: 'zk',
      target: redactZkUrl(this.opts.url),
      leader: l ? hostPort(l.address) : s.leader,
      ...(!this.pollerStarted && !s.lastFailure && this.lastProblem
        ? { lastFailure: { message: this.lastProblem, at: Date.now() } }
        : {}),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.detectTimer);
    await this.detector.close();
    await this.poller.close();
    if (this.opts.ownsCoordination ?? true) await this.opts.coordination.close();
    this.opts.stats?.unwatchSession(this.opts.coordination);
  }

  private startPoller(): void {
    if (this.pollerStarted || this.closed) return;
    this.pollerStarted = true;
    clearTimeout(this.detectTimer);
    this.poller.start();
  }
}
