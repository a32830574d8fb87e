// A v0 `/master/state` document (syntheticState's shape) as the v1 operator API's SUBSCRIBED
// event, for measuring the event-stream source on the same cluster: the same agents, frameworks
// and tasks (ids, names, statuses, DiscoveryInfo, port ranges), in v1's field names. Only what
// the records need is carried; a v1 state has no master pid, so no leader records.
import { parsePortRanges } from '../../src/cluster/resources.js';
import { portsResource } from '../../src/cluster/v1-json.js';

type Obj = Record<string, unknown>;

const id = (value: unknown) => ({ value });

/** A v0 ports resource (`"[31000-31001, 31005-31005]"`) as v1 resources. */
function v1Ports(text: unknown): unknown[] {
  return typeof text === 'string' && text !== '[]' ? [portsResource(parsePortRanges(text))] : [];
}

export function v1Subscribed(doc: Obj): Obj {
  const frameworks = doc.frameworks as Obj[];
  const tasks = frameworks.flatMap((f) =>
    (f.tasks as Obj[]).map((t) => ({
      name: t.name,
      task_id: id(t.id),
      framework_id: id(t.framework_id),
      executor_id: id(t.executor_id),
      agent_id: id(t.slave_id),
      state: t.state,
      resources: v1Ports((t.resources as Obj | undefined)?.ports),
      statuses: (t.statuses as Obj[]).map((s) => ({
        task_id: id(t.id),
        state: s.state,
        timestamp: s.timestamp,
        container_status: s.container_status,
      })),
      ...(t.labels ? { labels: { labels: t.labels } } : {}),
      ...(t.discovery ? { discovery: t.discovery } : {}),
    })),
  );
  return {
    type: 'SUBSCRIBED',
    subscribed: {
      heartbeat_interval_seconds: 15,
      get_state: {
        get_tasks: { tasks, completed_tasks: [] },
        get_agents: {
          agents: (doc.slaves as Obj[]).map((a) => ({
            agent_info: { hostname: a.hostname, port: a.port, id: id(a.id) },
            pid: a.pid,
            active: true,
          })),
        },
        get_frameworks: {
          frameworks: frameworks.map((f) => ({
            framework_info: { name: f.name, id: id(f.id), hostname: f.hostname },
            active: true,
          })),
        },
        get_executors: { executors: [] },
      },
    },
  };
}
