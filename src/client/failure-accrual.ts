// Failure accrual (Finagle's FailureAccrualFactory with consecutive failures): N failures in a row
// (refused, reset, timed out) mark a member dead for `markDeadMs`; after that it is probed with
// one request, and only a success lets it take traffic again. A failed probe marks it dead again.

export interface FailureAccrualOptions {
  /** Consecutive failures that mark a member dead. Default 5. */
  consecutiveFailures?: number;
  /** How long a member stays dead before it is probed. Default 5000. */
  markDeadMs?: number;
}

export type AccrualState = 'alive' | 'dead' | 'probing';

export class FailureAccrual {
  private failures = 0;
  private dead = false;
  private deadUntil = 0;
  private probing = false;
  /** When the last failure happened (clock ms); -Infinity before any. */
  lastFailureAt = -Infinity;

  constructor(
    private readonly threshold: number,
    private readonly markDeadMs: number,
    private readonly now: () => number,
  ) {}

  /** `dead` while marked dead (also once due for a probe), `probing` while a probe is out. */
  get state(): AccrualState {
    if (!this.dead) return 'alive';
    return this.probing ? 'probing' : 'dead';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** When a dead member may be probed (clock ms), or undefined when alive. */
  get probeAt(): number | undefined {
    return this.dead ? this.deadUntil : undefined;
  }

  /** May take a request now: alive, or dead with its probe due and no probe out. */
  available(): boolean {
    if (!this.dead) return true;
    return !this.probing && this.now() >= this.deadUntil;
  }

  /** A request is sent to this member; a dead member's request is its probe. */
  dispatched(): void {
    if (this.dead) this.probing = true;
  }

  /** A response arrived: the member is alive again. */
  success(): void {
    this.failures = 0;
    this.dead = false;
    this.probing = false;
  }

  /** A request failed at the connection level. Returns true when this marked the member dead. */
  failure(): boolean {
    this.lastFailureAt = this.now();
    if (this.dead) {
      // A failed probe (or a request sent while everything was dead): dead for another period.
      this.probing = false;
      this.deadUntil = this.now() + this.markDeadMs;
      return false;
    }
    this.failures++;
    if (this.failures < this.threshold) return false;
    this.dead = true;
    this.deadUntil = this.now() + this.markDeadMs;
    return true;
  }

  /** A request ended without saying anything about the member (the caller aborted it). */
  neutral(): void {
    this.probing = false;
  }
}
