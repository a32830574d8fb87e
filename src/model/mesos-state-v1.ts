// v1 operator API JSON (protobuf JSON mapping: ids as {value}, agent_id, resources as an array of
// Resource objects) → the same model as the v0 state. Used for GET_STATE / SUBSCRIBED documents and,
// per task, for TASK_ADDED events of the event stream.
import { StateError } from '../errors.js';
import {
  type MesosAgent,
  type MesosFramework,
  type MesosTask,
  type StateParseResult,
  type StateWarning,
  agentFrom,
  isObj,
  parseDiscovery,
  parseLabels,
  parseStatuses,
  str,
} from './mesos-parts.js';
import { parsePid, tight } from './mesos-addr.js';
import { DeferredJsonArray } from './json-deferred.js';

type Obj = Record<string, unknown>;

function idValue(v: unknown): string | undefined {
  if (isObj(v) && typeof v.value === 'string' && v.value !== '') return v.value;
  return undefined;
}

/** Ports from a v1 resource list: every `ports` RANGES resource, ranges expanded. */
function v1Ports(res: unknown, where: string, warnings: StateWarning[]): number[] {
  if (!Array.isArray(res)) return [];
  const out: number[] = [];
  for (const r of res) {
    if (!isObj(r) || r.name !== 'ports') continue;
    const ranges = isObj(r.ranges) && Array.isArray(r.ranges.range) ? r.ranges.range : [];
    for (const rg of ranges) {
      const lo = isObj(rg) ? Number(rg.begin) : NaN;
      const hi = isObj(rg) ? Number(rg.end) : NaN;
      if (
        !Number.isInteger(lo) ||
        !Number.isInteger(hi) ||
        lo < 0 ||
        lo > hi ||
        hi > 65535 ||
        hi - lo >= 65536 - out.length
      ) {
        warnings.push({
          where: `${where}.resources`,
          message: `port range ${JSON.stringify(rg)} is not {begin ≤ end ≤ 65535}; skipped`,
        });
        continue;
      }
      for (let p = lo; p <= hi; p++) out.push(p);
    }
  }
  return tight(out);
}

/** One v1 Task object (as in GET_TASKS or a TASK_ADDED event) → model task, or undefined (with a
 *  warning) when it lacks its ids or state. */
export function parseV1Task(
  t: unknown,
  where: string,
  warnings: StateWarning[],
): MesosTask | undefined {
  if (!isObj(t)) {
    warnings.push({ where, message: 'is not an object; skipped' });
    return undefined;
  }
  const id = idValue(t.task_id);
  const agentId = idValue(t.agent_id);
  if (id === undefined || agentId === undefined || typeof t.state !== 'string') {
    warnings.push({ where, message: 'lacks "task_id", "agent_id" or "state"; task skipped' });
    return undefined;
  }
  const w = `${where} (task ${id})`;
  const task: MesosTask = {
    id,
    name: str(t.name) ?? '',
    frameworkId: idValue(t.framework_id) ?? '',
    agentId,
    state: t.state,
    ports: v1Ports(t.resources, w, warnings),
    statuses: parseStatuses(t.statuses),
    labels: parseLabels(t.labels),
  };
  const d = parseDiscovery(t.discovery, w, warnings);
  if (d) task.discovery = d;
  return task;
}

/** One v1 agent (GET_AGENTS entry or AGENT_ADDED's `agent`) → model agent. */
export function parseV1Agent(
  a: unknown,
  where: string,
  warnings: StateWarning[],
): MesosAgent | undefined {
  const info = isObj(a) ? a.agent_info : undefined;
  const id = isObj(info) ? idValue(info.id) : undefined;
  if (!isObj(a) || !isObj(info) || id === undefined) {
    warnings.push({
      where,
      message: 'is not an agent with agent_info.id; skipped (its tasks get no records)',
    });
    return undefined;
  }
  return agentFrom(id, str(info.hostname) ?? '', a.pid, where, warnings);
}

/** One v1 framework (GET_FRAMEWORKS entry or FRAMEWORK_ADDED's `framework`) → model framework
 *  without tasks. */
export function parseV1Framework(
  f: unknown,
  where: string,
  warnings: StateWarning[],
): MesosFramework | undefined {
  const info = isObj(f) ? f.framework_info : undefined;
  const id = isObj(info) ? idValue(info.id) : undefined;
  if (!isObj(info) || id === undefined) {
    warnings.push({ where, message: 'is not a framework with framework_info.id; skipped' });
    return undefined;
  }
  const fw: MesosFramework = {
    id,
    name: str(info.name) ?? '',
    hostname: str(info.hostname) ?? '',
    tasks: [],
  };
  const pid = isObj(f) ? parsePid(f.pid) : undefined;
  if (pid) fw.pid = pid;
  return fw;
}

/** `o[key]` when it is an array (or one left as text by parseDeferringArray), else nothing. */
function list(o: unknown, key: string): Iterable<unknown> {
  if (!isObj(o)) return [];
  const v = o[key];
  return Array.isArray(v) || v instanceof DeferredJsonArray ? v : [];
}

/** Where a SUBSCRIBED event keeps its tasks (what parseV1StateSteps reads them from): the array
 *  the stream leaves as text (json-deferred.ts). */
export const SUBSCRIBED_TASKS: readonly string[] = [
  'subscribed',
  'get_state',
  'get_tasks',
  'tasks',
];

/** `{"type":"GET_STATE","get_state":{…}}`, `{"type":"SUBSCRIBED","subscribed":{"get_state":…}}`
 *  or a bare GetState object, one task at a time (it yields after each; see parseStateSteps). */
export function* parseV1StateSteps(doc: Obj): Generator<void, StateParseResult> {
  let gs: unknown = doc;
  if (doc.type === 'GET_STATE') gs = doc.get_state;
  else if (doc.type === 'SUBSCRIBED')
    gs = isObj(doc.subscribed) ? doc.subscribed.get_state : undefined;
  else if (doc.type !== undefined) {
    throw new StateError(
      `a v1 response of type ${JSON.stringify(doc.type)} is not a state document (expected GET_STATE)`,
    );
  }
  if (!isObj(gs)) throw new StateError('the v1 GET_STATE response has no "get_state" object');
  const warnings: StateWarning[] = [];
  const agents: MesosAgent[] = [];
  let i = 0;
  for (const raw of list(gs.get_agents, 'agents')) {
    const a = parseV1Agent(raw, `get_agents.agents[${i++}]`, warnings);
    if (a) agents.push(a);
  }
  const frameworks: MesosFramework[] = [];
  const byId = new Map<string, MesosFramework>();
  i = 0;
  for (const raw of list(gs.get_frameworks, 'frameworks')) {
    const f = parseV1Framework(raw, `get_frameworks.frameworks[${i++}]`, warnings);
    if (f && !byId.has(f.id)) {
      frameworks.push(f);
      byId.set(f.id, f);
    }
  }
  i = 0;
  for (const raw of list(gs.get_tasks, 'tasks')) {
    const where = `get_tasks.tasks[${i++}]`;
    const t = parseV1Task(raw, where, warnings);
    const fw = t && byId.get(t.frameworkId);
    if (fw) fw.tasks.push(t);
    else if (t) {
      warnings.push({
        where: `${where} (task ${t.id})`,
        message: `framework ${JSON.stringify(t.frameworkId)} is not in get_frameworks; task skipped`,
      });
    }
    // A step per element: with the tasks left as text (json-deferred.ts) each one is parsed here.
    yield;
  }
  return { state: { agents, frameworks }, warnings };
}
