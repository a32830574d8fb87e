// A state's records listed once (`beacon records`): the same generator functions and the same
// choice of tasks as MemRecordSet's full build (only the sink differs), collected into flat
// arrays and sorted once instead of kept in a refcounted, incrementally updatable set.
import type { MesosState } from '../model/mesos-state.js';
import { emitAgent, emitFramework, emitMasters, emitSelf } from './cluster-records.js';
import { RecordCollector, type SortedRecords } from './collector.js';
import type { RecordsConfig } from './config.js';
import { BORROW } from './own.js';
import { walkState } from './state-walk.js';
import type { Kind } from './record-types.js';
import { Namer, type Sink, emitTask, taskSpec } from './task-records.js';

export function listRecords(state: MesosState, config: RecordsConfig): SortedRecords {
  const namer = new Namer(config);
  const c = new RecordCollector();
  // Job-level records of unhealthy tasks, listed only where no healthy task makes that name and
  // type (healthFailOpen), as MemRecordSet answers them.
  const withheld: Array<[string, Kind, string, number]> = [];
  const hold: Sink = { put: (n, k, v, p) => void withheld.push([n, k, v, p]) };
  emitSelf(config, c);
  walkState(state, {
    agent: (a) => {
      emitAgent(a, namer, c);
      return a;
    },
    framework: (f) => {
      emitFramework(f, namer, c);
      return f;
    },
    task: (t, agent, fw, key) => {
      const spec = taskSpec(t, agent, fw, config, BORROW, key);
      emitTask(spec, namer, c, spec.unhealthy ? hold : c);
    },
    parked: () => {},
  });
  emitMasters(state.leader, config, namer, c);
  if (withheld.length > 0 && config.healthFailOpen) {
    const kinds = c.kindsOf(new Set(withheld.map((r) => r[0])));
    for (const [n, k, v, p] of withheld) if (!kinds.get(n)?.has(k)) c.put(n, k, v, p);
  }
  return c.sorted();
}
