// `createClient(name, options)`: a load-balanced HTTP client over a ServerSet, as Finagle's
// ZookeeperServerSetCluster gives a JVM service. It resolves the name (every form `beacon
// serverset` accepts, endpoint and shard selection included), keeps a pool per member, and sends
// each request through the balancer with failure accrual, retries and a retry budget.
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { fetch as undiciFetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { NoMembersError } from '../errors.js';
import { parseServersetName, type ServersetName } from '../serverset/names.js';
import { createBalancer } from './balancer.js';
import { ServersetDispatcher, VIRTUAL_ORIGIN } from './dispatcher.js';
import type { ClientMember } from './member.js';
import { Membership } from './membership.js';
import { ClientMetrics } from './metrics.js';
import { resolveOptions, type ClientOptions } from './options.js';
import { RetryBudget } from './retry-budget.js';

export class BeaconClient {
  /** The parsed ServerSet name. */
  readonly name: ServersetName;
  /** An undici Dispatcher sending through the balancer: use it with `client.url(path)`. */
  readonly dispatcher: Dispatcher;
  /** The Prometheus registry holding this client's counters. */
  readonly registry: Registry;
  private readonly membership: Membership;
  private readonly metrics: ClientMetrics;
  private readonly serversetDispatcher: ServersetDispatcher;
  private closing: Promise<void> | undefined;

  constructor(name: string | ServersetName, options: ClientOptions = {}) {
    this.name = typeof name === 'string' ? parseServersetName(name) : name;
    const resolved = resolveOptions(options);
    const now = () => performance.now();
    this.membership = new Membership(this.name, resolved, now);
    const label = options.metrics?.label ?? this.name.path;
    const metrics = new ClientMetrics(
      label,
      () => this.membership.members(),
      options.metrics?.registry,
    );
    this.metrics = metrics;
    this.registry = metrics.registry;
    this.dispatcher = this.serversetDispatcher = new ServersetDispatcher(
      {
        membership: this.membership,
        balancer: createBalancer(resolved.balancer),
        budget: new RetryBudget(resolved.retryBudget, now),
        metrics,
        options: resolved,
        now,
        label: this.name.path,
        closed: () => this.closing !== undefined,
      },
      () => this.close(),
    );
  }

  /** A URL for `path` (`/v1/items?limit=10`) that only this client's dispatcher can send. */
  url(path = '/'): string {
    return VIRTUAL_ORIGIN + (path.startsWith('/') ? path : `/${path}`);
  }

  /** WHATWG fetch through the balancer; `input` is a path or a URL from `url()`. An
   *  `init.dispatcher` replaces the client's (e.g. `client.dispatcher.compose(…)`). */
  fetch(input: string, init?: RequestInit): Promise<Response> {
    const target = input.startsWith(VIRTUAL_ORIGIN) ? input : this.url(input);
    return undiciFetch(target, { ...init, dispatcher: init?.dispatcher ?? this.dispatcher });
  }

  /** The current members with their state, load and latency. */
  members(): ClientMember[] {
    return this.membership.members().map((m) => m.snapshot());
  }

  /** True while ZooKeeper is unreachable and the members are the last known ones. */
  get stale(): boolean {
    return this.membership.stale;
  }

  /** Resolves once at least one member is known; rejects with NoMembersError after `timeoutMs`. */
  ready(timeoutMs = 10000): Promise<void> {
    if (this.membership.members().length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onChange = () => {
        if (!this.membership.members().length) return;
        clearTimeout(t);
        this.membership.off('change', onChange);
        resolve();
      };
      const t = setTimeout(() => {
        this.membership.off('change', onChange);
        const why = this.membership.lastError;
        reject(
          new NoMembersError(
            `no member of ServerSet ${this.name.path} within ${timeoutMs} ms${why ? ` (ZooKeeper: ${why.message})` : ''}`,
            why ? { cause: why } : undefined,
          ),
        );
      }, timeoutMs);
      this.membership.on('change', onChange);
    });
  }

  /** Stops watching the ServerSet, refuses new requests, and closes every member's pool once
   *  the requests in flight are done. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.serversetDispatcher.refuse();
      await this.membership.close();
      this.metrics.close();
    })();
    return this.closing;
  }
}

/** Creates a client for a ServerSet name: `zk!HOSTS!/path[!endpoint]`, `zk!HOSTS!/path!shard!endpoint`,
 *  `zk2!HOSTS[#HOSTS…]!/path[!endpoint]` or `/$/com.twitter.serverset/HOSTS/path[:endpoint][#shard]`.
 *  Throws NameError for a bad name and ConfigError for a bad option; never for an unreachable
 *  ZooKeeper (requests wait for members up to their timeout instead). */
export function createClient(
  name: string | ServersetName,
  options: ClientOptions = {},
): BeaconClient {
  return new BeaconClient(name, options);
}
