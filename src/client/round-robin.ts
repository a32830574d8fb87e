// Round-robin: the simple balancer. Each pick takes the next member of the eligible list; the
// list changes as members join, leave or are marked dead, so the position wraps modulo its length.
export class RoundRobin {
  private next = 0;

  pick<T>(nodes: readonly T[]): T {
    const i = this.next++ % nodes.length;
    if (this.next >= Number.MAX_SAFE_INTEGER) this.next = 0;
    return nodes[i]!;
  }
}
