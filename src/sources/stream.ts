// Follows a Mesos master's v1 operator event stream (`POST /api/v1 {"type":"SUBSCRIBE"}`,
// RecordIO) instead of polling: SUBSCRIBED gives a full snapshot, then TASK_ADDED, TASK_UPDATED,
// AGENT_ADDED/REMOVED and FRAMEWORK_ADDED/UPDATED/REMOVED arrive as incremental changes within
// milliseconds. A lost stream (error, end, or no HEARTBEAT for three intervals) is resubscribed
// with capped exponential backoff; while it is down the source falls back to polling
// `/master/state`, so consumers keep getting fresh state even from masters without the v1 API.
// Consumers listening to `stream.on('change')` apply each change to their record set
// (applyStateChange); a consumer that only knows `snapshot` gets a full snapshot after every change.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { StateError } from '../errors.js';
import { logger } from '../log.js';
import {
  isObj,
  parseState,
  parseStatuses,
  type MesosAgent,
  type MesosFramework,
  type MesosState,
  type MesosTask,
  type StateWarning,
  formatWarning,
} from '../model/mesos-state.js';
import { parseV1Agent, parseV1Framework, parseV1Task } from '../model/mesos-state-v1.js';
import type { MemRecordSet } from '../records/index.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { masterCandidates, RefreshHealth, safeEmit } from './common.js';
import { fetchStateJson, type FetchOptions } from './fetch-state.js';
import { hostPort, type MasterAddress } from './master-address.js';
import type {
  SourceStatus,
  StateFailure,
  StateSnapshot,
  StateSource,
  StateSourceEvents,
} from './types.js';

const log = logger('stream-source');

/** One incremental change from the event stream. A task change carries the task's latest state
 *  (records exist only for TASK_RUNNING tasks; any other state removes them). */
export type StateChange =
  | { type: 'task'; task: MesosTask }
  | { type: 'agent'; agent: MesosAgent }
  | { type: 'agentRemoved'; agentId: string }
  | { type: 'framework'; framework: MesosFramework }
  | { type: 'frameworkRemoved'; frameworkId: string };

export interface ChangeMeta {
  /** ms since the epoch when the event arrived. */
  at: number;
  /** The event type on the wire (`TASK_UPDATED`…). */
  event: string;
  from: string;
}

/** Events beyond the StateSource ones, on `source.stream` (kept apart so the source stays a
 *  plain StateSource for consumers that only take snapshots). */
export interface StreamEvents {
  change: [StateChange, ChangeMeta];
  /** The stream is (re)established: a SUBSCRIBED snapshot follows as `snapshot`. */
  subscribed: [from: string];
}

export interface StreamSourceOptions {
  /** Masters tried in order; a non-leader's redirect (307) to the leader is followed. */
  masters: MasterAddress[];
  /** The currently detected leader (ZooKeeper), tried first. */
  leaderHint?: () => MasterAddress | undefined;
  /** Poll interval while the stream is down, ms; also the cap of the resubscribe backoff. */
  refreshMs: number;
  /** Bound of connecting + the SUBSCRIBED record, and of one fallback poll, ms. */
  timeoutMs: number;
  https?: boolean;
  basicAuth?: FetchOptions['basicAuth'];
  tls?: FetchOptions['tls'];
  backoff?: BackoffOptions;
  /** Missed heartbeats before the stream counts as dead. Default 3. */
  missedHeartbeats?: number;
}

/** Applies one change to a record set in place (the records' incremental API). */
export function applyStateChange(rs: MemRecordSet, change: StateChange): void {
  switch (change.type) {
    case 'task':
      // A task that left TASK_RUNNING loses its records here; the serial moves either way, so
      // the DNS server drops its cached answers.
      rs.applyTask(change.task);
      break;
    case 'agent':
      rs.applyAgent(change.agent);
      break;
    case 'agentRemoved':
      rs.removeAgent(change.agentId);
      break;
    case 'framework':
      rs.applyFramework(change.framework);
      break;
    case 'frameworkRemoved':
      rs.removeFramework(change.frameworkId);
      break;
  }
}

/** Splits a RecordIO byte stream (`<decimal length>\n<bytes>`) into records. */
export class RecordIoDecoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxRecord = 256 << 20) {}

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.buf.length > 20)
          throw new StateError('RecordIO: a record length longer than 20 digits');
        break;
      }
      const text = this.buf.subarray(0, nl).toString('ascii');
      if (!/^\d+$/.test(text))
        throw new StateError(
          `RecordIO: expected a record length, got ${JSON.stringify(text.slice(0, 20))}`,
        );
      const len = Number(text);
      if (len > this.maxRecord)
        throw new StateError(`RecordIO: record of ${len} bytes is over the limit`);
      if (this.buf.length < nl + 1 + len) break;
      out.push(this.buf.subarray(nl + 1, nl + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(nl + 1 + len);
    }
    return out;
  }
}

type Obj = Record<string, unknown>;

function idValue(v: unknown): string | undefined {
  return isObj(v) && typeof v.value === 'string' ? v.value : undefined;
}

const TERMINAL = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export class StreamStateSource
  extends EventEmitter<StateSourceEvents<MesosState>>
  implements StateSource<MesosState>
{
  /** Incremental changes and (re)subscriptions. */
  readonly stream = new EventEmitter<StreamEvents>();
  private readonly o: StreamSourceOptions;
  private started = false;
  private closed = false;
  private req: http.ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private pollAbort: AbortController | undefined;
  private readonly health = new RefreshHealth();
  private nextAttemptAt: number | undefined;
  private leader: string | undefined;
  private streaming = false;
  /** The model the stream keeps current: agents, frameworks and their live tasks. */
  private state: MesosState = { agents: [], frameworks: [] };
  private readonly tasks = new Map<string, MesosTask>();

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
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.pollAbort?.abort();
    this.req?.destroy();
    this.streaming = false;
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
    const candidates = this.candidates();
    const errors: string[] = [];
    const tryNext = (i: number, redirects: number, url?: string): void => {
      if (this.closed) return;
      if (!url && i >= candidates.length) {
        this.failed(
          new StateError(`no master streamed: ${errors.join('; ') || 'no master configured'}`),
        );
        return;
      }
      const target = url ?? `${this.baseUrl(candidates[i]!)}/api/v1`;
      this.subscribe(target, (err, location) => {
        if (!err && !location) return; // subscribed
        if (location && redirects < 2)
          return tryNext(i, redirects + 1, new URL(location, target).href);
        errors.push(err ? err.message : `${target}: too many redirects`);
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
    const settle = (err?: Error, location?: string) => {
      if (settled) return;
      settled = true;
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
      const decoder = new RecordIoDecoder();
      res.on('data', (chunk: Buffer) => {
        let records: string[];
        try {
          records = decoder.push(chunk);
        } catch (e) {
          req.destroy(e as Error);
          return;
        }
        for (const r of records) {
          let event: Obj;
          try {
            event = JSON.parse(r) as Obj;
          } catch (e) {
            req.destroy(
              new StateError(`${url}: a stream record is not JSON (${(e as Error).message})`),
            );
            return;
          }
          if (!subscribed) {
            if (event.type !== 'SUBSCRIBED') {
              req.destroy(
                new StateError(
                  `${url}: the stream began with ${String(event.type)}, not SUBSCRIBED`,
                ),
              );
              return;
            }
            subscribed = true;
            settle();
            this.onSubscribed(url, event);
          } else this.onEvent(url, event);
          if (this.closed) return;
        }
      });
      res.on('end', () => {
        if (subscribed) this.lost(new StateError(`${url}: the master ended the event stream`));
        else settle(new StateError(`${url}: the stream ended before SUBSCRIBED`));
      });
      res.on('error', (e) => {
        if (subscribed) this.lost(new StateError(`${url}: ${e.message}`));
        else settle(new StateError(`${url}: ${e.message}`));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const what = e.code === 'ECONNREFUSED' ? 'connection refused (is the master up?)' : e.message;
      if (subscribed) this.lost(new StateError(`${url}: ${what}`));
      else settle(new StateError(`${url}: ${what}`));
    });
    this.req = req;
    req.end(JSON.stringify({ type: 'SUBSCRIBE' }));
  }

  private armWatchdog(heartbeatSeconds: number): void {
    clearTimeout(this.watchdog);
    const ms = heartbeatSeconds * 1000 * (this.o.missedHeartbeats ?? 3);
    this.watchdog = setTimeout(() => {
      log.warn({ afterMs: ms }, 'no HEARTBEAT from the master; resubscribing');
      this.req?.destroy(new StateError(`no event or HEARTBEAT for ${ms} ms`));
    }, ms);
    this.watchdog.unref();
  }

  private heartbeatSeconds = 15;

  private onSubscribed(url: string, event: Obj): void {
    const sub = isObj(event.subscribed) ? event.subscribed : {};
    const hb =
      typeof sub.heartbeat_interval_seconds === 'number' ? sub.heartbeat_interval_seconds : 15;
    this.heartbeatSeconds = hb;
    this.armWatchdog(hb);
    let parsed: { state: MesosState; warnings: StateWarning[] };
    try {
      parsed = parseState(event);
    } catch (e) {
      this.req?.destroy(e as Error);
      return;
    }
    const u = new URL(url);
    const leader = {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    };
    this.state = { ...parsed.state, leader };
    this.tasks.clear();
    for (const f of this.state.frameworks) {
      // Only live tasks are kept: terminal ones never have records.
      f.tasks = f.tasks.filter((t) => !TERMINAL.has(t.state));
      for (const t of f.tasks) this.tasks.set(t.id, t);
    }
    this.streaming = true;
    this.leader = hostPort(leader);
    this.health.succeeded(url, Date.now());
    log.info({ url }, 'subscribed to the master event stream');
    this.streamEmit('subscribed', url);
    this.emitSnapshot(url, parsed.warnings.map(formatWarning));
  }

  private emitSnapshot(from: string, warnings: string[]): void {
    const snapshot: StateSnapshot<MesosState> = {
      state: {
        leader: this.state.leader,
        agents: [...this.state.agents],
        frameworks: this.state.frameworks.map((f) => ({ ...f, tasks: [...f.tasks] })),
      },
      warnings,
      fetchedAt: Date.now(),
      from,
    };
    this.safeEmit('snapshot', snapshot);
  }

  private framework(id: string): MesosFramework {
    let f = this.state.frameworks.find((x) => x.id === id);
    if (!f) {
      // A task of a framework not announced yet: keep it under a placeholder until FRAMEWORK_ADDED.
      f = { id, name: '', hostname: '', tasks: [] };
      this.state.frameworks.push(f);
    }
    return f;
  }

  private onEvent(url: string, event: Obj): void {
    this.armWatchdog(this.heartbeatSeconds);
    this.health.lastSuccessAt = Date.now();
    const type = String(event.type);
    const warnings: StateWarning[] = [];
    const changes: StateChange[] = [];
    switch (type) {
      case 'HEARTBEAT':
        return;
      case 'TASK_ADDED': {
        const body = isObj(event.task_added) ? event.task_added : {};
        const task = parseV1Task(body.task, 'TASK_ADDED.task', warnings);
        if (!task) break;
        const f = this.framework(task.frameworkId);
        f.tasks = f.tasks.filter((t) => t.id !== task.id);
        if (!TERMINAL.has(task.state)) {
          f.tasks.push(task);
          this.tasks.set(task.id, task);
        }
        changes.push({ type: 'task', task });
        break;
      }
      case 'TASK_UPDATED': {
        const body = isObj(event.task_updated) ? event.task_updated : {};
        const status = isObj(body.status) ? body.status : {};
        const id = idValue(status.task_id);
        const task = id ? this.tasks.get(id) : undefined;
        if (!task) {
          warnings.push({
            where: 'TASK_UPDATED',
            message: `unknown task ${id ?? '(no id)'}; ignored`,
          });
          break;
        }
        const state =
          typeof body.state === 'string'
            ? body.state
            : typeof status.state === 'string'
              ? status.state
              : task.state;
        const updated: MesosTask = {
          ...task,
          state,
          statuses: [...task.statuses, ...parseStatuses([status])],
        };
        const f = this.framework(task.frameworkId);
        f.tasks = f.tasks.filter((t) => t.id !== task.id);
        if (TERMINAL.has(state)) this.tasks.delete(task.id);
        else {
          f.tasks.push(updated);
          this.tasks.set(task.id, updated);
        }
        changes.push({ type: 'task', task: updated });
        break;
      }
      case 'AGENT_ADDED': {
        const body = isObj(event.agent_added) ? event.agent_added : {};
        const agent = parseV1Agent(body.agent, 'AGENT_ADDED.agent', warnings);
        if (!agent) break;
        this.state.agents = [...this.state.agents.filter((a) => a.id !== agent.id), agent];
        changes.push({ type: 'agent', agent });
        break;
      }
      case 'AGENT_REMOVED': {
        const body = isObj(event.agent_removed) ? event.agent_removed : {};
        const agentId = idValue(body.agent_id);
        if (!agentId) break;
        this.state.agents = this.state.agents.filter((a) => a.id !== agentId);
        changes.push({ type: 'agentRemoved', agentId });
        break;
      }
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED': {
        const body = (
          isObj(event.framework_added)
            ? event.framework_added
            : isObj(event.framework_updated)
              ? event.framework_updated
              : {}
        ) as Obj;
        const fw = parseV1Framework(body.framework, `${type}.framework`, warnings);
        if (!fw) break;
        const f = this.framework(fw.id);
        Object.assign(f, { ...fw, tasks: f.tasks });
        changes.push({ type: 'framework', framework: { ...fw, tasks: [] } });
        break;
      }
      case 'FRAMEWORK_REMOVED': {
        const body = isObj(event.framework_removed) ? event.framework_removed : {};
        const info = isObj(body.framework_info) ? body.framework_info : {};
        const id = idValue(info.id);
        if (!id) break;
        const f = this.state.frameworks.find((x) => x.id === id);
        for (const t of f?.tasks ?? []) this.tasks.delete(t.id);
        this.state.frameworks = this.state.frameworks.filter((x) => x.id !== id);
        changes.push({ type: 'frameworkRemoved', frameworkId: id });
        break;
      }
      default:
        return; // events this source does not use (TASK_*, future types)
    }
    if (warnings.length)
      log.warn({ warnings: warnings.map(formatWarning) }, 'stream event partly unusable');
    if (changes.length === 0) return;
    const at = Date.now();
    if (this.stream.listenerCount('change') > 0) {
      for (const c of changes) this.streamEmit('change', c, { at, event: type, from: url });
    } else {
      this.emitSnapshot(url, warnings.map(formatWarning));
    }
  }

  /** A live stream broke: resubscribe at once (first time), then with backoff. */
  private lost(err: Error): void {
    if (this.closed || !this.streaming) return;
    this.streaming = false;
    clearTimeout(this.watchdog);
    this.req?.destroy();
    log.warn({ err: err.message }, 'event stream lost; resubscribing');
    this.failed(err);
  }

  /** Subscribing failed: report, poll once for fresh state, and try again with backoff. */
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
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pollThenConnect(), delay);
    this.timer.unref();
  }

  /** The polling fallback: one GET /master/state (a master without the v1 API still gets
   *  served), then another SUBSCRIBE. */
  private async pollThenConnect(): Promise<void> {
    if (this.closed) return;
    if (this.health.consecutive > 1) {
      const abort = new AbortController();
      this.pollAbort = abort;
      for (const c of this.candidates()) {
        const url = `${this.baseUrl(c)}/master/state`;
        try {
          const doc = await fetchStateJson(url, {
            timeoutMs: this.o.timeoutMs,
            basicAuth: this.o.basicAuth,
            tls: this.o.tls,
            signal: abort.signal,
          });
          if (this.closed) return;
          const parsed = parseState(doc);
          this.state = parsed.state;
          this.tasks.clear();
          for (const f of this.state.frameworks)
            for (const t of f.tasks) if (!TERMINAL.has(t.state)) this.tasks.set(t.id, t);
          // A fallback poll is not a subscription: the failure streak goes on.
          this.health.lastFrom = url;
          this.health.lastSuccessAt = Date.now();
          this.emitSnapshot(url, parsed.warnings.map(formatWarning));
          break;
        } catch (e) {
          log.debug({ url, err: (e as Error).message }, 'fallback poll failed');
        }
      }
    }
    this.connect();
  }

  private safeEmit<K extends keyof StateSourceEvents<MesosState>>(
    event: K,
    ...args: StateSourceEvents<MesosState>[K]
  ): void {
    safeEmit(this, log, event, ...args);
  }

  private streamEmit<K extends keyof StreamEvents>(event: K, ...args: StreamEvents[K]): void {
    safeEmit(this.stream, log, event, ...args);
  }
}
