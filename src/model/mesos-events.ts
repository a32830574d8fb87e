// The v1 operator event reducer: `(model, event) → { model, changes, warnings }`, with no I/O.
// The model is the cluster as the event stream describes it (agents, frameworks, live tasks);
// each event yields the changes the records layer applies (one change type, StateChange).
// The model is updated in place and returned: copying 200,000 tasks per event would cost more
// than the whole update, and the caller (the stream source) is its only owner.
import {
  isObj,
  parseStateSteps,
  parseStatuses,
  type HostPort,
  type MesosAgent,
  type MesosFramework,
  type MesosState,
  type MesosTask,
  type StateWarning,
} from './mesos-state.js';
import { parseV1Agent, parseV1Framework, parseV1Task } from './mesos-state-v1.js';

/** One incremental change. A task change carries the task's latest state (records exist only for
 *  TASK_RUNNING tasks; any other state removes them). */
export type StateChange =
  | { type: 'task'; task: MesosTask }
  | { type: 'agent'; agent: MesosAgent }
  | { type: 'agentRemoved'; agentId: string }
  | { type: 'framework'; framework: MesosFramework }
  | { type: 'frameworkRemoved'; frameworkId: string };

/** The cluster as the stream knows it. Frameworks carry no tasks here: tasks live in `tasks`. */
export interface ClusterModel {
  leader?: HostPort;
  agents: Map<string, MesosAgent>;
  frameworks: Map<string, MesosFramework>;
  /** Live (non-terminal) tasks by taskKey. */
  tasks: Map<string, MesosTask>;
}

export interface Reduction {
  model: ClusterModel;
  changes: StateChange[];
  warnings: StateWarning[];
}

/** Mesos guarantees a task id unique only within its framework: tasks are keyed by both. */
export function taskKey(frameworkId: string, taskId: string): string {
  return `${frameworkId}\u0000${taskId}`;
}

/** The key of a task whose id may repeat within its framework (a state can list it twice, and
 *  Mesos-DNS keeps both): taskKey, or the first `taskKey\0n` that `taken` does not hold. */
export function freeTaskKey(
  frameworkId: string,
  taskId: string,
  taken: (key: string) => boolean,
): string {
  const base = taskKey(frameworkId, taskId);
  let key = base;
  for (let n = 1; taken(key); n++) key = `${base}\u0000${n}`;
  return key;
}

/** True when `key` is not plain taskKey(frameworkId, taskId) (a repeat: see freeTaskKey). */
export function isRepeatKey(key: string, frameworkId: string, taskId: string): boolean {
  return key.length !== frameworkId.length + 1 + taskId.length;
}

/** The task id of a plain taskKey. */
export function taskIdOfKey(key: string, frameworkId: string): string {
  return key.slice(frameworkId.length + 1);
}

const TERMINAL = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

/** True for states a task never leaves (it never has records again). */
export function isTerminalState(state: string): boolean {
  return TERMINAL.has(state);
}

export function emptyModel(): ClusterModel {
  return { agents: new Map(), frameworks: new Map(), tasks: new Map() };
}

/** The model of a full state document (SUBSCRIBED, or a fallback poll): live tasks only. */
export function modelOf(state: MesosState): ClusterModel {
  const m = emptyModel();
  if (state.leader) m.leader = state.leader;
  for (const a of state.agents) if (!m.agents.has(a.id)) m.agents.set(a.id, a);
  for (const f of state.frameworks) {
    if (!m.frameworks.has(f.id)) m.frameworks.set(f.id, { ...f, tasks: [] });
    for (const t of f.tasks) {
      if (!isTerminalState(t.state)) m.tasks.set(taskKey(f.id, t.id), t);
    }
  }
  return m;
}

/** The model as a state document (a snapshot for consumers that rebuild in full). Tasks of a
 *  framework not announced yet sit under a placeholder until FRAMEWORK_ADDED names it. */
export function stateOf(m: ClusterModel): MesosState {
  const frameworks = new Map<string, MesosFramework>();
  for (const f of m.frameworks.values()) frameworks.set(f.id, { ...f, tasks: [] });
  for (const t of m.tasks.values()) {
    let f = frameworks.get(t.frameworkId);
    if (!f) {
      f = { id: t.frameworkId, name: '', hostname: '', tasks: [] };
      frameworks.set(f.id, f);
    }
    f.tasks.push(t);
  }
  const state: MesosState = {
    agents: [...m.agents.values()],
    frameworks: [...frameworks.values()],
  };
  if (m.leader) state.leader = m.leader;
  return state;
}

/** The model of a SUBSCRIBED event (throws StateError when its state is unusable), one task at a
 *  time (it yields after each; see parseStateSteps). */
export function* subscribedModelSteps(
  event: unknown,
): Generator<void, { model: ClusterModel; warnings: StateWarning[] }> {
  const parsed = yield* parseStateSteps(event);
  return { model: modelOf(parsed.state), warnings: parsed.warnings };
}

type Obj = Record<string, unknown>;

function idValue(v: unknown): string | undefined {
  return isObj(v) && typeof v.value === 'string' ? v.value : undefined;
}

function body(event: Obj, key: string): Obj {
  const b = event[key];
  return isObj(b) ? b : {};
}

/** Applies one event (anything but SUBSCRIBED) to the model. Unknown event types and HEARTBEAT
 *  change nothing; unusable parts are reported as warnings and skipped. */
export function reduceEvent(model: ClusterModel, event: unknown): Reduction {
  const warnings: StateWarning[] = [];
  const changes: StateChange[] = [];
  const out: Reduction = { model, changes, warnings };
  if (!isObj(event)) {
    warnings.push({ where: 'event', message: 'is not a JSON object; ignored' });
    return out;
  }
  const type = String(event.type);
  switch (type) {
    case 'TASK_ADDED': {
      const task = parseV1Task(body(event, 'task_added').task, 'TASK_ADDED.task', warnings);
      if (!task) break;
      const key = taskKey(task.frameworkId, task.id);
      if (isTerminalState(task.state)) model.tasks.delete(key);
      else model.tasks.set(key, task);
      changes.push({ type: 'task', task });
      break;
    }
    case 'TASK_UPDATED': {
      const b = body(event, 'task_updated');
      const status = isObj(b.status) ? b.status : {};
      const id = idValue(status.task_id);
      const frameworkId = idValue(b.framework_id);
      const task = id ? findTask(model, id, frameworkId) : undefined;
      if (!task) {
        warnings.push({
          where: 'TASK_UPDATED',
          message: `unknown task ${id ?? '(no id)'}${frameworkId ? ` of framework ${frameworkId}` : ''}; ignored`,
        });
        break;
      }
      const state =
        typeof b.state === 'string'
          ? b.state
          : typeof status.state === 'string'
            ? status.state
            : task.state;
      const updated: MesosTask = {
        ...task,
        state,
        statuses: [...task.statuses, ...parseStatuses([status])],
      };
      const key = taskKey(task.frameworkId, task.id);
      if (isTerminalState(state)) model.tasks.delete(key);
      else model.tasks.set(key, updated);
      changes.push({ type: 'task', task: updated });
      break;
    }
    case 'AGENT_ADDED': {
      const agent = parseV1Agent(body(event, 'agent_added').agent, 'AGENT_ADDED.agent', warnings);
      if (!agent) break;
      // Re-inserted so the model keeps the order a fresh state would list agents in.
      model.agents.delete(agent.id);
      model.agents.set(agent.id, agent);
      changes.push({ type: 'agent', agent });
      break;
    }
    case 'AGENT_REMOVED': {
      const agentId = idValue(body(event, 'agent_removed').agent_id);
      if (!agentId) break;
      model.agents.delete(agentId);
      changes.push({ type: 'agentRemoved', agentId });
      break;
    }
    case 'FRAMEWORK_ADDED':
    case 'FRAMEWORK_UPDATED': {
      const b = isObj(event.framework_added)
        ? event.framework_added
        : body(event, 'framework_updated');
      const fw = parseV1Framework(b.framework, `${type}.framework`, warnings);
      if (!fw) break;
      model.frameworks.set(fw.id, fw);
      changes.push({ type: 'framework', framework: { ...fw, tasks: [] } });
      break;
    }
    case 'FRAMEWORK_REMOVED': {
      const info = body(body(event, 'framework_removed'), 'framework_info');
      const id = idValue(info.id);
      if (!id) break;
      for (const [k, t] of model.tasks) if (t.frameworkId === id) model.tasks.delete(k);
      model.frameworks.delete(id);
      changes.push({ type: 'frameworkRemoved', frameworkId: id });
      break;
    }
    default:
      break; // HEARTBEAT, and events Beacon does not use
  }
  return out;
}

/** The task an update names: by framework and id when the event gives the framework (Mesos
 *  always does), else the one task of that id. */
function findTask(model: ClusterModel, id: string, frameworkId?: string): MesosTask | undefined {
  if (frameworkId !== undefined) return model.tasks.get(taskKey(frameworkId, id));
  for (const t of model.tasks.values()) if (t.id === id) return t;
  return undefined;
}
