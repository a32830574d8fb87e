// The v1 operator events as changes: `event → { changes, warnings }`, pure, with no I/O and no
// state of its own. Each event becomes the changes the records layer applies (one change type,
// StateChange); a TASK_UPDATED carries only the new status, and the record set — which holds every
// live task already — applies it to the task it names. The stream source keeps no second copy of
// the cluster (at 50,000 tasks that copy was ~58 MiB).
import {
  isObj,
  parseStatuses,
  type MesosAgent,
  type MesosFramework,
  type MesosStatus,
  type MesosTask,
  type StateWarning,
} from './mesos-state.js';
import { parseV1Agent, parseV1Framework, parseV1Task } from './mesos-state-v1.js';

/** One incremental change. A task change carries the task's latest state (records exist only for
 *  TASK_RUNNING tasks; any other state removes them). A status change is a TASK_UPDATED: the
 *  task it names gets `state` (when given) and `status` as its newest status. */
export type StateChange =
  | { type: 'task'; task: MesosTask }
  | { type: 'taskStatus'; update: TaskStatusUpdate }
  | { type: 'agent'; agent: MesosAgent }
  | { type: 'agentRemoved'; agentId: string }
  | { type: 'framework'; framework: MesosFramework }
  | { type: 'frameworkRemoved'; frameworkId: string };

/** A TASK_UPDATED, as the record set applies it. */
export interface TaskStatusUpdate {
  taskId: string;
  /** Absent only when the event does not say (Mesos always does): then the one task of that id. */
  frameworkId: string | undefined;
  /** The task's state after the update; absent: the status's, else the task's own. */
  state: string | undefined;
  /** The update's status; absent when the event's is unusable (then only the state moves). */
  status: MesosStatus | undefined;
}

export interface EventChanges {
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

type Obj = Record<string, unknown>;

function idValue(v: unknown): string | undefined {
  return isObj(v) && typeof v.value === 'string' ? v.value : undefined;
}

function body(event: Obj, key: string): Obj {
  const b = event[key];
  return isObj(b) ? b : {};
}

/** The changes of one event (anything but SUBSCRIBED). Unknown event types and HEARTBEAT change
 *  nothing; unusable parts are reported as warnings and skipped. */
export function eventChanges(event: unknown): EventChanges {
  const warnings: StateWarning[] = [];
  const changes: StateChange[] = [];
  const out: EventChanges = { changes, warnings };
  if (!isObj(event)) {
    warnings.push({ where: 'event', message: 'is not a JSON object; ignored' });
    return out;
  }
  const type = String(event.type);
  switch (type) {
    case 'TASK_ADDED': {
      const task = parseV1Task(body(event, 'task_added').task, 'TASK_ADDED.task', warnings);
      if (task) changes.push({ type: 'task', task });
      break;
    }
    case 'TASK_UPDATED': {
      const b = body(event, 'task_updated');
      const status = isObj(b.status) ? b.status : {};
      const taskId = idValue(status.task_id);
      if (taskId === undefined) {
        warnings.push({ where: 'TASK_UPDATED', message: 'status.task_id is missing; ignored' });
        break;
      }
      const state =
        typeof b.state === 'string'
          ? b.state
          : typeof status.state === 'string'
            ? status.state
            : undefined;
      changes.push({
        type: 'taskStatus',
        update: {
          taskId,
          frameworkId: idValue(b.framework_id),
          state,
          status: parseStatuses([status])[0],
        },
      });
      break;
    }
    case 'AGENT_ADDED': {
      const agent = parseV1Agent(body(event, 'agent_added').agent, 'AGENT_ADDED.agent', warnings);
      if (agent) changes.push({ type: 'agent', agent });
      break;
    }
    case 'AGENT_REMOVED': {
      const agentId = idValue(body(event, 'agent_removed').agent_id);
      if (agentId) changes.push({ type: 'agentRemoved', agentId });
      break;
    }
    case 'FRAMEWORK_ADDED':
    case 'FRAMEWORK_UPDATED': {
      const b = isObj(event.framework_added)
        ? event.framework_added
        : body(event, 'framework_updated');
      const fw = parseV1Framework(b.framework, `${type}.framework`, warnings);
      if (fw) changes.push({ type: 'framework', framework: { ...fw, tasks: [] } });
      break;
    }
    case 'FRAMEWORK_REMOVED': {
      const info = body(body(event, 'framework_removed'), 'framework_info');
      const id = idValue(info.id);
      if (id) changes.push({ type: 'frameworkRemoved', frameworkId: id });
      break;
    }
    default:
      break; // HEARTBEAT, and events Beacon does not use
  }
  return out;
}
