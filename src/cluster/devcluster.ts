// `beacon devcluster` as a library: starts the coordination store (embedded, served over the
// ZooKeeper wire, or a real ensemble), the master with its HTTP endpoints, the agents, the
// scheduler with its data dir, and hands back the addresses and one close() that deannounces,
// kills every task process and releases every port. Process-level signal handling is the CLI's.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { logger } from '../log.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { embeddedStore, openCoordination } from '../zk/index.js';
import { startZkWireServer, type ZkWireServer } from '../zk/wire-server.js';
import { Agent } from './agent.js';
import { Dashboard } from './dashboard/index.js';
import { assertListenAllowed } from './auth.js';
import { loadJobFile } from './job-schema.js';
import { closeServer, listen } from './listen.js';
import { Master } from './master.js';
import { createMasterServer } from './master-http.js';
import { parsePortRanges } from './resources.js';
import { Scheduler } from './scheduler.js';
import { SchedulerStore } from './store.js';
import { killAllTaskGroups } from './task-process.js';

const log = logger('devcluster');

export const EXAMPLE_JOB = join(PACKAGE_ROOT, 'examples', 'http_example.yaml');

export interface DevclusterOptions {
  /** Data dir (jobs, task states, sandboxes). Default `.beacon/devcluster` in the working dir. */
  dataDir: string;
  masterHost: string;
  masterPort: number;
  /** Number of agents. Default 2. */
  agents: number;
  /** First agent address; the others follow (127.0.1.1, 127.0.1.2, …). */
  agentIp: string;
  agentPort: number;
  agentCpus: number;
  agentMem: number;
  agentDisk: number;
  agentPorts: string;
  /** ZooKeeper ensemble (`h1:2181,h2:2181`); undefined = the embedded store. */
  zk?: string;
  /** Where the embedded store is served over the ZooKeeper wire; port taken → the next free. */
  zkHost: string;
  zkPort: number;
  zkRoot: string;
  allowCustomServersetPath: boolean;
  announceHostname?: string;
  zkStartupBoundMs: number;
  populateDiscoveryInfo: boolean;
  discoveryPortAliases: boolean;
  cluster: string;
  frameworkName: string;
  heartbeatSeconds: number;
  /** Submit this job file when no job of its key exists (undefined: none). */
  exampleJob?: string;
  /** Token state-changing master calls must carry (`Authorization: Bearer …`); required when
   *  masterHost is not loopback. Default: none (loopback peers only). */
  apiToken?: string;
}

export const DEFAULTS: DevclusterOptions = {
  dataDir: '.beacon/devcluster',
  masterHost: '127.0.0.1',
  masterPort: 5050,
  agents: 2,
  agentIp: '127.0.1.1',
  agentPort: 5051,
  agentCpus: 2,
  agentMem: 2048,
  agentDisk: 10240,
  agentPorts: '31000-32000',
  zkHost: '127.0.0.1',
  zkPort: 2181,
  zkRoot: '/aurora',
  allowCustomServersetPath: false,
  zkStartupBoundMs: 15000,
  populateDiscoveryInfo: true,
  discoveryPortAliases: true,
  cluster: 'devcluster',
  frameworkName: 'Aurora',
  heartbeatSeconds: 15,
  exampleJob: EXAMPLE_JOB,
};

export interface Devcluster {
  readonly masterUrl: string;
  readonly master: Master;
  readonly scheduler: Scheduler;
  readonly agents: Agent[];
  /** ZooKeeper connect string clients in other processes use. */
  readonly zkConnectString: string;
  /** `embedded` or the ensemble. */
  readonly zkTarget: string;
  readonly dataDir: string;
  /** True when state-changing master calls need the API token. */
  readonly apiTokenRequired: boolean;
  /** The web dashboard served at `/`; `attachDns` gives it the DNS service's names and metrics. */
  readonly dashboard: Dashboard;
  /** Stops everything: tasks deannounced and killed, listeners closed. Idempotent. */
  close(): Promise<void>;
}

/** `a.b.c.d` + n, within the last octet. */
export function nthAddress(first: string, n: number): string {
  const parts = first.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new UsageError(`--agent-ip ${first}: expected an IPv4 address such as 127.0.1.1`);
  }
  const last = parts[3]! + n;
  if (last > 254)
    throw new UsageError(`--agent-ip ${first}: not enough addresses for ${n + 1} agents`);
  return `${parts[0]}.${parts[1]}.${parts[2]}.${last}`;
}

async function serveEmbedded(host: string, firstPort: number): Promise<ZkWireServer> {
  let lastError: unknown;
  for (let port = firstPort; port < firstPort + 20; port++) {
    try {
      return await startZkWireServer({ store: embeddedStore(), host, port });
    } catch (e) {
      lastError = e;
      if (firstPort === 0) break;
      log.info({ port }, 'ZooKeeper port in use; trying the next');
    }
  }
  throw lastError;
}

export async function startDevcluster(
  partial: Partial<DevclusterOptions> = {},
): Promise<Devcluster> {
  const o: DevclusterOptions = { ...DEFAULTS, ...partial };
  if (!Number.isInteger(o.agents) || o.agents < 1 || o.agents > 50)
    throw new UsageError('--agents: expected 1 to 50');
  // Before anything binds: a jobs API reachable from the network without a token is refused.
  assertListenAllowed(o.masterHost, o.apiToken);
  const ports = parsePortRanges(o.agentPorts);
  const dataDir = resolve(o.dataDir);
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'cleanup step failed');
      }
    }
    cleanups.length = 0;
    killAllTaskGroups();
  };
  try {
    // Coordination: a real ensemble, or the embedded store served over the ZooKeeper wire.
    let zkConnectString: string;
    let zkTarget: string;
    if (o.zk) {
      zkConnectString = o.zk;
      zkTarget = o.zk;
    } else {
      const wire = await serveEmbedded(o.zkHost, o.zkPort);
      cleanups.push(() => wire.close());
      zkConnectString = wire.connectString;
      zkTarget = 'embedded';
    }

    const { store, state } = SchedulerStore.open(dataDir);
    cleanups.push(() => store.close());
    // The pid must name an address clients can reach: a wildcard bind advertises loopback.
    const advertised =
      o.masterHost === '0.0.0.0' || o.masterHost === '::' ? '127.0.0.1' : o.masterHost;
    const master = new Master({
      ip: advertised,
      port: o.masterPort,
      hostname: advertised,
      frameworkName: o.frameworkName,
      frameworkId: state.frameworkId,
      cluster: o.cluster,
    });
    const scheduler = new Scheduler({
      master,
      store,
      recovered: state,
      populateDiscoveryInfo: o.populateDiscoveryInfo,
      discoveryPortAliases: o.discoveryPortAliases,
    });
    const agents: Agent[] = [];
    const failAgent = async (agentId: string) => {
      const a = agents.find((x) => x.info.id === agentId);
      if (a) await a.fail();
    };
    const dashboard = new Dashboard({
      master,
      scheduler,
      coordination: o.zk ?? 'embedded',
      zkRoot: o.zkRoot,
      allowCustomServersetPath: o.allowCustomServersetPath,
    });
    const server = createMasterServer({
      master,
      scheduler,
      heartbeatSeconds: o.heartbeatSeconds,
      failAgent,
      apiToken: o.apiToken,
      dashboard,
    });
    const masterPort = await listen(
      server,
      'master HTTP (--master-port)',
      o.masterHost,
      o.masterPort,
    );
    (master.options as { port: number }).port = masterPort;
    cleanups.push(() => closeServer(server));
    cleanups.push(() => dashboard.close());

    // Agents stop together, after the scheduler (cleanups run in reverse), before the listener.
    cleanups.push(async () => {
      await Promise.all(agents.map((a) => a.stop()));
    });
    for (let i = 0; i < o.agents; i++) {
      const ip = nthAddress(o.agentIp, i);
      const agent = new Agent({
        info: {
          id: master.newAgentId(),
          hostname: ip,
          ip,
          port: o.agentPort,
          resources: { cpus: o.agentCpus, mem: o.agentMem, disk: o.agentDisk, ports },
          registeredAt: Date.now() / 1000,
        },
        master,
        workDir: join(dataDir, 'agents'),
        announce: {
          openSession: () => openCoordination(o.zk ?? 'embedded'),
          root: o.zkRoot,
          allowCustomPath: o.allowCustomServersetPath,
          hostnameOverride: o.announceHostname,
          startupBoundMs: o.zkStartupBoundMs,
        },
      });
      await agent.start();
      agents.push(agent);
      master.addAgent(agent);
    }
    // First on the way out: no rescheduling of the tasks the shutdown kills.
    cleanups.push(() => scheduler.close());

    if (o.exampleJob && existsSync(o.exampleJob)) {
      const job = loadJobFile(o.exampleJob);
      job.job_dir ??= dirname(resolve(o.exampleJob));
      if (!scheduler.list().some((j) => j.key === job.job)) scheduler.create(job.job, job);
    }

    let closing: Promise<void> | undefined;
    return {
      masterUrl: `http://${advertised}:${masterPort}`,
      master,
      scheduler,
      agents,
      zkConnectString,
      zkTarget,
      dataDir,
      apiTokenRequired: o.apiToken !== undefined,
      dashboard,
      close: () => (closing ??= closeAll()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
