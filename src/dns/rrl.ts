// Response-rate limiting (RRL) for UDP answers, against reflection/amplification with spoofed
// sources: one token bucket per client netblock (/24 for IPv4, /56 for IPv6, as BIND and NSD do),
// refilled at `responsesPerSecond` with a burst of one second's worth. A query over the limit is
// dropped, except every `slip`-th one, which gets a tiny TC=1 answer so a real client behind the
// netblock retries over TCP (which is never limited: it cannot be spoofed). The bucket table is
// bounded: when it is full, buckets that have refilled completely (idle ones, equal to a fresh
// bucket) are swept, then the oldest entries if needed, so a flood of spoofed sources costs
// bounded memory.
import type { ClientAddress } from './acl.js';

/** What to do with one response: send it, drop it, or send a TC=1 "slip" in its place. */
export type RrlVerdict = 'send' | 'drop' | 'slip';

export interface RrlOptions {
  /** Responses per second per netblock; also the burst. Must be > 0 (0 means "no limiter"). */
  responsesPerSecond: number;
  /** Every Nth limited response is slipped (TC=1) instead of dropped; 0 never slips. Default 2. */
  slip?: number;
  /** Most netblocks tracked at once. Default 65536. */
  tableSize?: number;
  /** Clock in ms (tests freeze and advance it). Default Date.now. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  /** ms of the last refill. */
  at: number;
  /** Limited responses so far, for slip counting. */
  limited: number;
}

export class ResponseRateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly slip: number;
  private readonly tableSize: number;
  private readonly now: () => number;
  /** IPv4 /24 keys are numbers (address >>> 8); IPv6 /56 keys are strings. */
  private readonly buckets = new Map<number | string, Bucket>();
  /** How long an empty bucket takes to refill completely, ms: idle longer = same as new. */
  private readonly fullAfterMs: number;

  constructor(o: RrlOptions) {
    if (!(o.responsesPerSecond > 0)) throw new RangeError('responsesPerSecond must be > 0');
    this.rate = o.responsesPerSecond / 1000;
    this.burst = Math.max(1, o.responsesPerSecond);
    this.slip = Math.max(0, Math.floor(o.slip ?? 2));
    this.tableSize = Math.max(16, Math.floor(o.tableSize ?? 65536));
    this.now = o.now ?? Date.now;
    this.fullAfterMs = this.burst / this.rate;
  }

  /** Netblocks being tracked (for tests and debugging). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for the client's netblock. `a` must be parsed (family 4 or 6). */
  check(a: ClientAddress): RrlVerdict {
    const key = a.family === 4 ? a.w[0] >>> 8 : `${a.w[0]}:${a.w[1] >>> 8}`;
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.tableSize) this.sweep(now);
      b = { tokens: this.burst, at: now, limited: 0 };
      this.buckets.set(key, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.rate);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'send';
    }
    b.limited++;
    return this.slip > 0 && b.limited % this.slip === 0 ? 'slip' : 'drop';
  }

  /** Frees room: idle buckets first (lossless), then the oldest eighth of the table. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) {
      if (now - b.at >= this.fullAfterMs) this.buckets.delete(k);
    }
    // Still (nearly) full: everyone is active (a spoofed flood). Dropping the oldest entries gives
    // them a fresh burst, which is the price of bounded memory; freeing an eighth at once keeps
    // the cost of these scans amortised to a few steps per new netblock.
    const target = this.tableSize - Math.ceil(this.tableSize / 8);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(k);
    }
  }
}
