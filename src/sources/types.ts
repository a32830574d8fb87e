// The one protocol every source of records implements — masters poll, ZooKeeper leader
// detection, state file, v1 event stream, ServerSets: complete snapshots, optional incremental
// changes (one change type, RecordChange, applied by the records layer), failures, status and
// close. Consumers wire every source the same way and never see a half-fetched document.
import type { EventEmitter } from 'node:events';
import type { RecordChange } from '../records/changes.js';

/** One successfully fetched and parsed snapshot. `S` is the parsed model type. */
export interface StateSnapshot<S> {
  state: S;
  /** Items the parser skipped (bad task, pid, port range), one human-readable line each. */
  warnings: string[];
  /** ms since the epoch when the document finished arriving. */
  fetchedAt: number;
  /** Where it came from: `http://10.0.0.1:5050/master/state` or `file:/path/state.json`. */
  from: string;
}

/** One failed refresh: the source keeps going (retrying with backoff) after emitting it. */
export interface StateFailure {
  error: Error;
  at: number;
  /** Consecutive failures so far, this one included. */
  consecutive: number;
  /** When the next attempt is planned (ms since the epoch), if one is. */
  nextAttemptAt?: number;
}

/** Where and when an incremental change arrived. */
export interface ChangeMeta {
  /** ms since the epoch when the change arrived. */
  at: number;
  /** What caused it: the event type on the wire (`TASK_UPDATED`…) or `SERVERSET`. */
  event: string;
  from: string;
}

export interface SourceStatus {
  /** `masters`, `zk`, `file` or `serversets`. */
  kind: 'masters' | 'zk' | 'file' | 'serversets';
  /** What the source reads: the masters list, the zk:// URL, the file path, the roots. */
  target: string;
  /** Where the last good snapshot came from. */
  lastFrom?: string;
  /** Last good snapshot — or, while `live`, the last change or heartbeat. */
  lastSuccessAt?: number;
  lastFailure?: { message: string; at: number };
  consecutiveFailures: number;
  nextAttemptAt?: number;
  /** The leading master as currently known (`ip:port`), for masters and zk sources. */
  leader?: string;
  /** True while a push source (event stream, watches) is connected and keeps its data current,
   *  so the data is as fresh as `lastSuccessAt`, not as its last snapshot. */
  live?: boolean;
}

export interface StateSourceEvents<S> {
  snapshot: [StateSnapshot<S>];
  /** An incremental change to the data of the last snapshot (incremental sources only). */
  change: [RecordChange, ChangeMeta];
  failure: [StateFailure];
  /** A document read and rejected that is not a failure of the source itself (the stream
   *  source's fallback poll while the stream is down): the service collects after it as after a
   *  failure that read one. */
  discarded: [StateFailure];
}

export interface StateSource<S> extends EventEmitter<StateSourceEvents<S>> {
  /** Begins loading; returns at once (the first snapshot arrives as an event). */
  start(): void;
  /** Asks for a fresh snapshot now (SIGHUP: re-read the file, poll the masters now). Sources
   *  that are always current (a live stream, watches) may do nothing. */
  refresh?(): void;
  /** Stops timers, watches and in-flight requests; no events after it resolves. */
  close(): Promise<void>;
  status(): SourceStatus;
}

/** Turns the raw JSON value of a state document into the parsed model (throws or rejects with
 *  StateError when the document is unusable as a whole); may work in slices and resolve later
 *  (stateParserSliced). Injected so sources stay independent of the model. */
export type StateParser<S> = (
  doc: unknown,
) => { state: S; warnings: string[] } | Promise<{ state: S; warnings: string[] }>;
