// The client's Prometheus counters (prom-client), named and labelled like the rest of Beacon's
// (`beacon_*`, `_total` counters). Several clients may share one registry: each metric is created
// once per registry and every client adds its own `client` label value.
import { Counter, Gauge, Registry } from 'prom-client';
import type { MemberNode } from './member.js';

type Labelled = Counter<'client'>;

function counter(registry: Registry, name: string, help: string): Labelled {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Labelled;
  return new Counter({ name, help, labelNames: ['client'], registers: [registry] });
}

/** Member counts by state are read at scrape time from every client registered here. */
const sources = new WeakMap<Registry, Map<string, () => readonly MemberNode[]>>();

function membersGauge(registry: Registry): void {
  if (registry.getSingleMetric('beacon_client_members')) return;
  new Gauge({
    name: 'beacon_client_members',
    help: 'Members of the ServerSet known to the client, by state (alive, dead, probing, draining)',
    labelNames: ['client', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [client, members] of sources.get(registry) ?? []) {
        const counts = { alive: 0, dead: 0, probing: 0, draining: 0 };
        for (const m of members()) counts[m.draining ? 'draining' : m.accrual.state]++;
        for (const [state, n] of Object.entries(counts)) this.set({ client, state }, n);
      }
    },
  });
}

export class ClientMetrics {
  readonly registry: Registry;
  private readonly requests: { inc(): void };
  private readonly failed: { inc(): void };
  private readonly retries: { inc(): void };
  private readonly exhausted: { inc(): void };
  private readonly ejections: { inc(): void };

  constructor(label: string, members: () => readonly MemberNode[], registry = new Registry()) {
    this.registry = registry;
    this.label = label;
    const child = (name: string, help: string) => {
      const c = counter(registry, name, help).labels(label);
      c.inc(0); // present from the start, so rate() works before the first event
      return c;
    };
    this.requests = child('beacon_client_requests_total', 'Requests made through the client');
    this.failed = child(
      'beacon_client_request_failures_total',
      'Requests that ended in an error (no response), after any retries',
    );
    this.retries = child(
      'beacon_client_retries_total',
      'Attempts retried on another member after failing before any response byte',
    );
    this.exhausted = child(
      'beacon_client_retry_budget_exhausted_total',
      'Retries not made because the retry budget was exhausted',
    );
    this.ejections = child(
      'beacon_client_ejections_total',
      'Members marked dead by failure accrual (consecutive connection failures or timeouts)',
    );
    membersGauge(registry);
    let map = sources.get(registry);
    if (!map) sources.set(registry, (map = new Map()));
    map.set(label, members);
  }

  private readonly label: string;

  /** The client closed: its member gauge is no longer reported. */
  close(): void {
    sources.get(this.registry)?.delete(this.label);
  }

  request(): void {
    this.requests.inc();
  }
  failure(): void {
    this.failed.inc();
  }
  retry(): void {
    this.retries.inc();
  }
  budgetExhausted(): void {
    this.exhausted.inc();
  }
  ejection(): void {
    this.ejections.inc();
  }
}
