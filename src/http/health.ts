// /healthz's verdict, as a pure function of what the serving side knows: "not ready" before the
// first good state (503), "ok", or "degraded" (still serving the last good records) when the last
// refresh failed or the state is older than maxStateAgeSeconds. Degraded answers 200 by default —
// the records are still served and taking every replica out of a load balancer because the
// master is down would turn a stale-data problem into an outage — and 503 with `?strict`.
import type { RecordCounts } from '../records/record-types.js';

export type HealthStatus = 'not ready' | 'ok' | 'degraded';

export interface HealthInput {
  /** When the served state was fetched (ms since the epoch); undefined before the first load. */
  stateFetchedAt?: number;
  /** Where the served state came from. */
  stateFrom?: string;
  /** The last failed refresh, if it came after the last good one. */
  lastFailure?: { message: string; at: number };
  consecutiveFailures: number;
  /** Planned next attempt (ms since the epoch). */
  nextAttemptAt?: number;
  maxStateAgeSeconds: number;
  /** The source: kind and what it reads (masters list, zk:// URL, file). */
  source: { kind: string; target: string; leader?: string };
  /** Items skipped in the served state. */
  skippedItems?: number;
  /** Record counts of the served set. */
  records?: RecordCounts;
}

export interface HealthReport {
  status: HealthStatus;
  /** Why not ok (empty when ok). */
  reasons: string[];
  /** Seconds since the served state was fetched; null before the first load. */
  stateAgeSeconds: number | null;
  maxStateAgeSeconds: number;
  stateFrom: string | null;
  lastError: { message: string; at: string } | null;
  consecutiveFailures: number;
  nextAttemptAt: string | null;
  source: { kind: string; target: string; leader?: string };
  skippedItems: number;
  records: RecordCounts | null;
}

export function computeHealth(input: HealthInput, now: number): HealthReport {
  const reasons: string[] = [];
  let status: HealthStatus;
  const age =
    input.stateFetchedAt === undefined ? null : Math.max(0, (now - input.stateFetchedAt) / 1000);
  if (age === null) {
    status = 'not ready';
    reasons.push(
      input.lastFailure
        ? `no state loaded yet; last attempt failed: ${input.lastFailure.message}`
        : 'no state loaded yet',
    );
  } else {
    status = 'ok';
    if (input.consecutiveFailures > 0 && input.lastFailure) {
      status = 'degraded';
      reasons.push(
        `the last ${input.consecutiveFailures === 1 ? 'refresh' : `${input.consecutiveFailures} refreshes`} failed (serving the last good state): ${input.lastFailure.message}`,
      );
    }
    if (age > input.maxStateAgeSeconds) {
      status = 'degraded';
      reasons.push(
        `state is ${Math.round(age)} s old, more than maxStateAgeSeconds (${input.maxStateAgeSeconds})`,
      );
    }
  }
  return {
    status,
    reasons,
    stateAgeSeconds: age === null ? null : Math.round(age * 1000) / 1000,
    maxStateAgeSeconds: input.maxStateAgeSeconds,
    stateFrom: input.stateFrom ?? null,
    lastError: input.lastFailure
      ? { message: input.lastFailure.message, at: new Date(input.lastFailure.at).toISOString() }
      : null,
    consecutiveFailures: input.consecutiveFailures,
    nextAttemptAt:
      input.nextAttemptAt === undefined ? null : new Date(input.nextAttemptAt).toISOString(),
    source: input.source,
    skippedItems: input.skippedItems ?? 0,
    records: input.records ?? null,
  };
}

/** The HTTP status of a report: 503 when not ready (and when degraded if `strict`), else 200. */
export function healthHttpStatus(report: HealthReport, strict: boolean): number {
  if (report.status === 'not ready') return 503;
  if (report.status === 'degraded' && strict) return 503;
  return 200;
}
