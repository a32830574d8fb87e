// Picking the member for one attempt: the eligible members (not draining, not dead unless their
// probe is due, not already tried by this request when others remain) go to the configured
// balancer; when every member is dead the least recently failed one is used rather than failing.
import type { MemberNode } from './member.js';
import type { BalancerKind } from './options.js';
import { pickP2C } from './p2c-ewma.js';
import { RoundRobin } from './round-robin.js';

export interface Balancer {
  /** A member for the next attempt, or undefined when there is none at all. */
  choose(members: readonly MemberNode[], tried: ReadonlySet<MemberNode>): MemberNode | undefined;
}

export function createBalancer(kind: BalancerKind, random: () => number = Math.random): Balancer {
  const rr = new RoundRobin();
  const pick =
    kind === 'round-robin'
      ? (nodes: readonly MemberNode[]) => rr.pick(nodes)
      : (nodes: readonly MemberNode[]) => pickP2C(nodes, (n) => n.load(), random);
  return {
    choose(members, tried) {
      const live = members.filter((m) => !m.draining);
      if (live.length === 0) return undefined;
      const available = live.filter((m) => m.accrual.available());
      const untried = tried.size ? available.filter((m) => !tried.has(m)) : available;
      if (untried.length) return pick(untried);
      if (available.length) return pick(available);
      // Everything is dead: the member that failed longest ago is the likeliest to be back.
      return live.reduce((a, b) => (b.accrual.lastFailureAt < a.accrual.lastFailureAt ? b : a));
    },
  };
}
