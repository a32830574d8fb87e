// The one change type every incremental source emits, and the records layer that applies it:
// Mesos state changes (from the v1 event stream) to the state's record set, ServerSet member
// changes to the records laid over it. Sources never touch a record set themselves.
import type { StateChange } from '../model/mesos-events.js';
import type { MemRecordSet } from './mem-record-set.js';
import type { ServersetRecord } from './serverset-records.js';

/** The records of one ServerSet (`zk!path`) were replaced; an empty list removes them. */
export interface ServersetChange {
  type: 'serverset';
  key: string;
  records: readonly ServersetRecord[];
}

export type RecordChange = StateChange | ServersetChange;
export type { StateChange } from '../model/mesos-events.js';

/** Applies one state change to a record set in place (synchronously: a reader sees the set
 *  before or after it, never half of it). Returns a warning when the change names a task the set
 *  does not hold (it is ignored). */
export function applyStateChange(rs: MemRecordSet, change: StateChange): string | undefined {
  switch (change.type) {
    case 'task':
      // A task that left TASK_RUNNING loses its records here; the serial moves either way, so
      // the DNS server drops its cached answers.
      rs.applyTask(change.task);
      break;
    case 'taskStatus': {
      const u = change.update;
      if (!rs.applyTaskStatus(u))
        return `TASK_UPDATED of unknown task ${u.taskId}${u.frameworkId !== undefined ? ` of framework ${u.frameworkId}` : ''}; ignored`;
      break;
    }
    case 'agent':
      rs.applyAgent(change.agent);
      break;
    case 'agentRemoved':
      rs.removeAgent(change.agentId);
      break;
    case 'framework':
      rs.applyFramework(change.framework);
      break;
    case 'frameworkRemoved':
      rs.removeFramework(change.frameworkId);
      break;
  }
  return undefined;
}
