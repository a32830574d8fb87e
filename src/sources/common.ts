// Pieces shared by the state sources: the success/failure bookkeeping behind status(), the order
// in which masters are tried, and emitting to listeners without letting a listener's exception
// stop the source.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import { hostPort, type MasterAddress } from './master-address.js';
import type { SourceStatus } from './types.js';

/** The candidates in order without duplicates: the leader hint, then the configured masters. */
export function masterCandidates(
  hint: MasterAddress | undefined,
  masters: readonly MasterAddress[],
): MasterAddress[] {
  const out: MasterAddress[] = [];
  const seen = new Set<string>();
  for (const c of hint ? [hint, ...masters] : masters) {
    const key = hostPort(c);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

/** Emits `event`; a listener that throws is logged on `log` instead of stopping the caller. */
export function safeEmit<E extends Record<keyof E, unknown[]>, K extends keyof E>(
  emitter: EventEmitter<E>,
  log: Logger,
  event: K,
  ...args: E[K]
): void {
  try {
    (emitter.emit as unknown as (e: K, ...a: E[K]) => boolean).call(emitter, event, ...args);
  } catch (e) {
    log.error({ err: (e as Error).message }, `a ${String(event)} listener threw`);
  }
}

/** What a source remembers of its last refreshes, for status() and failure events. */
export class RefreshHealth {
  consecutive = 0;
  lastSuccessAt: number | undefined;
  lastFrom: string | undefined;
  lastFailure: { message: string; at: number } | undefined;

  /** A good snapshot from `from` at `at`: the failure streak ends. */
  succeeded(from: string, at: number): void {
    this.consecutive = 0;
    this.lastSuccessAt = at;
    this.lastFrom = from;
  }

  /** Its part of status(), in status() order. */
  status(): Pick<
    SourceStatus,
    'lastFrom' | 'lastSuccessAt' | 'lastFailure' | 'consecutiveFailures'
  > {
    return {
      lastFrom: this.lastFrom,
      lastSuccessAt: this.lastSuccessAt,
      lastFailure: this.lastFailure,
      consecutiveFailures: this.consecutive,
    };
  }

  /** One more failure in the streak; returns when it happened (ms since the epoch). */
  failed(error: Error): number {
    this.consecutive++;
    const at = Date.now();
    this.lastFailure = { message: error.message, at };
    return at;
  }
}
