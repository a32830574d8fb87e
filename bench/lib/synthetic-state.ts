// A generated Mesos /master/state (v0 JSON) shaped like a real Aurora cluster: jobs of several
// instances spread over agents, three named ports per task, netinfo IPs and (optionally) Aurora's
// DiscoveryInfo. Deterministic (seeded), so benchmarks and tests see the same document every run.
// Shared by the records and DNS benchmarks: keep the signature.

import { rng } from '../../test/helpers/random.js';

export interface SyntheticOptions {
  tasks: number;
  agents: number;
  /** Give tasks DiscoveryInfo the way Aurora's --populate_discovery_info does. */
  discovery: boolean;
  /** Instances per job (default 10). */
  instancesPerJob?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Names of the DiscoveryInfo ports, one resource port each (default http, health, tcp). */
  portNames?: string[];
}

const ROLES = ['www-data', 'vagrant', 'search', 'payments', 'ads', 'infra', 'ml', 'batch'];
const ENVS = ['prod', 'staging', 'devel', 'test'];
const WORDS = [
  'http_example',
  'frontend',
  'api',
  'indexer',
  'cache',
  'gateway',
  'worker',
  'auth',
  'billing',
  'feed',
];

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

/** Agent i's IP: 10.(i>>16).(i>>8 & 255).(i & 255 | 1…) — unique for up to 16M agents. */
export function agentIp(i: number): string {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export function syntheticState(opts: SyntheticOptions): object {
  const r = rng(opts.seed ?? 1);
  const per = opts.instancesPerJob ?? 10;
  const portNames = opts.portNames ?? ['http', 'health', 'tcp'];
  const np = portNames.length;
  const clusterId = `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`;
  const slaves = [];
  const nextPort: number[] = [];
  for (let i = 0; i < opts.agents; i++) {
    nextPort.push(31000);
    slaves.push({
      id: `${clusterId}-S${i}`,
      hostname: `agent-${i}.example.com`,
      port: 5051,
      pid: `slave(1)@${agentIp(i)}:5051`,
      attributes: { rack: `r${i % 16}` },
      active: true,
      resources: { cpus: 32, gpus: 0, mem: 128000, disk: 1000000, ports: '[31000-32000]' },
      version: '1.11.0',
    });
  }
  const tasks = [];
  const start = 1700000000;
  for (let t = 0; t < opts.tasks; t++) {
    const job = Math.floor(t / per);
    const instance = t % per;
    const role = ROLES[job % ROLES.length]!;
    const env = ENVS[Math.floor(job / ROLES.length) % ENVS.length]!;
    const name = `${WORDS[job % WORDS.length]!}_${job}`;
    const id = `${role}-${env}-${name}-${instance}-${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`;
    const agent = Math.floor(r() * Math.max(1, opts.agents));
    let p = nextPort[agent]!;
    if (p + np > 32000) p = 31000;
    nextPort[agent] = p + np;
    const ip = agentIp(agent);
    const task: Record<string, unknown> = {
      id,
      name: `${role}/${env}/${name}`,
      framework_id: `${clusterId}-0000`,
      executor_id: `thermos-${id}`,
      slave_id: `${clusterId}-S${agent}`,
      state: 'TASK_RUNNING',
      role,
      resources: { cpus: 0.5, gpus: 0, mem: 128, disk: 128, ports: `[${p}-${p + np - 1}]` },
      statuses: [
        {
          state: 'TASK_RUNNING',
          timestamp: start + t / 1000 + 1.5,
          container_status: {
            network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: ip }] }],
          },
        },
      ],
    };
    if (opts.discovery) {
      task.discovery = {
        visibility: 'CLUSTER',
        name: `${name}.${env}.${role}`,
        environment: env,
        ports: {
          ports: portNames.map((name, k) => ({ number: p + k, name, protocol: 'TCP' })),
        },
      };
    }
    tasks.push(task);
  }
  return {
    version: '1.11.0',
    id: clusterId,
    pid: 'master@10.255.0.1:5050',
    hostname: 'master-1',
    leader: 'master@10.255.0.1:5050',
    activated_slaves: opts.agents,
    slaves,
    frameworks: [
      {
        id: `${clusterId}-0000`,
        name: 'Aurora',
        pid: 'scheduler-1@10.255.0.2:8083',
        hostname: 'aurora-1',
        active: true,
        role: '*',
        tasks,
        completed_tasks: [],
        unreachable_tasks: [],
      },
    ],
    completed_frameworks: [],
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

/** Issue 10's document shape (scale and recordio benches): an agent per 20 tasks (at least 10),
 *  3 instances per job, DiscoveryInfo ports `http` and `admin`. */
export function scaleShape(tasks: number): Record<string, unknown> {
  return syntheticState({
    tasks,
    agents: Math.max(10, Math.round(tasks / 20)),
    discovery: true,
    instancesPerJob: 3,
    portNames: ['http', 'admin'],
  }) as Record<string, unknown>;
}
