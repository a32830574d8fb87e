// Renders the master's and the agents' state as Mesos's v0 JSON (`/master/state`, agent `/state`)
// in the exact shape of spec/mesos-state.md, so an unmodified Mesos-DNS can read it.
import { formatRanges } from './resources.js';
import type { AgentInfo, AgentView, ClusterTask, MasterView, TaskStatusRecord } from './types.js';

export const MESOS_VERSION = '1.11.0';

type Json = Record<string, unknown>;

function scalarResources(
  r: { cpus: number; mem: number; disk: number },
  ports: string | undefined,
): Json {
  const out: Json = { cpus: r.cpus, gpus: 0, mem: r.mem, disk: r.disk };
  if (ports !== undefined) out.ports = ports;
  return out;
}

export function statusJson(
  s: TaskStatusRecord,
  task: ClusterTask,
  agentIp: string | undefined,
): Json {
  const out: Json = { state: s.state, timestamp: s.timestamp };
  if (s.healthy !== undefined) out.healthy = s.healthy;
  const networkInfos = agentIp
    ? [{ ip_addresses: [{ protocol: 'IPv4', ip_address: agentIp }] }]
    : [];
  out.container_status = { container_id: { value: task.containerId }, network_infos: networkInfos };
  return out;
}

export function taskJson(task: ClusterTask, agentIp: string | undefined): Json {
  const ports = Object.values(task.resources.ports);
  const out: Json = {
    id: task.taskId,
    name: task.name,
    framework_id: task.frameworkId,
    executor_id: task.executorId,
    slave_id: task.agentId,
    state: task.state,
    resources: scalarResources(task.resources, ports.length ? formatRanges(ports) : undefined),
    role: task.role,
    statuses: task.statuses.map((s) => statusJson(s, task, agentIp)),
  };
  if (task.labels.length) out.labels = task.labels.map((l) => ({ key: l.key, value: l.value }));
  if (task.discovery) out.discovery = task.discovery;
  out.container = { type: 'MESOS', mesos: {} };
  return out;
}

function usedBy(tasks: ClusterTask[]): Json {
  const cpus = tasks.reduce((n, t) => n + t.resources.cpus, 0);
  const mem = tasks.reduce((n, t) => n + t.resources.mem, 0);
  const disk = tasks.reduce((n, t) => n + t.resources.disk, 0);
  const ports = tasks.flatMap((t) => Object.values(t.resources.ports));
  return scalarResources({ cpus, mem, disk }, ports.length ? formatRanges(ports) : undefined);
}

export function agentPid(a: AgentInfo): string {
  return `slave(1)@${a.ip}:${a.port}`;
}

function slaveJson(a: AgentInfo, tasks: ClusterTask[]): Json {
  return {
    id: a.id,
    pid: agentPid(a),
    hostname: a.hostname,
    port: a.port,
    registered_time: a.registeredAt,
    resources: scalarResources(a.resources, formatRanges(a.resources.ports)),
    used_resources: usedBy(tasks),
    offered_resources: scalarResources({ cpus: 0, mem: 0, disk: 0 }, undefined),
    reserved_resources: {},
    unreserved_resources: scalarResources(a.resources, formatRanges(a.resources.ports)),
    attributes: {},
    active: true,
    version: MESOS_VERSION,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
  };
}

/** `/master/state` (also `/state`, `/state.json`, `/master/state.json`). */
export function masterStateJson(master: MasterView): Json {
  const o = master.options;
  const agents = master.agents();
  const ipOf = (agentId: string) => master.agent(agentId)?.info.ip;
  const active = master.activeTasks();
  const fw = master.framework;
  const frameworks: Json[] = [];
  if (fw) {
    frameworks.push({
      id: fw.id,
      name: fw.name,
      pid: fw.pid,
      used_resources: usedBy(active),
      offered_resources: scalarResources({ cpus: 0, mem: 0, disk: 0 }, undefined),
      capabilities: ['REVOCABLE_RESOURCES', 'GPU_RESOURCES', 'PARTITION_AWARE'],
      hostname: fw.hostname,
      webui_url: fw.webuiUrl,
      active: true,
      connected: true,
      recovered: false,
      user: process.env.USER ?? 'root',
      failover_timeout: 1814400,
      checkpoint: true,
      role: '*',
      registered_time: fw.registeredAt,
      unregistered_time: 0,
      resources: usedBy(active),
      tasks: active.map((t) => taskJson(t, ipOf(t.agentId))),
      unreachable_tasks: [],
      completed_tasks: master.completedTasks().map((t) => taskJson(t, ipOf(t.agentId))),
      offers: [],
      executors: [],
    });
  }
  return {
    version: MESOS_VERSION,
    build_date: '',
    build_time: 0,
    build_user: '',
    start_time: master.startedAt,
    elected_time: master.startedAt,
    id: master.id,
    pid: master.pid,
    hostname: o.hostname,
    activated_slaves: agents.length,
    deactivated_slaves: 0,
    unreachable_slaves: 0,
    cluster: o.cluster,
    leader: master.pid,
    leader_info: {
      id: master.id,
      pid: master.pid,
      port: o.port,
      hostname: o.hostname,
      address: { hostname: o.hostname, ip: o.ip, port: o.port },
      version: MESOS_VERSION,
    },
    flags: {},
    slaves: agents.map((a) =>
      slaveJson(
        a.info,
        active.filter((t) => t.agentId === a.info.id),
      ),
    ),
    frameworks,
    completed_frameworks: [],
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

/** An agent's own `/state` (also `/slave(1)/state`): its frameworks, executors and tasks. */
export function agentStateJson(agent: AgentView, master: MasterView): Json {
  const a = agent.info;
  const fw = master.framework;
  const tasks = agent.tasks();
  const done = agent.completedTasks();
  const executorOf = (t: ClusterTask, completed: boolean): Json => ({
    id: t.executorId,
    name: `AuroraExecutor`,
    source: t.taskId,
    container: t.containerId,
    directory: agent.sandbox(t.taskId),
    resources: scalarResources(t.resources, undefined),
    type: 'DEFAULT',
    tasks: completed ? [] : [taskJson(t, a.ip)],
    queued_tasks: [],
    completed_tasks: completed ? [taskJson(t, a.ip)] : [],
  });
  const frameworks: Json[] = [];
  if (fw) {
    frameworks.push({
      id: fw.id,
      name: fw.name,
      user: process.env.USER ?? 'root',
      failover_timeout: 1814400,
      checkpoint: true,
      hostname: fw.hostname,
      webui_url: fw.webuiUrl,
      role: '*',
      executors: tasks.map((t) => executorOf(t, false)),
      completed_executors: done.map((t) => executorOf(t, true)),
    });
  }
  return {
    version: MESOS_VERSION,
    build_date: '',
    build_time: 0,
    build_user: '',
    start_time: a.registeredAt,
    id: a.id,
    pid: agentPid(a),
    hostname: a.hostname,
    resources: scalarResources(a.resources, formatRanges(a.resources.ports)),
    reserved_resources: {},
    unreserved_resources: scalarResources(a.resources, formatRanges(a.resources.ports)),
    attributes: {},
    master_hostname: master.options.hostname,
    flags: {},
    frameworks,
    completed_frameworks: [],
  };
}
