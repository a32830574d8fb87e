// The scheduler's persistent state in the data dir: an append-only JSON-lines log
// (`scheduler.log`), one complete record per line, each append fdatasync'ed. A torn last line (a
// crash mid-write) is ignored on load. On open the log is compacted: the live state is written to
// a temporary file, synced, and renamed over the log, so a crash leaves the old or the new file.
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { logger } from '../log.js';
import type { JobConfig } from './job-schema.js';

const log = logger('store');

export interface TaskRecord {
  taskId: string;
  instance: number;
  agentId: string;
  state: string;
  message: string;
  at: number;
}

export interface StoredJob {
  key: string;
  config: JobConfig;
  /** Instance ids the job still wants. */
  instances: number[];
  /** Last known state of its recent tasks (newest last). */
  tasks: TaskRecord[];
}

type LogRecord =
  | { t: 'framework'; id: string }
  | { t: 'job'; key: string; config: JobConfig; instances: number[] }
  | { t: 'jobRemoved'; key: string }
  | ({ t: 'task'; key: string } & TaskRecord);

export interface StoredState {
  frameworkId?: string;
  jobs: Map<string, StoredJob>;
}

const TASKS_KEPT = 50;

function apply(state: StoredState, r: LogRecord): void {
  switch (r.t) {
    case 'framework':
      state.frameworkId = r.id;
      break;
    case 'job': {
      const prev = state.jobs.get(r.key);
      state.jobs.set(r.key, {
        key: r.key,
        config: r.config,
        instances: r.instances,
        tasks: prev?.tasks ?? [],
      });
      break;
    }
    case 'jobRemoved':
      state.jobs.delete(r.key);
      break;
    case 'task': {
      const job = state.jobs.get(r.key);
      if (!job) break;
      const task: TaskRecord = {
        taskId: r.taskId,
        instance: r.instance,
        agentId: r.agentId,
        state: r.state,
        message: r.message,
        at: r.at,
      };
      const i = job.tasks.findIndex((x) => x.taskId === task.taskId);
      if (i >= 0) job.tasks.splice(i, 1);
      job.tasks.push(task);
      if (job.tasks.length > TASKS_KEPT) job.tasks.splice(0, job.tasks.length - TASKS_KEPT);
      break;
    }
  }
}

export class SchedulerStore {
  readonly path: string;
  private fd: number;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens (creating) the log in `dir`, returns the recovered state and the store. */
  static open(dir: string): { store: SchedulerStore; state: StoredState } {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'scheduler.log');
    const state: StoredState = { jobs: new Map() };
    if (existsSync(path)) {
      const lines = readFileSync(path, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        try {
          apply(state, JSON.parse(line) as LogRecord);
        } catch {
          // Only the last line can be torn by a crash; anything else is reported.
          if (i < lines.length - 2)
            log.warn({ path, line: i + 1 }, 'skipping an unreadable record');
        }
      });
    }
    // Compact: the live state only.
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    const write = (r: LogRecord) => writeSync(fd, `${JSON.stringify(r)}\n`);
    if (state.frameworkId) write({ t: 'framework', id: state.frameworkId });
    for (const j of state.jobs.values()) {
      write({ t: 'job', key: j.key, config: j.config, instances: j.instances });
      for (const task of j.tasks) write({ t: 'task', key: j.key, ...task });
    }
    fdatasyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    return { store: new SchedulerStore(path, openSync(path, 'a')), state };
  }

  private append(r: LogRecord): void {
    if (this.fd < 0) return;
    writeSync(this.fd, `${JSON.stringify(r)}\n`);
    fdatasyncSync(this.fd);
  }

  saveFramework(id: string): void {
    this.append({ t: 'framework', id });
  }

  saveJob(key: string, config: JobConfig, instances: number[]): void {
    this.append({ t: 'job', key, config, instances });
  }

  removeJob(key: string): void {
    this.append({ t: 'jobRemoved', key });
  }

  saveTask(key: string, task: TaskRecord): void {
    this.append({ t: 'task', key, ...task });
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
