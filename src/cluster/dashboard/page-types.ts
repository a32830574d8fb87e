// The shapes the page's script (public/dashboard.js) reads, taken from the server's own types so
// the two cannot drift: the script imports them in JSDoc (`import('../page-types.js').Overview`)
// and `tsconfig.dashboard.json` type-checks it against them as part of the build. Types only.
import type { DnsChange } from './dns-feed.js';
import type { MembersChange } from './members.js';
import type { MetricsSample } from './metrics-sampler.js';

export type { InstanceOverview, JobOverview, Overview } from './overview.js';
export type { MemberView } from './members.js';
export type { MetricsSample } from './metrics-sampler.js';
export type { NameChange } from './dns-feed.js';

/** `/dashboard/api/metrics`: the sampler's window, or no samples when DNS is off. */
export interface MetricsReply {
  dns: boolean;
  samples: MetricsSample[];
}

/** A task's state change, as the feed carries it. */
export interface TaskEventData {
  job: string;
  instance: number;
  taskId: string;
  state: string;
  message: string;
  /** The agent's hostname. */
  agent: string;
  healthy?: boolean;
}

/** The payload of each live-feed event kind (the SSE `data` is `{at, ...payload}`). */
export interface FeedPayloads {
  task: TaskEventData;
  serverset: MembersChange;
  dns: DnsChange;
  metrics: MetricsSample;
}

/** What one SSE message of `kind` parses to. */
export type FeedData<K extends keyof FeedPayloads> = { at: number } & FeedPayloads[K];

/** One entry of the page's feed (every kind but the chart's metrics), its data by its kind. */
export type FeedEntry = {
  [K in Exclude<keyof FeedPayloads, 'metrics'>]: { kind: K; data: FeedData<K> };
}[Exclude<keyof FeedPayloads, 'metrics'>];

/** An error body of the jobs API (`{"error", "code"}`); fields may be missing on a proxy's reply. */
export interface ErrorBody {
  error?: string;
  code?: string;
}
