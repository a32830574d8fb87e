// A state's records listed once (`beacon records`): the same generator functions and the same
// choice of tasks as MemRecordSet's full build (only the sink differs), collected into flat
// arrays and sorted once instead of kept in a refcounted, incrementally updatable set.
import type { MesosState } from '../model/mesos-state.js';
import { emitAgent, emitFramework, emitMasters, emitSelf } from './cluster-records.js';
import { RecordCollector, type SortedRecords } from './collector.js';
import type { RecordsConfig } from './config.js';
import { BORROW } from './own.js';
import { walkState } from './state-walk.js';
import { Namer, emitTask, taskSpec } from './task-records.js';

export function listRecords(state: MesosState, config: RecordsConfig): SortedRecords {
  const namer = new Namer(config);
  const c = new RecordCollector();
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
    task: (t, agent, fw, key) => emitTask(taskSpec(t, agent, fw, config, BORROW, key), namer, c),
    parked: () => {},
  });
  emitMasters(state.leader, config, namer, c);
  return c.sorted();
}
