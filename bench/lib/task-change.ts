// The task change the incremental benches time: the i-th one moves a task to a new port and a new
// address (a new TASK_RUNNING status), so every change touches its A, SRV and PTR records.
import type { MesosTask } from '../../src/model/mesos-state.js';

export function movedTask(t: MesosTask, i: number): MesosTask {
  return {
    ...t,
    ports: [40000 + (i % 1000)],
    statuses: [
      {
        state: 'TASK_RUNNING',
        timestamp: 2e9 + i,
        labels: [],
        networkIps: [`10.200.${(i >> 8) & 255}.${i & 255}`],
      },
    ],
  };
}
