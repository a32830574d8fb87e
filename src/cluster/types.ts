// Shared shapes of the devcluster: agents, tasks and statuses as the master keeps them. Rendering
// to Mesos JSON (v0 state, v1 operator API) lives in state-json.ts / v1-json.ts.
import type { JobConfig } from './job-schema.js';

export type MesosTaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_KILLING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLED'
  | 'TASK_LOST';

export const TERMINAL_STATES: ReadonlySet<MesosTaskState> = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
]);

export function isTerminal(state: MesosTaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/** [begin, end] inclusive. */
export type PortRange = [number, number];

export interface AgentResources {
  cpus: number;
  mem: number;
  disk: number;
  ports: PortRange[];
}

export interface AgentInfo {
  /** `<master id>-S<n>`. */
  id: string;
  hostname: string;
  /** The loopback address the agent and its tasks bind to. */
  ip: string;
  /** The agent's HTTP port (5051 like a Mesos agent). */
  port: number;
  resources: AgentResources;
  registeredAt: number;
}

export interface DiscoveryPortJson {
  number: number;
  name: string;
  protocol: 'TCP';
}

/** TaskInfo.discovery exactly as Aurora fills it (see aurora.ts). */
export interface DiscoveryJson {
  visibility: 'CLUSTER';
  name: string;
  environment: string;
  location: string;
  ports: { ports: DiscoveryPortJson[] };
}

export interface TaskStatusRecord {
  state: MesosTaskState;
  /** Seconds since the epoch (double), as Mesos reports it. */
  timestamp: number;
  /** SOURCE_EXECUTOR, SOURCE_AGENT or SOURCE_MASTER. */
  source: 'SOURCE_EXECUTOR' | 'SOURCE_AGENT' | 'SOURCE_MASTER';
  message?: string;
  reason?: string;
  healthy?: boolean;
  /** Random id of this update (v1 `uuid`, base64). */
  uuid: string;
}

export interface TaskResources {
  cpus: number;
  mem: number;
  disk: number;
  /** Assigned port per name. */
  ports: Record<string, number>;
}

/** A task launched on an agent (Mesos TaskInfo + its state). */
export interface ClusterTask {
  taskId: string;
  /** `role/env/job`. */
  name: string;
  executorId: string;
  frameworkId: string;
  agentId: string;
  jobKey: string;
  instance: number;
  role: string;
  resources: TaskResources;
  labels: { key: string; value: string }[];
  discovery?: DiscoveryJson;
  /** Mesos container id (a UUID per launch). */
  containerId: string;
  state: MesosTaskState;
  statuses: TaskStatusRecord[];
  config: JobConfig;
}

export interface MasterOptions {
  /** Address the master serves on (its pid). */
  ip: string;
  port: number;
  hostname: string;
  frameworkName: string;
  /** Framework id to keep (recovered from the data dir); a new one otherwise. */
  frameworkId?: string;
  /** The cluster name (Aurora's `--cluster_name`). */
  cluster: string;
  /** How many terminal tasks to keep for completed_tasks. Default 1000. */
  completedLimit?: number;
}

export interface FrameworkInfo {
  id: string;
  name: string;
  hostname: string;
  pid: string;
  registeredAt: number;
  webuiUrl: string;
}

/** What an agent keeps of its own tasks, as the state documents read it (Agent implements it). */
export interface AgentView {
  readonly info: AgentInfo;
  tasks(): ClusterTask[];
  completedTasks(): ClusterTask[];
  sandbox(taskId: string): string;
}

/** What agents and the state documents need of the master (Master implements it). Declared here
 *  so agent.ts and state-json.ts do not import master.ts, which imports them. */
export interface MasterView {
  readonly id: string;
  readonly pid: string;
  readonly startedAt: number;
  readonly options: MasterOptions;
  readonly framework: FrameworkInfo | undefined;
  agents(): AgentView[];
  agent(id: string): AgentView | undefined;
  activeTasks(): ClusterTask[];
  completedTasks(): ClusterTask[];
  removeAgent(agentId: string, reason: string): void;
}
