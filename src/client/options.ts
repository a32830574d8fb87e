// The options of `createClient`, each with its default, checked once at creation: a bad value is
// rejected naming the option, as Beacon's config schemas do.
import type { Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { FailureAccrualOptions } from './failure-accrual.js';
import type { RetryBudgetOptions } from './retry-budget.js';

export type BalancerKind = 'p2c-ewma' | 'round-robin';

export interface ClientOptions {
  /** `p2c-ewma` (Finagle's p2cPeakEwma) or `round-robin`. Default `p2c-ewma`. */
  balancer?: BalancerKind;
  /** Bound on a whole request, retries and the wait for a member included (ms). Default 10000. */
  requestTimeoutMs?: number;
  /** Bound on one attempt until the response headers (ms); a timed-out attempt counts as a
   *  member failure and is retried like a reset. Default: none (only requestTimeoutMs). */
  attemptTimeoutMs?: number;
  /** Retry budget. Defaults: percent 20, minPerSecond 10, ttlMs 10000. */
  retryBudget?: RetryBudgetOptions;
  /** Failure accrual. Defaults: consecutiveFailures 5, markDeadMs 5000. */
  failureAccrual?: FailureAccrualOptions;
  /** Peak-EWMA decay time (ms). Default 10000. */
  decayMs?: number;
  /** ZooKeeper credentials for ACL-protected ServerSets: `digest:USER:PASS` (or several). */
  auth?: string | string[];
  /** Scheme used to reach members. Default `http`. */
  scheme?: 'http' | 'https';
  /** Keep-alive connections per member at most. Default 64. */
  connectionsPerMember?: number;
  /** Bound on opening a TCP connection to a member (ms). Default 1000 (Finagle's default). */
  connectTimeoutMs?: number;
  /** Bound on each attempt to reach ZooKeeper; the client keeps trying after it. Default 15000. */
  zkConnectTimeoutMs?: number;
  /** ZooKeeper session timeout (ms). Default 10000. */
  zkSessionTimeoutMs?: number;
  /** Prometheus registry for the client's counters (default: a new one, `client.registry`), and
   *  the `client` label value (default: the ServerSet path). */
  metrics?: { registry?: Registry; label?: string };
}

export interface ResolvedOptions {
  balancer: BalancerKind;
  requestTimeoutMs: number;
  attemptTimeoutMs: number | undefined;
  retryBudget: Required<RetryBudgetOptions>;
  failureAccrual: Required<FailureAccrualOptions>;
  decayMs: number;
  auth: string[];
  scheme: 'http' | 'https';
  connectionsPerMember: number;
  connectTimeoutMs: number;
  zkConnectTimeoutMs: number;
  zkSessionTimeoutMs: number;
}

function num(key: string, v: number | undefined, dflt: number, min: number, max = Infinity) {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(
      `createClient option ${key}: ${String(v)} is not a number from ${min} to ${max}`,
    );
  }
  return v;
}

export function resolveOptions(o: ClientOptions = {}): ResolvedOptions {
  const balancer = o.balancer ?? 'p2c-ewma';
  if (balancer !== 'p2c-ewma' && balancer !== 'round-robin') {
    throw new ConfigError(
      `createClient option balancer: ${JSON.stringify(balancer)} is not "p2c-ewma" or "round-robin"`,
    );
  }
  const scheme = o.scheme ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') {
    throw new ConfigError(
      `createClient option scheme: ${JSON.stringify(scheme)} is not http or https`,
    );
  }
  const auth = o.auth === undefined ? [] : Array.isArray(o.auth) ? o.auth : [o.auth];
  return {
    balancer,
    requestTimeoutMs: num('requestTimeoutMs', o.requestTimeoutMs, 10000, 1),
    attemptTimeoutMs:
      o.attemptTimeoutMs === undefined
        ? undefined
        : num('attemptTimeoutMs', o.attemptTimeoutMs, 0, 1),
    retryBudget: {
      percent: num('retryBudget.percent', o.retryBudget?.percent, 20, 0, 1000),
      minPerSecond: num('retryBudget.minPerSecond', o.retryBudget?.minPerSecond, 10, 0),
      ttlMs: num('retryBudget.ttlMs', o.retryBudget?.ttlMs, 10000, 1000, 60000),
    },
    failureAccrual: {
      consecutiveFailures: Math.round(
        num('failureAccrual.consecutiveFailures', o.failureAccrual?.consecutiveFailures, 5, 1),
      ),
      markDeadMs: num('failureAccrual.markDeadMs', o.failureAccrual?.markDeadMs, 5000, 0),
    },
    decayMs: num('decayMs', o.decayMs, 10000, 1),
    auth,
    scheme,
    connectionsPerMember: Math.round(num('connectionsPerMember', o.connectionsPerMember, 64, 1)),
    connectTimeoutMs: num('connectTimeoutMs', o.connectTimeoutMs, 1000, 1),
    zkConnectTimeoutMs: num('zkConnectTimeoutMs', o.zkConnectTimeoutMs, 15000, 1),
    zkSessionTimeoutMs: num('zkSessionTimeoutMs', o.zkSessionTimeoutMs, 10000, 1),
  };
}
