// Which parts of a state get records, decided once for both full builds (MemRecordSet and the
// one-shot listing of `beacon records`): the first agent and framework of a duplicated id, and
// every TASK_RUNNING task on a known agent (and, for a set kept current, the live tasks not
// running yet). A task id is unique only within its framework, so
// tasks are keyed by both; a state that repeats an id inside one framework keeps both (as
// Mesos-DNS does), the repeat keyed by its position.
import { freeTaskKey, isTerminalState, taskKey } from '../model/mesos-events.js';
import type { MesosAgent, MesosFramework, MesosState, MesosTask } from '../model/mesos-state.js';
import { drain } from '../slices.js';

export interface StateVisitor {
  /** An agent (the first of its id); returns the object its tasks' records are made from. */
  agent(a: MesosAgent): MesosAgent;
  /** A framework (the first of its id); returns the object its tasks' records are made from. */
  framework(f: MesosFramework): MesosFramework;
  /** A task that gets records; `key` identifies it in the set (see taskKey). */
  task(t: MesosTask, agent: MesosAgent, fw: MesosFramework, key: string): void;
  /** A running task whose agent is not in the state (it gets records once the agent appears). */
  parked(t: MesosTask): void;
  /** A live task that is not TASK_RUNNING (no records; a later TASK_UPDATED may make it run). */
  waiting?(t: MesosTask): void;
}

export function walkState(state: MesosState, v: StateVisitor): void {
  drain(walkStateSteps(state, v));
}

/** walkState one task at a time: it yields after each task, so a caller can pause between them
 *  (RecordStore.loadStateSliced keeps the event loop answering during a big build). */
export function* walkStateSteps(state: MesosState, v: StateVisitor): Generator<void, void> {
  const agents = new Map<string, MesosAgent>();
  for (const a of state.agents) if (!agents.has(a.id)) agents.set(a.id, v.agent(a));
  const frameworks = new Map<string, MesosFramework>();
  for (const f of state.frameworks) if (!frameworks.has(f.id)) frameworks.set(f.id, v.framework(f));
  const keys = new TaskKeys(state.frameworks.some((f) => f.id.includes('\u0000')));
  for (const f of state.frameworks) {
    const fw = frameworks.get(f.id)!;
    for (const t of f.tasks) {
      if (t.state !== 'TASK_RUNNING') {
        if (v.waiting && !isTerminalState(t.state)) v.waiting(t);
        continue;
      }
      const agent = agents.get(t.agentId);
      if (!agent) {
        v.parked(t);
        continue;
      }
      v.task(t, agent, fw, keys.next(fw.id, t.id));
      yield;
    }
  }
}

/**
 * The keys freeTaskKey gives when every key given so far counts as taken, without a Set of every
 * key: a plain key is free unless its framework listed the id before (or a repeat took it). A
 * build keys every task, and a Set of 50,000 joined strings (each flattened to be hashed) was
 * half the walk's time. That holds while no framework id has a NUL (the separator): a state with
 * one is keyed the slow way, every key in one Set (`nulInIds`).
 */
export class TaskKeys {
  /** Every key given, when keyed the slow way. */
  private readonly all: Set<string> | undefined;
  /** Framework id → the task ids keyed so far. */
  private readonly ids = new Map<string, Set<string>>();
  /** The keys given to repeated ids (`taskKey\0n`). */
  private readonly repeats = new Set<string>();

  constructor(nulInIds = false) {
    this.all = nulInIds ? new Set() : undefined;
  }

  next(frameworkId: string, taskId: string): string {
    const all = this.all;
    if (all) {
      const k = freeTaskKey(frameworkId, taskId, (x) => all.has(x));
      all.add(k);
      return k;
    }
    let ids = this.ids.get(frameworkId);
    if (!ids) this.ids.set(frameworkId, (ids = new Set()));
    if (!ids.has(taskId)) {
      ids.add(taskId);
      const key = taskKey(frameworkId, taskId);
      if (this.repeats.size === 0 || !this.repeats.has(key)) return key;
    }
    const key = freeTaskKey(frameworkId, taskId, (k) => this.taken(frameworkId, k));
    this.repeats.add(key);
    return key;
  }

  private taken(frameworkId: string, key: string): boolean {
    if (this.repeats.has(key)) return true;
    // A plain key of this framework: taken once its id was keyed.
    return this.ids.get(frameworkId)?.has(key.slice(frameworkId.length + 1)) ?? false;
  }
}
