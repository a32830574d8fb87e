// Polls a Mesos master's /master/state every refresh interval, as Mesos-DNS does: candidates are
// tried in order (the ZooKeeper-detected leader first, then the configured masters), a master
// that is not the leader is followed to the leader its document names, and a failed refresh is
// retried with capped exponential backoff + jitter instead of waiting a full interval.
import { EventEmitter } from 'node:events';
import { documentWasRead, StateError } from '../errors.js';
import { logger } from '../log.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { masterCandidates, RefreshHealth, safeEmit } from './common.js';
import { fetchStateJson, type FetchOptions } from './fetch-state.js';
import { hostPort, parsePid, stateUrl, type MasterAddress } from './master-address.js';
import type {
  SourceStatus,
  StateFailure,
  StateParser,
  StateSnapshot,
  StateSource,
  StateSourceEvents,
} from './types.js';

const log = logger('source');

export interface MasterPollOptions<S> {
  /** Configured masters, tried in order after the leader hint. May be empty with a hint. */
  masters: MasterAddress[];
  /** The currently detected leader (ZooKeeper), tried first. */
  leaderHint?: () => MasterAddress | undefined;
  parse: StateParser<S>;
  /** Interval between successful refreshes, ms (refreshSeconds). */
  refreshMs: number;
  /** Bound of one state request, ms (stateTimeoutSeconds). */
  timeoutMs: number;
  /** Use https:// for masters given without a scheme (MesosHTTPSOn). Default false. */
  https?: boolean;
  basicAuth?: FetchOptions['basicAuth'];
  tls?: FetchOptions['tls'];
  /** Retry timing after failures; the cap defaults to refreshMs. */
  backoff?: BackoffOptions;
  /** For status(): `masters` or `zk`, and what is polled. */
  kind?: SourceStatus['kind'];
  target?: string;
}

export class MasterPollSource<S>
  extends EventEmitter<StateSourceEvents<S>>
  implements StateSource<S>
{
  private readonly opts: MasterPollOptions<S>;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private rerun = false;
  /** True from the timer firing until the outcome is handled (set and cleared synchronously). */
  private busy = false;
  private started = false;
  private closed = false;
  private readonly health = new RefreshHealth();
  private nextAttemptAt: number | undefined;
  private leader: string | undefined;

  constructor(options: MasterPollOptions<S>) {
    super();
    this.opts = options;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.schedule(0);
  }

  refresh(): void {
    this.refreshNow();
  }

  /** Refreshes now (e.g. ZooKeeper reported a new leader); coalesced with one in flight. */
  refreshNow(): void {
    if (!this.started || this.closed) return;
    if (this.busy) this.rerun = true;
    else this.schedule(0);
  }

  status(): SourceStatus {
    return {
      kind: this.opts.kind ?? 'masters',
      target: this.opts.target ?? this.opts.masters.map(hostPort).join(','),
      ...this.health.status(),
      nextAttemptAt: this.nextAttemptAt,
      leader: this.leader,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    await this.inFlight;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.nextAttemptAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.busy = true;
      this.inFlight = this.runOnce().finally(() => {
        this.inFlight = undefined;
      });
    }, delayMs);
    // The servers keep the process alive; a pending poll alone should not.
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    this.nextAttemptAt = undefined;
    this.rerun = false;
    const abort = new AbortController();
    this.abort = abort;
    let snapshot: StateSnapshot<S> | undefined;
    let error: Error | undefined;
    try {
      snapshot = await this.fetchFromCandidates(abort.signal);
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
    this.busy = false;
    if (this.closed) return;
    if (snapshot) {
      if (this.health.consecutive > 0)
        log.info(
          { after: this.health.consecutive, from: snapshot.from },
          'state refresh recovered',
        );
      this.health.succeeded(snapshot.from, snapshot.fetchedAt);
      this.schedule(this.rerun ? 0 : this.opts.refreshMs);
      this.safeEmit('snapshot', snapshot);
    } else {
      const at = this.health.failed(error!);
      const delay = this.rerun
        ? 0
        : backoffDelay(this.health.consecutive, {
            capMs: this.opts.refreshMs,
            ...this.opts.backoff,
          });
      this.schedule(delay);
      // Warn once per outage; the retries are counted in status() and /healthz.
      if (this.health.consecutive === 1)
        log.warn({ err: error!.message, retryInMs: delay }, 'state refresh failed');
      else
        log.debug(
          { err: error!.message, retryInMs: delay, consecutive: this.health.consecutive },
          'state refresh failed again',
        );
      const failure: StateFailure = {
        error: error!,
        at,
        consecutive: this.health.consecutive,
        nextAttemptAt: this.nextAttemptAt,
      };
      this.safeEmit('failure', failure);
    }
  }

  private safeEmit<K extends keyof StateSourceEvents<S>>(
    event: K,
    ...args: StateSourceEvents<S>[K]
  ): void {
    // A consumer's bug must not stop the polling loop; it is logged where it can be seen.
    safeEmit(this, log, event, ...args);
  }

  /** The candidates in order without duplicates: leader hint, then the configured masters. */
  private candidates(): MasterAddress[] {
    return masterCandidates(this.opts.leaderHint?.(), this.opts.masters);
  }

  private async fetchFromCandidates(signal: AbortSignal): Promise<StateSnapshot<S>> {
    const candidates = this.candidates();
    if (candidates.length === 0) {
      throw new StateError(
        'no Mesos master is known yet (no leader in ZooKeeper and no `masters` configured)',
      );
    }
    const errors: string[] = [];
    let documentRead = false;
    for (const c of candidates) {
      if (signal.aborted) break;
      try {
        return await this.fetchFollowingLeader(c, signal);
      } catch (e) {
        errors.push((e as Error).message);
        documentRead ||= documentWasRead(e);
        log.debug(
          { master: hostPort(c), err: (e as Error).message },
          'master failed; trying the next',
        );
      }
    }
    throw new StateError(`no master gave a usable state: ${errors.join('; ')}`, { documentRead });
  }

  private fetchOptions(signal: AbortSignal): FetchOptions {
    return {
      timeoutMs: this.opts.timeoutMs,
      basicAuth: this.opts.basicAuth,
      tls: this.opts.tls,
      signal,
    };
  }

  /** Fetches from `c`; when the document says another master leads, fetches from that one
   *  (one hop, as Mesos-DNS). A document naming no leader means "not usable": try the next. */
  private async fetchFollowingLeader(
    c: MasterAddress,
    signal: AbortSignal,
  ): Promise<StateSnapshot<S>> {
    const https = this.opts.https ?? false;
    let url = stateUrl(c, https);
    let doc = (await fetchStateJson(url, this.fetchOptions(signal))) as Record<string, unknown>;
    const leader = parsePid(doc.leader);
    if (!leader) {
      throw new StateError(
        `${url}: the document names no leader (this master is not elected yet)`,
        { documentRead: true },
      );
    }
    // The answering master leads when its own pid is the leader's; without a pid, compare with
    // the address we asked.
    const self = parsePid(doc.pid) ?? c;
    if (hostPort(self) !== hostPort(leader)) {
      const target: MasterAddress = c.scheme ? { ...leader, scheme: c.scheme } : leader;
      log.debug({ asked: url, leader: hostPort(leader) }, 'following the leader');
      url = stateUrl(target, https);
      doc = (await fetchStateJson(url, this.fetchOptions(signal))) as Record<string, unknown>;
    }
    this.leader = hostPort(leader);
    const fetchedAt = Date.now();
    let parsed: { state: S; warnings: string[] };
    try {
      parsed = await this.opts.parse(doc);
    } catch (e) {
      throw new StateError(`${url}: unusable state document: ${(e as Error).message}`, {
        cause: e,
        documentRead: true,
      });
    }
    return { state: parsed.state, warnings: parsed.warnings, fetchedAt, from: url };
  }
}
