// The devcluster's web dashboard, mounted on the master's HTTP server: `/` (the page),
// `/dashboard/static/*` (its CSS and JS), `/dashboard/api/overview|metrics|events` (JSON) and
// `/dashboard/events` (the live feed, Server-Sent Events). It only reads: kill and restart go from
// the page to the jobs API (`POST /jobs/KEY/kill|restart`) and pass that API's checks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRead, sendJson, sendText } from '../../http/floor.js';
import type { DnsService } from '../../service/dns-service.js';
import { serversetPath } from '../aurora.js';
import { parseJobKey } from '../job-schema.js';
import type { Master } from '../master.js';
import type { Scheduler } from '../scheduler.js';
import type { ClusterTask, TaskStatusRecord } from '../types.js';
import { DnsFeed } from './dns-feed.js';
import type { DnsSample } from './metrics-sampler.js';
import { EventHub } from './event-hub.js';
import { JobMembers } from './members.js';
import { buildOverview } from './overview.js';
import type { MetricsReply, TaskEventData } from './page-types.js';
import { StaticFiles } from './static.js';

export type { Overview } from './overview.js';
export type { FeedEvent } from './event-hub.js';

/** What the dashboard follows of the devcluster's DNS (cluster/dns.ts). */
export interface DashboardDns {
  /** The records served (a records-only mirror in this thread: the DNS runs in a worker). */
  readonly records: DnsService;
  /** `ip:port` where the DNS answers. */
  readonly dnsAddress: string;
  /** The DNS server's query counters and state age. */
  sample(): Promise<DnsSample>;
}

export interface DashboardOptions {
  master: Master;
  scheduler: Scheduler;
  /** Where ServerSets are read: a ZooKeeper connect string, or `embedded`. */
  coordination: string;
  /** ServerSet root (`/aurora`). */
  zkRoot: string;
  /** Honour a job's `announce.zk_path`, as the executor does. */
  allowCustomServersetPath: boolean;
}

export class Dashboard {
  private readonly o: DashboardOptions;
  private readonly hub = new EventHub();
  private files: StaticFiles | Error | undefined;
  private readonly members: JobMembers;
  private dns: DnsFeed | undefined;
  private dnsView: DashboardDns | undefined;
  private reconcileQueued = false;
  private readonly listeners: (() => void)[] = [];

  constructor(o: DashboardOptions) {
    this.o = o;
    this.members = new JobMembers({
      target: o.coordination,
      onChange: (c) =>
        this.hub.publish({
          kind: 'serverset',
          at: Date.now(),
          data: { job: c.job, path: c.path, joined: c.joined, left: c.left },
        }),
    });
    const m = o.master;
    const onAdded = (task: ClusterTask) => {
      this.taskEvent(task.jobKey, task.instance, task.taskId, task.state, '', task.agentId);
    };
    const onUpdated = (task: ClusterTask, s: TaskStatusRecord) => {
      this.taskEvent(
        task.jobKey,
        task.instance,
        task.taskId,
        s.state,
        s.message ?? '',
        task.agentId,
        s.healthy,
      );
    };
    m.on('taskAdded', onAdded);
    m.on('taskUpdated', onUpdated);
    this.listeners.push(
      () => m.off('taskAdded', onAdded),
      () => m.off('taskUpdated', onUpdated),
    );
    this.queueReconcile();
  }

  /** Follows the devcluster's DNS service: names, record changes, the chart's metrics. */
  attachDns(dns: DashboardDns): void {
    this.dns?.stop();
    this.dnsView = dns;
    this.dns = new DnsFeed({
      service: dns.records,
      read: () => dns.sample(),
      onChange: (c) => this.hub.publish({ kind: 'dns', at: Date.now(), data: { ...c } }),
      onSample: (s) => this.hub.publish({ kind: 'metrics', at: s.at, data: { ...s } }),
    });
  }

  /** Serves a dashboard path; false when `path` is not one (the caller answers 404). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (!isRead(req.method)) return false;
    if (path === '/' || path === '/dashboard') return this.sendFile(res, 'index.html');
    if (path.startsWith('/dashboard/static/')) {
      return this.sendFile(res, path.slice('/dashboard/static/'.length));
    }
    switch (path) {
      case '/dashboard/api/overview':
        return json(res, this.overview());
      case '/dashboard/api/metrics':
        return json(res, {
          dns: this.dns !== undefined,
          samples: this.dns?.sampler.window() ?? [],
        } satisfies MetricsReply);
      case '/dashboard/api/events':
        return json(res, { events: this.hub.recent() });
      case '/dashboard/events':
        this.hub.serve(req, res);
        return true;
    }
    return false;
  }

  /** The page's files are read on first use: a missing file costs the page, never the cluster. */
  private sendFile(res: ServerResponse, name: string): boolean {
    if (this.files === undefined) {
      try {
        this.files = new StaticFiles();
      } catch (e) {
        this.files = e as Error;
      }
    }
    if (this.files instanceof Error) {
      sendText(res, 500, `the dashboard is not available: ${this.files.message}\n`);
      return true;
    }
    return this.files.send(res, name);
  }

  overview(): ReturnType<typeof buildOverview> {
    const svc = this.dns?.service;
    return buildOverview({
      master: this.o.master,
      scheduler: this.o.scheduler,
      dns: svc
        ? { records: svc.records(), domain: svc.config.domain, server: this.dnsView?.dnsAddress }
        : undefined,
      serverset: (job) => this.members.get(job),
    });
  }

  async close(): Promise<void> {
    for (const off of this.listeners.splice(0)) off();
    this.dns?.stop();
    this.hub.close();
    await this.members.close();
  }

  private taskEvent(
    job: string,
    instance: number,
    taskId: string,
    state: string,
    message: string,
    agentId: string,
    healthy?: boolean,
  ): void {
    const agent = this.o.master.agent(agentId)?.info.hostname ?? agentId;
    const data: TaskEventData = {
      job,
      instance,
      taskId,
      state,
      message,
      agent,
      ...(healthy !== undefined ? { healthy } : {}),
    };
    this.hub.publish({ kind: 'task', at: Date.now(), data: { ...data } });
    this.queueReconcile();
  }

  /** Watches the ServerSet of every announcing job (jobs come and go with task events). */
  private queueReconcile(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    setImmediate(() => {
      this.reconcileQueued = false;
      const wanted = new Map<string, string>();
      for (const { key } of this.o.scheduler.list()) {
        const config = this.o.scheduler.status(key).config;
        if (!config.announce) continue;
        const custom = config.announce.zk_path;
        wanted.set(
          key,
          custom && this.o.allowCustomServersetPath
            ? custom
            : serversetPath(this.o.zkRoot, parseJobKey(key)),
        );
      }
      this.members.sync(wanted);
    });
  }
}

function json(res: ServerResponse, body: unknown): true {
  sendJson(res, 200, body, { 'cache-control': 'no-store' });
  return true;
}
