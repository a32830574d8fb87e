// The v1 operator API's JSON (protobuf JSON mapping): ids as `{value}`, `agent_id`, resources as
// Resource objects, labels wrapped. Used by GET_STATE and by the SUBSCRIBE event stream.
import type { Master } from './master.js';
import { toRanges } from './resources.js';
import { MESOS_VERSION, agentPid } from './state-json.js';
import type { AgentInfo, ClusterTask, TaskStatusRecord } from './types.js';

type Json = Record<string, unknown>;

const id = (value: string) => ({ value });

function scalar(name: string, value: number): Json {
  return { name, type: 'SCALAR', scalar: { value }, role: '*' };
}

/** A v1 RANGES resource of ports. */
export function portsResource(ranges: [number, number][]): Json {
  return {
    name: 'ports',
    type: 'RANGES',
    ranges: { range: ranges.map(([begin, end]) => ({ begin, end })) },
    role: '*',
  };
}

function resources(
  r: { cpus: number; mem: number; disk: number },
  ports: [number, number][],
): Json[] {
  const out = [scalar('cpus', r.cpus), scalar('mem', r.mem), scalar('disk', r.disk)];
  if (ports.length) out.push(portsResource(ports));
  return out;
}

export function v1Status(
  task: ClusterTask,
  s: TaskStatusRecord,
  agentIp: string | undefined,
): Json {
  const out: Json = {
    task_id: id(task.taskId),
    state: s.state,
    source: s.source,
    message: s.message ?? '',
    agent_id: id(task.agentId),
    executor_id: id(task.executorId),
    timestamp: s.timestamp,
    uuid: s.uuid,
  };
  if (s.reason) out.reason = s.reason;
  if (s.healthy !== undefined) out.healthy = s.healthy;
  out.container_status = {
    container_id: id(task.containerId),
    network_infos: agentIp ? [{ ip_addresses: [{ protocol: 'IPv4', ip_address: agentIp }] }] : [],
  };
  return out;
}

export function v1Task(task: ClusterTask, agentIp: string | undefined): Json {
  const out: Json = {
    name: task.name,
    task_id: id(task.taskId),
    framework_id: id(task.frameworkId),
    executor_id: id(task.executorId),
    agent_id: id(task.agentId),
    state: task.state,
    resources: resources(task.resources, toRanges(Object.values(task.resources.ports))),
    statuses: task.statuses.map((s) => v1Status(task, s, agentIp)),
  };
  const last = task.statuses[task.statuses.length - 1];
  if (last) {
    out.status_update_state = last.state;
    out.status_update_uuid = last.uuid;
  }
  if (task.labels.length)
    out.labels = { labels: task.labels.map((l) => ({ key: l.key, value: l.value })) };
  if (task.discovery) out.discovery = task.discovery;
  out.container = { type: 'MESOS', mesos: {} };
  return out;
}

export function v1Agent(a: AgentInfo): Json {
  return {
    agent_info: {
      hostname: a.hostname,
      port: a.port,
      resources: resources(a.resources, a.resources.ports),
      attributes: [],
      id: id(a.id),
    },
    active: true,
    version: MESOS_VERSION,
    pid: agentPid(a),
    registered_time: { nanoseconds: Math.round(a.registeredAt * 1e9) },
    total_resources: resources(a.resources, a.resources.ports),
    allocated_resources: [],
    offered_resources: [],
  };
}

export function v1Framework(master: Master): Json | undefined {
  const fw = master.framework;
  if (!fw) return undefined;
  return {
    framework_info: {
      user: process.env.USER ?? 'root',
      name: fw.name,
      id: id(fw.id),
      failover_timeout: 1814400,
      checkpoint: true,
      role: '*',
      hostname: fw.hostname,
      webui_url: fw.webuiUrl,
      capabilities: [
        { type: 'REVOCABLE_RESOURCES' },
        { type: 'GPU_RESOURCES' },
        { type: 'PARTITION_AWARE' },
      ],
    },
    active: true,
    connected: true,
    recovered: false,
    registered_time: { nanoseconds: Math.round(fw.registeredAt * 1e9) },
  };
}

/** The `get_state` object of GET_STATE and SUBSCRIBED. */
export function v1State(master: Master): Json {
  const ipOf = (agentId: string) => master.agent(agentId)?.info.ip;
  const active = master.activeTasks();
  const fw = v1Framework(master);
  return {
    get_tasks: {
      tasks: active.map((t) => v1Task(t, ipOf(t.agentId))),
      completed_tasks: master.completedTasks().map((t) => v1Task(t, ipOf(t.agentId))),
    },
    get_executors: {
      executors: active.map((t) => ({
        executor_info: {
          executor_id: id(t.executorId),
          framework_id: id(t.frameworkId),
          type: 'CUSTOM',
          name: 'AuroraExecutor',
        },
        agent_id: id(t.agentId),
      })),
    },
    get_frameworks: { frameworks: fw ? [fw] : [] },
    get_agents: { agents: master.agents().map((a) => v1Agent(a.info)) },
  };
}
