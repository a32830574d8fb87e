// Finagle's `p2cPeakEwma`: each member's cost is a peak-sensitive, exponentially weighted moving
// average of its latency, multiplied by its outstanding requests + 1; each pick draws two distinct
// members at random and takes the cheaper one. Peaks are taken at once and forgotten slowly
// (decay ~10 s), so a member that turns slow loses traffic immediately and regains it cautiously.

/** Load of a member that has requests outstanding but no latency sample yet (Finagle's Penalty):
 *  it takes one request at a time until its first answer says how fast it is. */
export const PENALTY = Number.MAX_SAFE_INTEGER / 65536;

export class PeakEwma {
  private cost = 0;
  private stamp: number;

  constructor(
    private readonly decayMs: number,
    private readonly now: () => number,
  ) {
    this.stamp = now();
  }

  /** Records one round-trip time (ms). A value above the average replaces it (the peak). */
  observe(rttMs: number): void {
    const t = this.now();
    const elapsed = Math.max(t - this.stamp, 0);
    this.stamp = t;
    const rtt = Math.max(rttMs, 0);
    if (rtt > this.cost) this.cost = rtt;
    else {
      const w = Math.exp(-elapsed / this.decayMs);
      this.cost = this.cost * w + rtt * (1 - w);
    }
  }

  /** The current average (ms), decayed for the time since the last sample: an idle member's
   *  old peak fades instead of excluding it for ever. */
  get(): number {
    this.observe(0);
    return this.cost;
  }
}

/** Finagle's load: cost × (outstanding + 1), or PENALTY + outstanding without a sample yet. */
export function ewmaLoad(costMs: number, outstanding: number): number {
  if (costMs === 0 && outstanding > 0) return PENALTY + outstanding;
  return costMs * (outstanding + 1);
}

/** Power of two choices: two distinct members at random, the lower `load` wins. */
export function pickP2C<T>(nodes: readonly T[], load: (n: T) => number, random: () => number): T {
  if (nodes.length === 1) return nodes[0]!;
  const a = Math.floor(random() * nodes.length);
  let b = Math.floor(random() * (nodes.length - 1));
  if (b >= a) b++;
  const na = nodes[a]!;
  const nb = nodes[b]!;
  return load(nb) < load(na) ? nb : na;
}
