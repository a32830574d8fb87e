// One member as the client sees it: its endpoint, a keep-alive connection pool, requests
// outstanding, peak-EWMA latency and failure accrual. Several ServerSet nodes announcing the same
// endpoint (a re-join after session expiry) share one member and one pool.
import { Pool } from 'undici';
import { FailureAccrual, type AccrualState } from './failure-accrual.js';
import { PeakEwma, ewmaLoad } from './p2c-ewma.js';
import type { ResolvedOptions } from './options.js';

/** What `client.members()` reports for each member. */
export interface ClientMember {
  /** `host:port` of the selected endpoint. */
  address: string;
  host: string;
  port: number;
  /** ServerSet nodes announcing this endpoint (`member_0000000007`…). */
  nodes: string[];
  shard?: number;
  /** `alive`; `dead` (marked dead by failure accrual, probed after markDeadMs); `probing` (its
   *  probe request is out); `draining` (left the ServerSet, finishing its requests). */
  state: AccrualState | 'draining';
  /** Requests in flight to it. */
  outstanding: number;
  /** Peak-EWMA latency (ms), decayed to now. */
  latencyMs: number;
  /** The balancer's load: latency × (outstanding + 1). */
  load: number;
  consecutiveFailures: number;
  /** Attempts sent to it and how many of them failed at the connection level. */
  requests: number;
  failures: number;
}

/** `host:port`, IPv6 in brackets: the key of a member and the authority of its pool. */
export function addressOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class MemberNode {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly pool: Pool;
  readonly ewma: PeakEwma;
  readonly accrual: FailureAccrual;
  readonly nodes = new Set<string>();
  shard: number | undefined;
  outstanding = 0;
  requests = 0;
  failures = 0;
  draining = false;

  constructor(host: string, port: number, options: ResolvedOptions, now: () => number) {
    this.host = host;
    this.port = port;
    this.address = addressOf(host, port);
    this.pool = new Pool(`${options.scheme}://${this.address}`, {
      connections: options.connectionsPerMember,
      connectTimeout: options.connectTimeoutMs,
      pipelining: 1,
    });
    this.ewma = new PeakEwma(options.decayMs, now);
    this.accrual = new FailureAccrual(
      options.failureAccrual.consecutiveFailures,
      options.failureAccrual.markDeadMs,
      now,
    );
  }

  load(): number {
    return ewmaLoad(this.ewma.get(), this.outstanding);
  }

  snapshot(): ClientMember {
    const latencyMs = this.ewma.get();
    return {
      address: this.address,
      host: this.host,
      port: this.port,
      nodes: [...this.nodes].sort(),
      ...(this.shard !== undefined ? { shard: this.shard } : {}),
      state: this.draining ? 'draining' : this.accrual.state,
      outstanding: this.outstanding,
      latencyMs,
      load: ewmaLoad(latencyMs, this.outstanding),
      consecutiveFailures: this.accrual.consecutiveFailures,
      requests: this.requests,
      failures: this.failures,
    };
  }

  /** Stops new requests and closes the pool once those in flight are done. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.pool.close();
  }
}
