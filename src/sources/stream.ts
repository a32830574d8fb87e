// Follows a Mesos master's v1 operator event stream (`POST /api/v1 {"type":"SUBSCRIBE"}`,
// RecordIO) instead of polling: SUBSCRIBED gives a full snapshot, then each event becomes
// incremental changes (model/mesos-events.ts makes them) within milliseconds. This file is the
// subscription loop only: connect, follow redirects, decode, watch heartbeats, resubscribe with
// capped exponential backoff. While the stream is down the masters are polled (a MasterPollSource),
// so consumers keep getting fresh state even from masters without the v1 API.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { documentWasRead, StateError } from '../errors.js';
import { logger } from '../log.js';
import { eventChanges } from '../model/mesos-events.js';
import { drain, inSlices, SLICE_MS, STEPS_PER_CLOCK } from '../slices.js';
import { formatWarning, isObj, parseStateSteps, type MesosState } from '../model/mesos-state.js';
import { parseDeferringArraySteps, SCAN_STEP } from '../model/json-deferred.js';
import { SUBSCRIBED_TASKS } from '../model/mesos-state-v1.js';
import { stateParserSliced } from './sliced-parser.js';
import { RecordIoDecoder } from '../model/recordio.js';
import { backoffDelay } from './backoff.js';
import { masterCandidates, RefreshHealth, safeEmit } from './common.js';
import { hostPort, type MasterAddress } from './master-address.js';
import { MasterPollSource, type MasterPollOptions } from './master-poll.js';
import type { SourceStats } from './source-stats.js';
import type { SourceStatus, StateFailure, StateSource, StateSourceEvents } from './types.js';

const log = logger('stream-source');

/** A SUBSCRIBED record up to this long is read at once: inSlices would not pause its scan. */
const SCAN_AT_ONCE = STEPS_PER_CLOCK * SCAN_STEP;

/** The masters poll's options (the fallback polls with them; `refreshMs` is also the cap of the
 *  resubscribe backoff, `timeoutMs` also bounds connecting + the SUBSCRIBED record). */
export interface StreamSourceOptions extends Omit<
  MasterPollOptions<MesosState>,
  'parse' | 'kind' | 'target'
> {
  /** Missed heartbeats before the stream counts as dead. Default 3. */
  missedHeartbeats?: number;
  /** Where /metrics reads connected, last event and resubscribes from. */
  stats?: SourceStats;
  /** A young collection, run every READ_COLLECT_BYTES while the SUBSCRIBED record is read. */
  collectYoung?: () => void;
}

/** The socket hands over a big record in 64 KiB buffers malloc'd one by one, which V8 frees only
 *  at a collection, and reading allocates too little for one to come: a 48 MiB SUBSCRIBED record
 *  grew glibc's main arena by its size, and what the arena kept after a load (up to 31 MiB) put
 *  RSS over its 160 MiB goal in 6 of 13 runs at 50,000 tasks. A young collection every few MiB
 *  lets the buffers be reused instead: 0 of 8 (docs/benchmarks.md). */
const READ_COLLECT_BYTES = 4 << 20;

type Obj = Record<string, unknown>;

export class StreamStateSource
  extends EventEmitter<StateSourceEvents<MesosState>>
  implements StateSource<MesosState>
{
  private readonly o: StreamSourceOptions;
  private started = false;
  private closed = false;
  private req: http.ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly health = new RefreshHealth();
  private nextAttemptAt: number | undefined;
  private leader: string | undefined;
  private streaming = false;
  /** SUBSCRIBE rounds begun (the first is not a resubscribe). */
  private rounds = 0;
  private heartbeatSeconds = 15;
  /** Polls the masters while the stream is down. */
  private fallback: MasterPollSource<MesosState> | undefined;
  /** SUBSCRIBED events seen: identifies the subscription a sliced parse belongs to. */
  private subscriptions = 0;
  /** Events that arrived while the SUBSCRIBED model is being built, applied after it in order. */
  private held: Obj[] | undefined;

  constructor(options: StreamSourceOptions) {
    super();
    this.o = options;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connect();
  }

  /** True while a subscription is live. */
  get isStreaming(): boolean {
    return this.streaming;
  }

  status(): SourceStatus {
    return {
      kind: 'masters',
      target: `${this.o.masters.map(hostPort).join(',')} (v1 event stream)`,
      ...this.health.status(),
      nextAttemptAt: this.nextAttemptAt,
      leader: this.leader,
      live: this.streaming,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.req?.destroy();
    this.setStreaming(false);
    await this.stopFallback();
  }

  private candidates(): MasterAddress[] {
    return masterCandidates(this.o.leaderHint?.(), this.o.masters);
  }

  private baseUrl(c: MasterAddress): string {
    const scheme = c.scheme ?? (this.o.https ? 'https' : 'http');
    return `${scheme}://${hostPort(c)}`;
  }

  /** Tries each candidate in order; the first that streams wins. */
  private connect(): void {
    if (this.closed) return;
    this.nextAttemptAt = undefined;
    if (this.rounds++ > 0 && this.o.stats) this.o.stats.streamResubscribes++;
    const candidates = this.candidates();
    const errors: string[] = [];
    // Whether a candidate sent a SUBSCRIBED record that was read and rejected (the service then
    // collects what reading it left behind, as after a poll's bad document).
    let documentRead = false;
    const tryNext = (i: number, redirects: number, url?: string): void => {
      if (this.closed) return;
      if (!url && i >= candidates.length) {
        this.failed(
          new StateError(`no master streamed: ${errors.join('; ') || 'no master configured'}`, {
            documentRead,
          }),
        );
        return;
      }
      const target = url ?? `${this.baseUrl(candidates[i]!)}/api/v1`;
      this.subscribe(target, (err, location) => {
        if (!err && !location) return; // subscribed
        if (location && redirects < 2)
          return tryNext(i, redirects + 1, new URL(location, target).href);
        errors.push(err ? err.message : `${target}: too many redirects`);
        documentRead ||= documentWasRead(err);
        tryNext(i + 1, 0);
      });
    };
    tryNext(0, 0);
  }

  /** One SUBSCRIBE. `done` is called once when it fails before SUBSCRIBED (or redirects). */
  private subscribe(url: string, done: (err?: Error, location?: string) => void): void {
    const parsed = new URL(url);
    const isHttps = parsed.protocol === 'https:';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.o.basicAuth) {
      headers.authorization = `Basic ${Buffer.from(`${this.o.basicAuth.principal}:${this.o.basicAuth.secret}`).toString('base64')}`;
    }
    const opts: https.RequestOptions = { method: 'POST', headers, agent: false };
    if (isHttps && this.o.tls) Object.assign(opts, this.o.tls);
    let settled = false;
    let subscribed = false;
    let decoder: RecordIoDecoder | undefined;
    // Part of the SUBSCRIBED record was read (it can be the whole state, up to the record limit):
    // a failure now is a document read, and the service collects what it left behind.
    // The whole SUBSCRIBED record, being scanned in slices (onFirst below).
    let scan: AbortController | undefined;
    const partRead = () => !subscribed && (scan !== undefined || (decoder?.pending ?? 0) > 0);
    const settle = (err?: Error, location?: string) => {
      if (settled) return;
      settled = true;
      scan?.abort(); // a scan still running is dropped with the stream
      clearTimeout(connectTimer);
      done(err, location);
    };
    const connectTimer = setTimeout(() => {
      req.destroy(new Error(`${url}: no SUBSCRIBED within ${this.o.timeoutMs} ms`));
    }, this.o.timeoutMs);
    const req = (isHttps ? https : http).request(parsed, opts, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 307 || status === 301 || status === 302) {
        res.resume();
        return settle(undefined, res.headers.location ?? undefined);
      }
      if (status !== 200) {
        res.resume();
        return settle(new StateError(`${url}: SUBSCRIBE answered HTTP ${status}`));
      }
      const dec = (decoder = new RecordIoDecoder());
      let readSinceCollect = 0;
      // When this turn of the event loop began reading chunks (0: it has not).
      let turnBegan = 0;
      // The SUBSCRIBED record's text is scanned in slices (model/json-deferred.ts): meanwhile
      // the records behind it wait here, in order.
      let behind: string[] | undefined;
      // `documentRead`: the record was the SUBSCRIBED one, the whole state snapshot.
      const notJson = (e: unknown, documentRead: boolean) =>
        req.destroy(
          new StateError(`${url}: a stream record is not JSON (${(e as Error).message})`, {
            documentRead,
          }),
        );
      /** One record after SUBSCRIBED, in order. False when the stream is done with. */
      const onRecord = (r: string): boolean => {
        let event: unknown;
        try {
          event = JSON.parse(r);
        } catch (e) {
          notJson(e, false);
          return false;
        }
        if (this.held) {
          this.armWatchdog();
          this.held.push(event as Obj);
        } else this.onEvent(url, event as Obj);
        return !this.closed;
      };
      /** The first record, read: SUBSCRIBED starts the subscription. False when it is not. */
      const accept = (event: unknown): boolean => {
        if (!isObj(event) || event.type !== 'SUBSCRIBED') {
          req.destroy(
            new StateError(
              `${url}: the stream began with ${String(isObj(event) ? event.type : event)}, not SUBSCRIBED`,
              { documentRead: true },
            ),
          );
          return false;
        }
        subscribed = true;
        settle();
        this.onSubscribed(url, event);
        return !this.closed;
      };
      /** The SUBSCRIBED record: a big one is read in slices (the records behind it wait), a
       *  small one at once. False when the stream is done with. */
      const onFirst = (r: string): boolean => {
        // The timeout bounds the record's arrival; its scan may take a while on a busy machine.
        clearTimeout(connectTimer);
        const steps = parseDeferringArraySteps(r, SUBSCRIBED_TASKS);
        // A scan this short would not pause anyway; read at once, a stream that ends right
        // behind the record ends a subscription, as it always did.
        if (r.length <= SCAN_AT_ONCE) {
          let event: unknown;
          try {
            event = drain(steps);
          } catch (e) {
            notJson(e, true);
            return false;
          }
          return accept(event);
        }
        behind = [];
        scan = new AbortController();
        inSlices(steps, SLICE_MS, scan.signal).then(
          (event) => {
            // Abandoned when the stream failed or the source closed meanwhile.
            if (settled || this.closed || !accept(event)) return;
            const rest = behind ?? [];
            behind = undefined;
            for (const b of rest) if (!onRecord(b)) return;
          },
          (e: unknown) => {
            if (!settled && !this.closed) notJson(e, true);
          },
        );
        return true;
      };
      res.on('data', (chunk: Buffer) => {
        if (turnBegan === 0) {
          turnBegan = performance.now();
          setImmediate(() => (turnBegan = 0));
        }
        if (!subscribed && !behind && this.o.collectYoung) {
          readSinceCollect += chunk.length;
          if (readSinceCollect >= READ_COLLECT_BYTES) {
            readSinceCollect = 0;
            this.o.collectYoung();
          }
        }
        let records: string[];
        try {
          records = dec.push(chunk);
        } catch (e) {
          req.destroy(e as Error);
          return;
        }
        if (records.length > 0 && this.o.stats) this.o.stats.streamLastEventAt = Date.now();
        for (const r of records) {
          if (behind) behind.push(r);
          else if (!subscribed) {
            if (!onFirst(r)) return;
          } else if (!onRecord(r)) return;
        }
        // A burst of events arrives as many chunks read in one go (libuv reads up to 32 in a
        // row, each ~9 ms of events at 50,000 tasks): once this turn's chunks took a slice, let
        // the event loop turn (DNS answers) before the next. Order is kept: it only pauses.
        if (performance.now() - turnBegan > SLICE_MS && !res.isPaused()) {
          res.pause();
          setImmediate(() => res.resume());
        }
      });
      res.on('end', () => {
        if (subscribed) this.lost(new StateError(`${url}: the master ended the event stream`));
        else {
          const read = partRead();
          const what = behind
            ? ' (its record read, not yet parsed)'
            : read
              ? ` (${dec.pending} bytes of its record read)`
              : '';
          settle(
            new StateError(`${url}: the stream ended before SUBSCRIBED${what}`, {
              documentRead: read,
            }),
          );
        }
      });
      res.on('error', (e) => {
        if (subscribed) this.lost(streamError(url, e));
        else settle(streamError(url, e, partRead()));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const err =
        e.code === 'ECONNREFUSED'
          ? new StateError(`${url}: connection refused (is the master up?)`)
          : streamError(url, e, partRead());
      if (subscribed) this.lost(err);
      else settle(err);
    });
    this.req = req;
    req.end(JSON.stringify({ type: 'SUBSCRIBE' }));
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const ms = this.heartbeatSeconds * 1000 * (this.o.missedHeartbeats ?? 3);
    this.watchdog = setTimeout(() => {
      log.warn({ afterMs: ms }, 'no HEARTBEAT from the master; resubscribing');
      this.req?.destroy(new StateError(`no event or HEARTBEAT for ${ms} ms`));
    }, ms);
    this.watchdog.unref();
  }

  private onSubscribed(url: string, event: Obj): void {
    const sub = isObj(event.subscribed) ? event.subscribed : {};
    this.heartbeatSeconds =
      typeof sub.heartbeat_interval_seconds === 'number' ? sub.heartbeat_interval_seconds : 15;
    this.armWatchdog();
    // The state of a big cluster takes a while to parse: it is parsed in slices (DNS keeps
    // answering), the events behind it wait in order, and a break meanwhile resubscribes (lost()).
    // Nothing is kept here after: the events become changes the record set applies to the tasks
    // it holds (model/mesos-events.ts).
    const id = ++this.subscriptions;
    this.setStreaming(true);
    this.held = [];
    void inSlices(parseStateSteps(event)).then(
      (first) => {
        if (this.closed || id !== this.subscriptions || !this.streaming) return;
        const u = new URL(url);
        first.state.leader = {
          host: u.hostname.replace(/^\[|\]$/g, ''),
          port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
        };
        this.leader = hostPort(first.state.leader);
        this.health.succeeded(url, Date.now());
        void this.stopFallback();
        log.info({ url }, 'subscribed to the master event stream');
        this.safeEmit('snapshot', {
          state: first.state,
          warnings: first.warnings.map(formatWarning),
          fetchedAt: Date.now(),
          from: url,
        });
        const held = this.held ?? [];
        this.held = undefined;
        for (const e of held) {
          if (this.closed || id !== this.subscriptions) return;
          this.onEvent(url, e);
        }
      },
      (e: unknown) => {
        if (this.closed || id !== this.subscriptions || !this.streaming) return;
        this.held = undefined;
        this.req?.destroy(
          new StateError(`unusable SUBSCRIBED snapshot: ${(e as Error).message}`, {
            cause: e,
            documentRead: true,
          }),
        );
      },
    );
  }

  private onEvent(url: string, event: Obj): void {
    this.armWatchdog();
    this.health.lastSuccessAt = Date.now();
    const { changes, warnings } = eventChanges(event);
    if (warnings.length)
      log.warn({ warnings: warnings.map(formatWarning) }, 'stream event partly unusable');
    const meta = { at: Date.now(), event: String(event.type), from: url };
    for (const c of changes) this.safeEmit('change', c, meta);
  }

  /** A live stream broke: resubscribe at once (first time), then with backoff. */
  private lost(err: Error): void {
    if (this.closed || !this.streaming) return;
    this.setStreaming(false);
    this.held = undefined; // a SUBSCRIBED model still building is dropped (see onSubscribed)
    clearTimeout(this.watchdog);
    this.req?.destroy();
    log.warn({ err: err.message }, 'event stream lost; resubscribing');
    this.failed(err);
  }

  /** Subscribing failed: report, poll while it stays down, and try again with backoff. */
  private failed(err: Error): void {
    if (this.closed) return;
    const at = this.health.failed(err);
    const delay =
      this.health.consecutive === 1
        ? 0
        : backoffDelay(this.health.consecutive - 1, { capMs: this.o.refreshMs, ...this.o.backoff });
    this.nextAttemptAt = at + delay;
    const failure: StateFailure = {
      error: err,
      at,
      consecutive: this.health.consecutive,
      nextAttemptAt: this.nextAttemptAt,
    };
    this.safeEmit('failure', failure);
    // The first resubscribe is immediate; only a stream that stays down is polled.
    if (this.health.consecutive > 1) this.startFallback();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }

  /** The polling fallback: the poll source, its snapshots passed on. A fallback poll is not a
   *  subscription, so the failure streak goes on; its own failures are only logged (the
   *  subscription's are already reported), and one that read a document is `discarded`. */
  private startFallback(): void {
    if (this.fallback || this.closed) return;
    const poll = new MasterPollSource<MesosState>({ ...this.o, parse: stateParserSliced });
    poll.on('snapshot', (snap) => {
      if (this.closed || this.streaming) return;
      this.health.lastFrom = snap.from;
      this.health.lastSuccessAt = snap.fetchedAt;
      this.safeEmit('snapshot', snap);
    });
    poll.on('failure', (f) => {
      log.debug({ err: f.error.message }, 'fallback poll failed');
      if (documentWasRead(f.error)) this.safeEmit('discarded', f);
    });
    this.fallback = poll;
    poll.start();
  }

  private async stopFallback(): Promise<void> {
    const poll = this.fallback;
    this.fallback = undefined;
    await poll?.close();
  }

  private setStreaming(live: boolean): void {
    if (this.streaming !== live) this.o.stats?.streamLive(live);
    this.streaming = live;
  }

  private safeEmit<K extends keyof StateSourceEvents<MesosState>>(
    event: K,
    ...args: StateSourceEvents<MesosState>[K]
  ): void {
    safeEmit(this, log, event, ...args);
  }
}

/** An error of one subscription, prefixed with its URL once, keeping whether a snapshot was
 *  read (`StateError.documentRead`) when the error is one this source raised itself, or when
 *  part of the SUBSCRIBED record had arrived (`partRead`). */
function streamError(url: string, e: Error, partRead = false): StateError {
  const message = e.message.startsWith(`${url}: `) ? e.message : `${url}: ${e.message}`;
  return new StateError(message, {
    cause: e,
    documentRead: documentWasRead(e) || partRead,
  });
}
