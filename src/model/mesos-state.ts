// The typed Mesos state model Beacon's records are built from, and its tolerant parser. Accepts
// the v0 `/master/state` JSON and the v1 operator API `GET_STATE` JSON (protobuf JSON mapping) and
// converts both to one model. A bad task, agent pid or port range is skipped and reported as a
// warning; only a document that is not an object at all is rejected (StateError). Hand-written
// guards, not zod: this runs once per task on 100,000-task documents.
import { StateError } from '../errors.js';
import { parsePid, parsePortRanges } from './mesos-addr.js';
import {
  arr,
  isObj,
  parseAgent,
  parseDiscovery,
  parseLabels,
  parseStatuses,
  str,
  type MesosFramework,
  type MesosState,
  type MesosTask,
  type StateParseResult,
  type StateWarning,
} from './mesos-parts.js';
import { parseV1StateSteps } from './mesos-state-v1.js';
import { drain } from '../slices.js';

export * from './mesos-parts.js';

type Obj = Record<string, unknown>;

/** Parses a state document of either API version. Throws StateError only when `doc` is not an
 *  object (or is a v1 response of another type). */
export function parseState(doc: unknown): StateParseResult {
  return drain(parseStateSteps(doc));
}

/** parseState one task at a time: it yields after each task, so a caller can pause between them
 *  (sources/sliced-parser.ts keeps the event loop answering while a big document is read). */
export function* parseStateSteps(doc: unknown): Generator<void, StateParseResult> {
  if (!isObj(doc)) {
    const what = doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc;
    throw new StateError(
      `the state document is ${what}, not a JSON object (expected Mesos /master/state or a v1 GET_STATE response)`,
    );
  }
  if (
    doc.type !== undefined ||
    isObj(doc.get_state) ||
    isObj(doc.get_tasks) ||
    isObj(doc.get_agents)
  ) {
    return withRepeatedIds(yield* parseV1StateSteps(doc));
  }
  return withRepeatedIds(yield* parseV0State(doc));
}

/** A task id is unique only within its framework; a state that repeats one inside a framework
 *  (Mesos-DNS's own test state does) keeps both tasks, and says so once per id. */
function withRepeatedIds(r: StateParseResult): StateParseResult {
  for (const f of r.state.frameworks) {
    const seen = new Set<string>();
    const told = new Set<string>();
    for (const t of f.tasks) {
      if (!seen.has(t.id)) seen.add(t.id);
      else if (!told.has(t.id)) {
        told.add(t.id);
        r.warnings.push({
          where: `framework ${f.id}`,
          message: `task id ${JSON.stringify(t.id)} appears more than once; each is served`,
        });
      }
    }
  }
  return r;
}

/** The `{where, message}` warnings as the one-line strings state sources report. */
export function formatWarning(w: StateWarning): string {
  return `${w.where}: ${w.message}`;
}

/** Adapter for src/sources (`StateParser<MesosState>`): warnings as one line each. */
export function stateParser(doc: unknown): { state: MesosState; warnings: string[] } {
  const r = parseState(doc);
  return { state: r.state, warnings: r.warnings.map(formatWarning) };
}

function* parseV0State(doc: Obj): Generator<void, StateParseResult> {
  const warnings: StateWarning[] = [];
  const state: MesosState = { agents: [], frameworks: [] };
  if (doc.leader !== undefined && doc.leader !== '') {
    const leader = parsePid(doc.leader);
    if (leader) state.leader = leader;
    else
      warnings.push({
        where: 'leader',
        message: `${JSON.stringify(doc.leader)} is not a pid (master@IP:port); no leader records`,
      });
  }
  if (doc.slaves !== undefined && !Array.isArray(doc.slaves)) {
    warnings.push({ where: 'slaves', message: 'is not an array; no agents' });
  }
  const slaves = arr(doc.slaves);
  for (let i = 0; i < slaves.length; i++) {
    const a = parseAgent(slaves[i], `slaves[${i}]`, warnings);
    if (a) state.agents.push(a);
  }
  if (doc.frameworks !== undefined && !Array.isArray(doc.frameworks)) {
    warnings.push({ where: 'frameworks', message: 'is not an array; no frameworks' });
  }
  const fws = arr(doc.frameworks);
  for (let i = 0; i < fws.length; i++) {
    const f = fws[i];
    const where = `frameworks[${i}]`;
    if (!isObj(f) || typeof f.id !== 'string') {
      warnings.push({ where, message: 'is not a framework object with a string "id"; skipped' });
      continue;
    }
    const fw: MesosFramework = {
      id: f.id,
      name: str(f.name) ?? '',
      hostname: str(f.hostname) ?? '',
      tasks: [],
    };
    if (f.pid !== undefined && f.pid !== '') {
      const pid = parsePid(f.pid);
      if (pid) fw.pid = pid;
      else
        warnings.push({
          where: `${where}.pid`,
          message: `${JSON.stringify(f.pid)} is not a pid; no framework SRV record`,
        });
    }
    const tasks = arr(f.tasks);
    for (let j = 0; j < tasks.length; j++) {
      const t = parseV0Task(tasks[j], `${where}.tasks[${j}]`, warnings);
      if (t) {
        // Records follow the framework a task is listed under (as Mesos-DNS does).
        t.frameworkId = fw.id;
        fw.tasks.push(t);
      }
      yield;
    }
    state.frameworks.push(fw);
  }
  return { state, warnings };
}

/** v0 slave object → agent; v1 agents go through the same function after unwrapping. */

/** Ports from a v0 resources object (`ports: "[31000-31001]"`). */
function v0Ports(res: unknown, where: string, warnings: StateWarning[]): number[] {
  if (!isObj(res) || res.ports === undefined) return [];
  if (typeof res.ports !== 'string') {
    warnings.push({
      where: `${where}.resources.ports`,
      message: 'is not a range string; no resource-port SRV records',
    });
    return [];
  }
  const r = parsePortRanges(res.ports);
  for (const b of r.bad)
    warnings.push({ where: `${where}.resources.ports`, message: `${b}; skipped` });
  return r.ports;
}

function parseV0Task(t: unknown, where: string, warnings: StateWarning[]): MesosTask | undefined {
  if (!isObj(t)) {
    warnings.push({ where, message: 'is not an object; skipped' });
    return undefined;
  }
  const id = t.id;
  if (
    typeof id !== 'string' ||
    id === '' ||
    typeof t.slave_id !== 'string' ||
    typeof t.state !== 'string'
  ) {
    warnings.push({ where, message: 'lacks a string "id", "slave_id" or "state"; task skipped' });
    return undefined;
  }
  const w = `${where} (task ${id})`;
  const task: MesosTask = {
    id,
    name: str(t.name) ?? '',
    frameworkId: str(t.framework_id) ?? '',
    agentId: t.slave_id,
    state: t.state,
    ports: v0Ports(t.resources, w, warnings),
    statuses: parseStatuses(t.statuses),
    labels: parseLabels(t.labels),
  };
  const d = parseDiscovery(t.discovery, w, warnings);
  if (d) task.discovery = d;
  return task;
}
