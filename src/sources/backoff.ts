// Capped exponential backoff with jitter for retrying an unreachable master (as ioredis does for
// reconnects): attempt n waits between half and all of min(cap, base·2ⁿ), so a fleet of Beacon
// instances restarted together does not hammer a recovering master in lockstep.

export interface BackoffOptions {
  /** First delay before jitter, ms. Default 500. */
  baseMs?: number;
  /** Upper bound of any delay, ms. Default 30000. */
  capMs?: number;
  /** Random source in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

/** Delay before retry number `attempt` (1 = the first retry after one failure). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = Math.max(1, options.baseMs ?? 500);
  const cap = Math.max(base, options.capMs ?? 30000);
  const random = options.random ?? Math.random;
  // 2^(attempt-1) grows past any cap quickly; bound the exponent so it never overflows.
  const exp = Math.min(Math.max(0, attempt - 1), 30);
  const full = Math.min(cap, base * 2 ** exp);
  return Math.round(full / 2 + random() * (full / 2));
}
