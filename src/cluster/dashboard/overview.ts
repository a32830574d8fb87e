// `/dashboard/api/overview`: everything the page draws in one document — jobs with their
// instance counts, each instance's state, agent, address, named ports (aliases included), health,
// restarts and last status message, the job's DNS names and its ServerSet members. Read from the
// scheduler, the master and the watchers as they are now; nothing is cached.
import type { MemRecordSet } from '../../records/index.js';
import type { Master } from '../master.js';
import type { AuroraStatus, InstanceView, Scheduler } from '../scheduler.js';
import { isTerminal } from '../types.js';
import { jobDnsNames, type JobDnsNames } from './dns-names.js';
import type { ServersetView } from './members.js';

export type Health = 'healthy' | 'unhealthy' | 'checking' | 'no check' | 'n/a';

export interface InstanceOverview {
  instance: number;
  status: AuroraStatus;
  taskId: string | null;
  agent: { id: string; hostname: string } | null;
  host: string | null;
  /** Named ports as published (DiscoveryInfo: assigned ports, then portmap aliases). */
  ports: { name: string; port: number }[];
  health: Health;
  restarts: number;
  failures: number;
  message: string | null;
  /** ms since the epoch when a THROTTLED instance is retried. */
  throttledUntil: number | null;
  /** This instance's own DNS names (what the job's SRV records point at). */
  dnsNames: string[];
  /** Left out of the job's DNS names as unhealthy (Beacon's healthFilter: its latest health check
   *  failed while another running instance of the job is not unhealthy — with every instance
   *  unhealthy, DNS fails open and answers with all of them). Its own names still answer. */
  leftOutOfDns: boolean;
}

export interface JobOverview {
  key: string;
  counts: { instances: number; running: number; pending: number; failed: number };
  instances: InstanceOverview[];
  /** Null when DNS is off in this devcluster. */
  dns: Omit<JobDnsNames, 'byTask'> | null;
  /** Null when the job does not announce. */
  serverset: ServersetView | null;
}

export interface Overview {
  generatedAt: number;
  cluster: string;
  framework: string;
  /** DNS domain, or null when the devcluster runs without DNS. */
  domain: string | null;
  /** `host:port` of the DNS server (UDP and TCP), or null. */
  dnsServer: string | null;
  agents: { id: string; hostname: string; ip: string; tasks: number }[];
  jobs: JobOverview[];
}

export interface OverviewInputs {
  master: Master;
  scheduler: Scheduler;
  /** The DNS service's live record set and domain; undefined without DNS. */
  dns?: { records: MemRecordSet | undefined; domain: string; server?: string };
  serverset: (job: string) => ServersetView | undefined;
}

// Running: serving. Pending: on its way (waiting for resources, assigned, starting). Failed:
// down after its task failed or was lost, waiting out the restart backoff.
const PENDING = new Set<AuroraStatus>(['PENDING', 'ASSIGNED', 'STARTING']);
const FAILED = new Set<AuroraStatus>(['THROTTLED', 'FAILED', 'LOST']);

function health(m: Master, v: InstanceView): Health {
  const task = v.taskId ? m.task(v.taskId) : undefined;
  if (!task || isTerminal(task.state)) return 'n/a';
  if (!task.config.health_check) return 'no check';
  const last = [...task.statuses].reverse().find((s) => s.healthy !== undefined);
  if (last) return last.healthy ? 'healthy' : 'unhealthy';
  return 'checking';
}

export function buildOverview(i: OverviewInputs): Overview {
  const { master, scheduler } = i;
  const taskJob = (id: string) => master.task(id)?.jobKey;
  const names = i.dns?.records ? jobDnsNames(i.dns.records, taskJob) : undefined;
  const jobs: JobOverview[] = scheduler.list().map((summary) => {
    const view = scheduler.status(summary.key);
    const instances = view.instances.map((v): InstanceOverview => {
      const task = v.taskId ? master.task(v.taskId) : undefined;
      const agent = v.agentId ? master.agent(v.agentId)?.info : undefined;
      const published = task?.discovery?.ports.ports.map((p) => ({ name: p.name, port: p.number }));
      const assigned = Object.entries(v.ports ?? {}).map(([name, port]) => ({ name, port }));
      return {
        instance: v.instance,
        status: v.status,
        taskId: v.taskId ?? null,
        agent: agent ? { id: agent.id, hostname: agent.hostname } : null,
        host: v.host ?? null,
        ports: published ?? assigned.sort((a, b) => (a.name < b.name ? -1 : 1)),
        health: health(master, v),
        restarts: v.restarts,
        failures: v.failures,
        message: v.message ?? null,
        throttledUntil: v.throttledUntil ?? null,
        dnsNames: (v.taskId && names?.get(summary.key)?.byTask[v.taskId]) || [],
        leftOutOfDns: false,
      };
    });
    const running = instances.filter((x) => x.status === 'RUNNING');
    if (running.some((x) => x.health !== 'unhealthy'))
      for (const x of running) x.leftOutOfDns = x.health === 'unhealthy';
    const n = names?.get(summary.key);
    return {
      key: summary.key,
      counts: {
        instances: instances.length,
        running: instances.filter((x) => x.status === 'RUNNING').length,
        pending: instances.filter((x) => PENDING.has(x.status)).length,
        failed: instances.filter((x) => FAILED.has(x.status)).length,
      },
      instances,
      dns: i.dns ? { a: n?.a ?? [], srv: n?.srv ?? [], namedSrv: n?.namedSrv ?? [] } : null,
      serverset: i.serverset(summary.key) ?? null,
    };
  });
  return {
    generatedAt: Date.now(),
    cluster: master.options.cluster,
    framework: master.options.frameworkName,
    domain: i.dns?.domain ?? null,
    dnsServer: i.dns?.server ?? null,
    agents: master.agents().map((a) => ({
      id: a.info.id,
      hostname: a.info.hostname,
      ip: a.info.ip,
      tasks: a.tasks().length,
    })),
    jobs: jobs.sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
}
