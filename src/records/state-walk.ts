// Which parts of a state get records, decided once for both full builds (MemRecordSet and the
// one-shot listing of `beacon records`): the first agent and framework of a duplicated id, and
// every TASK_RUNNING task on a known agent. A task id is unique only within its framework, so
// tasks are keyed by both; a state that repeats an id inside one framework keeps both (as
// Mesos-DNS does), the repeat keyed by its position.
import { freeTaskKey } from '../model/mesos-events.js';
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
  const done = new Set<string>();
  for (const f of state.frameworks) {
    const fw = frameworks.get(f.id)!;
    for (const t of f.tasks) {
      if (t.state !== 'TASK_RUNNING') continue;
      const agent = agents.get(t.agentId);
      if (!agent) {
        v.parked(t);
        continue;
      }
      const key = freeTaskKey(fw.id, t.id, (k) => done.has(k));
      done.add(key);
      v.task(t, agent, fw, key);
      yield;
    }
  }
}
