// Finagle's RetryBudget: every request deposits, every retry withdraws, and deposits and
// withdrawals expire after a TTL window; a fixed reserve allows `minPerSecond` retries on top.
// So over any window retries stay below `percent` % of requests + minPerSecond × TTL, and an
// outage cannot multiply the load it puts on the members that are left.

export interface RetryBudgetOptions {
  /** Retries allowed as a percentage of requests (0–1000). Default 20. */
  percent?: number;
  /** Retries always allowed per second, whatever the request rate. Default 10. */
  minPerSecond?: number;
  /** Window over which deposits and withdrawals count. Default 10000. */
  ttlMs?: number;
}

const SLOTS = 10;

export class RetryBudget {
  private readonly deposit_: number;
  private readonly reserve: number;
  private readonly slotMs: number;
  /** Ring of per-slot sums (in retries) and the slot index each holds. */
  private readonly sums = new Float64Array(SLOTS);
  private readonly ids = new Float64Array(SLOTS).fill(-1);

  constructor(
    options: Required<RetryBudgetOptions>,
    private readonly now: () => number,
  ) {
    this.deposit_ = options.percent / 100;
    this.reserve = options.minPerSecond * (options.ttlMs / 1000);
    this.slotMs = options.ttlMs / SLOTS;
  }

  private slot(): number {
    const id = Math.floor(this.now() / this.slotMs);
    const i = id % SLOTS;
    if (this.ids[i] !== id) {
      this.ids[i] = id;
      this.sums[i] = 0;
    }
    return i;
  }

  private windowSum(): number {
    const id = Math.floor(this.now() / this.slotMs);
    let sum = 0;
    for (let i = 0; i < SLOTS; i++) if (this.ids[i]! > id - SLOTS) sum += this.sums[i]!;
    return sum;
  }

  /** Retries available now. */
  get balance(): number {
    return Math.floor(this.reserve + this.windowSum() + 1e-9);
  }

  /** One request was made. */
  deposit(): void {
    this.sums[this.slot()] += this.deposit_;
  }

  /** Takes one retry from the budget; false when it is exhausted. */
  tryWithdraw(): boolean {
    if (this.reserve + this.windowSum() < 1 - 1e-9) return false;
    this.sums[this.slot()] -= 1;
    return true;
  }
}
