// The one interface every state source implements (master poll, ZooKeeper leader detection,
// static file): it emits complete snapshots of the Mesos state, or failures, and reports its
// status for /healthz. Consumers never see a half-fetched document.
import type { EventEmitter } from 'node:events';

/** One successfully fetched and parsed state document. `S` is the parsed model type. */
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

export interface SourceStatus {
  /** `masters`, `zk` or `file`. */
  kind: 'masters' | 'zk' | 'file';
  /** What the source reads: the masters list, the zk:// URL, or the file path. */
  target: string;
  /** Where the last good snapshot came from. */
  lastFrom?: string;
  lastSuccessAt?: number;
  lastFailure?: { message: string; at: number };
  consecutiveFailures: number;
  nextAttemptAt?: number;
  /** The leading master as currently known (`ip:port`), for masters and zk sources. */
  leader?: string;
}

export interface StateSourceEvents<S> {
  snapshot: [StateSnapshot<S>];
  failure: [StateFailure];
}

export interface StateSource<S> extends EventEmitter<StateSourceEvents<S>> {
  /** Begins loading; returns at once (the first snapshot arrives as an event). */
  start(): void;
  /** Stops timers, watches and in-flight requests; no events after it resolves. */
  close(): Promise<void>;
  status(): SourceStatus;
}

/** Turns the raw JSON value of a state document into the parsed model (throws StateError when
 *  the document is unusable as a whole). Injected so sources stay independent of the model. */
export type StateParser<S> = (doc: unknown) => { state: S; warnings: string[] };
