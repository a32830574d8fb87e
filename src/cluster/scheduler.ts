// The devcluster's Aurora-style scheduler: jobs and their instances, placement on agents by free
// resources (spread across agents), one port per requested name from the agent's range, restarts
// with exponential backoff (THROTTLED), pending with a reason when nothing fits, and persistence of
// jobs and task states so a devcluster restart recovers its jobs.
import { randomUUID } from 'node:crypto';
import { JobError, JobExistsError, NotFoundError } from '../errors.js';
import { logger } from '../log.js';
import { resolvePortmap } from '../model/ports.js';
import { discoveryInfo, executorId, newTaskId, taskLabels, taskName } from './aurora.js';
import { parseJobKey, type JobConfig, type JobKey } from './job-schema.js';
import type { Master } from './master.js';
import { misfit, pickPorts, type Need } from './resources.js';
import type { SchedulerStore, StoredState, TaskRecord } from './store.js';
import { requestedPorts } from './templates.js';
import {
  isTerminal,
  type ClusterTask,
  type MesosTaskState,
  type TaskStatusRecord,
} from './types.js';

const log = logger('scheduler');

/** Aurora's ScheduleStatus names. */
export type AuroraStatus =
  | 'PENDING'
  | 'THROTTLED'
  | 'ASSIGNED'
  | 'STARTING'
  | 'RUNNING'
  | 'KILLING'
  | 'FINISHED'
  | 'FAILED'
  | 'KILLED'
  | 'LOST';

const FROM_MESOS: Record<MesosTaskState, AuroraStatus> = {
  TASK_STAGING: 'ASSIGNED',
  TASK_STARTING: 'STARTING',
  TASK_RUNNING: 'RUNNING',
  TASK_KILLING: 'KILLING',
  TASK_FINISHED: 'FINISHED',
  TASK_FAILED: 'FAILED',
  TASK_KILLED: 'KILLED',
  TASK_LOST: 'LOST',
};

export interface InstanceView {
  instance: number;
  status: AuroraStatus;
  /** Why it is pending / throttled, or the last status message. */
  message?: string;
  taskId?: string;
  agentId?: string;
  host?: string;
  ports?: Record<string, number>;
  /** Consecutive failures (drives the backoff). */
  failures: number;
  restarts: number;
  /** When a throttled instance is retried (ms since the epoch). */
  throttledUntil?: number;
}

export interface JobView {
  key: string;
  instances: InstanceView[];
  recentTasks: TaskRecord[];
  config: JobConfig;
}

export interface JobSummary {
  key: string;
  instances: number;
  running: number;
  pending: number;
  other: number;
}

interface Instance extends InstanceView {
  runningSince?: number;
  removing?: boolean;
  restarting?: boolean;
}

interface Job {
  key: string;
  jobKey: JobKey;
  config: JobConfig;
  instances: Map<number, Instance>;
  recentTasks: TaskRecord[];
}

export interface SchedulerOptions {
  master: Master;
  store?: SchedulerStore;
  recovered?: StoredState;
  /** `--populate_discovery_info`. */
  populateDiscoveryInfo: boolean;
  /** `--discovery_port_aliases`. */
  discoveryPortAliases: boolean;
}

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly o: SchedulerOptions;
  private throttleTimer: NodeJS.Timeout | undefined;
  private scheduleQueued = false;
  private closed = false;

  constructor(o: SchedulerOptions) {
    this.o = o;
    const fw = o.master.registerFramework();
    if (o.recovered?.frameworkId !== fw.id) o.store?.saveFramework(fw.id);
    o.master.on('taskUpdated', (task, status) => this.onUpdate(task, status));
    o.master.on('agentAdded', () => this.queueSchedule());
    if (o.recovered) this.recover(o.recovered);
  }

  private recover(state: StoredState): void {
    for (const stored of state.jobs.values()) {
      const job = this.newJob(stored.key, stored.config, stored.instances);
      job.recentTasks = stored.tasks;
      for (const t of stored.tasks) {
        if (!isTerminal(t.state as MesosTaskState)) {
          const lost = {
            ...t,
            state: 'TASK_LOST',
            message: 'the devcluster restarted',
            at: Date.now(),
          };
          this.o.store?.saveTask(stored.key, lost);
          Object.assign(t, lost);
        }
      }
      for (const inst of job.instances.values())
        inst.message = 'recovered from the data dir after a restart';
      log.info({ job: stored.key, instances: stored.instances.length }, 'recovered job');
    }
    this.queueSchedule();
  }

  private newJob(key: string, config: JobConfig, instances: number[]): Job {
    const job: Job = {
      key,
      jobKey: parseJobKey(key),
      config,
      instances: new Map(),
      recentTasks: [],
    };
    for (const i of instances)
      job.instances.set(i, { instance: i, status: 'PENDING', failures: 0, restarts: 0 });
    this.jobs.set(key, job);
    return job;
  }

  /** `beacon job create KEY FILE`. */
  create(key: string, config: JobConfig): JobView {
    parseJobKey(key);
    if (config.job !== key) {
      throw new JobError(`the job key ${key} does not match the job file's 'job: ${config.job}'`);
    }
    if (this.jobs.has(key))
      throw new JobExistsError(
        `job ${key} already exists; kill it first or use 'beacon job restart'`,
      );
    if (config.announce) {
      // A portmap cycle would fail every task; refuse the job instead.
      const fake = Object.fromEntries(requestedPorts(config).map((n, i) => [n, 1000 + i]));
      try {
        resolvePortmap({
          assigned: fake,
          portmap: config.announce.portmap,
          primary: config.announce.primary_port,
        });
      } catch (e) {
        throw new JobError(`${key}: announce.portmap: ${(e as Error).message}`);
      }
    }
    const instances = [...Array(config.instances).keys()];
    const job = this.newJob(key, config, instances);
    this.o.store?.saveJob(key, config, instances);
    log.info({ job: key, instances: instances.length }, 'job created');
    this.scheduleNow();
    return this.view(job);
  }

  /** `beacon job kill KEY [--instances …]`: the instances are no longer wanted. */
  kill(key: string, instances?: number[]): JobView {
    const job = this.mustGet(key);
    const targets = instances ?? [...job.instances.keys()];
    const unknown = targets.filter((i) => !job.instances.has(i));
    if (unknown.length) throw new JobError(`${key} has no instance ${unknown.join(', ')}`);
    for (const i of targets) {
      const inst = job.instances.get(i)!;
      inst.removing = true;
      if (
        inst.taskId &&
        this.o.master.task(inst.taskId) &&
        !isTerminal(this.o.master.task(inst.taskId)!.state)
      ) {
        inst.status = 'KILLING';
        this.o.master.kill(inst.taskId);
      } else job.instances.delete(i);
    }
    const remaining = [...job.instances.values()].filter((x) => !x.removing).map((x) => x.instance);
    if (remaining.length) this.o.store?.saveJob(key, job.config, remaining);
    else this.o.store?.removeJob(key);
    const v = this.view(job);
    if (job.instances.size === 0) this.jobs.delete(key);
    return v;
  }

  /** `beacon job restart KEY`: each instance's task is killed and replaced at once (no backoff). */
  restart(key: string, instances?: number[]): JobView {
    const job = this.mustGet(key);
    const targets = instances ?? [...job.instances.keys()];
    for (const i of targets) {
      const inst = job.instances.get(i);
      if (!inst || inst.removing) throw new JobError(`${key} has no instance ${i}`);
      inst.failures = 0;
      const task = inst.taskId ? this.o.master.task(inst.taskId) : undefined;
      if (task && !isTerminal(task.state)) {
        inst.restarting = true;
        this.o.master.kill(task.taskId);
      } else if (inst.status === 'THROTTLED' || isTerminalStatus(inst.status)) {
        inst.status = 'PENDING';
        inst.throttledUntil = undefined;
      }
    }
    this.scheduleNow();
    return this.view(job);
  }

  status(key: string): JobView {
    return this.view(this.mustGet(key));
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map((j) => {
      const all = [...j.instances.values()];
      const running = all.filter((i) => i.status === 'RUNNING').length;
      const pending = all.filter((i) => i.status === 'PENDING' || i.status === 'THROTTLED').length;
      return {
        key: j.key,
        instances: all.length,
        running,
        pending,
        other: all.length - running - pending,
      };
    });
  }

  /** Stops timers; tasks are stopped by the agents. */
  close(): void {
    this.closed = true;
    clearTimeout(this.throttleTimer);
  }

  private mustGet(key: string): Job {
    parseJobKey(key);
    const job = this.jobs.get(key);
    if (!job) throw new NotFoundError(`no job ${key} (see 'beacon job list')`);
    return job;
  }

  private view(job: Job): JobView {
    const instances = [...job.instances.values()]
      .sort((a, b) => a.instance - b.instance)
      .map(({ runningSince: _r, removing: _x, restarting: _s, ...v }) => ({ ...v }));
    return { key: job.key, instances, recentTasks: [...job.recentTasks], config: job.config };
  }

  private onUpdate(task: ClusterTask, status: TaskStatusRecord): void {
    const job = this.jobs.get(task.jobKey);
    const record: TaskRecord = {
      taskId: task.taskId,
      instance: task.instance,
      agentId: task.agentId,
      state: status.state,
      message: status.message ?? '',
      at: Date.now(),
    };
    if (job) {
      const i = job.recentTasks.findIndex((t) => t.taskId === task.taskId);
      if (i >= 0) job.recentTasks.splice(i, 1);
      job.recentTasks.push(record);
      if (job.recentTasks.length > 50) job.recentTasks.shift();
      if (!job.instances.get(task.instance)?.removing || isTerminal(status.state)) {
        this.o.store?.saveTask(job.key, record);
      }
    }
    const inst = job?.instances.get(task.instance);
    if (!job || !inst || inst.taskId !== task.taskId) return;
    inst.status = inst.removing && !isTerminal(status.state) ? 'KILLING' : FROM_MESOS[status.state];
    inst.message = status.message;
    if (status.state === 'TASK_RUNNING' && inst.runningSince === undefined)
      inst.runningSince = Date.now();
    if (!isTerminal(status.state)) return;

    if (inst.removing) {
      job.instances.delete(inst.instance);
      if (job.instances.size === 0) this.jobs.delete(job.key);
      return;
    }
    const ranFor = inst.runningSince !== undefined ? Date.now() - inst.runningSince : 0;
    inst.runningSince = undefined;
    const policy = job.config.restart_policy;
    if (inst.restarting || status.state === 'TASK_LOST' || status.state === 'TASK_KILLED') {
      // Asked for, or not the task's fault: replace at once.
      inst.restarting = false;
      this.reschedule(
        inst,
        status.state === 'TASK_LOST' ? `rescheduled: ${status.message}` : 'restarting',
      );
      return;
    }
    const failed = status.state === 'TASK_FAILED';
    if (policy.mode === 'never' || (policy.mode === 'on_failure' && !failed)) return;
    if (ranFor >= policy.reset_after_secs * 1000) inst.failures = 0;
    inst.failures++;
    const delay =
      Math.min(policy.max_backoff_secs, policy.initial_backoff_secs * 2 ** (inst.failures - 1)) *
      1000;
    inst.restarts++;
    inst.status = 'THROTTLED';
    inst.throttledUntil = Date.now() + delay;
    inst.message = `restarting in ${(delay / 1000).toFixed(1)} s after: ${status.message ?? status.state}`;
    this.armThrottle();
  }

  private reschedule(inst: Instance, message: string): void {
    inst.restarts++;
    inst.status = 'PENDING';
    inst.message = message;
    inst.throttledUntil = undefined;
    this.queueSchedule();
  }

  private armThrottle(): void {
    if (this.closed) return;
    clearTimeout(this.throttleTimer);
    let next = Infinity;
    for (const j of this.jobs.values()) {
      for (const i of j.instances.values())
        if (i.status === 'THROTTLED') next = Math.min(next, i.throttledUntil ?? 0);
    }
    if (next === Infinity) return;
    this.throttleTimer = setTimeout(() => this.scheduleNow(), Math.max(0, next - Date.now()));
    this.throttleTimer.unref();
  }

  /** Schedules after the current event has reached every listener, so the stream stays in order. */
  queueSchedule(): void {
    if (this.scheduleQueued || this.closed) return;
    this.scheduleQueued = true;
    setImmediate(() => {
      this.scheduleQueued = false;
      this.scheduleNow();
    });
  }

  private scheduleNow(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const job of this.jobs.values()) {
      for (const inst of [...job.instances.values()].sort((a, b) => a.instance - b.instance)) {
        if (inst.removing) continue;
        if (inst.status === 'THROTTLED' && (inst.throttledUntil ?? 0) <= now)
          inst.status = 'PENDING';
        if (inst.status === 'PENDING') this.place(job, inst);
      }
    }
    this.armThrottle();
  }

  private place(job: Job, inst: Instance): void {
    const c = job.config;
    const portNames = requestedPorts(c);
    const need: Need = {
      cpus: c.resources.cpu,
      mem: c.resources.ram,
      disk: c.resources.disk,
      portNames,
    };
    const agents = this.o.master.agents();
    if (agents.length === 0) {
      inst.message = 'Pending: no agent is registered';
      return;
    }
    const reasons: string[] = [];
    const fits = agents.filter((a) => {
      const why = misfit(a.info.resources, a.usage(), need);
      if (why) reasons.push(`${a.info.hostname}: ${why}`);
      return !why;
    });
    if (fits.length === 0) {
      inst.message = `Pending: insufficient resources on every agent (${reasons.join('; ')})`;
      return;
    }
    // Spread: fewest tasks of this job first, then fewest tasks overall, then agent order.
    const ofJob = (id: string) =>
      [...job.instances.values()].filter(
        (i) => i.agentId === id && i.taskId && i.status !== 'PENDING',
      ).length;
    fits.sort((a, b) => ofJob(a.info.id) - ofJob(b.info.id) || a.tasks().length - b.tasks().length);
    const agent = fits[0]!;
    const ports = pickPorts(agent.info.resources.ports, agent.usage().ports, portNames);
    const fw = this.o.master.framework!;
    const taskId = newTaskId(job.jobKey, inst.instance);
    let endpoints: Record<string, number> | undefined;
    if (c.announce) {
      endpoints = resolvePortmap({
        assigned: ports,
        portmap: c.announce.portmap ?? { aurora: c.announce.primary_port },
        primary: c.announce.primary_port,
      }).endpoints;
    }
    const task: ClusterTask = {
      taskId,
      name: taskName(job.jobKey),
      executorId: executorId(taskId),
      frameworkId: fw.id,
      agentId: agent.info.id,
      jobKey: job.key,
      instance: inst.instance,
      role: '*',
      resources: { cpus: c.resources.cpu, mem: c.resources.ram, disk: c.resources.disk, ports },
      labels: taskLabels(c.tier, c.metadata),
      discovery: this.o.populateDiscoveryInfo
        ? discoveryInfo(job.jobKey, {
            assigned: ports,
            endpoints,
            portAliases: this.o.discoveryPortAliases,
          })
        : undefined,
      containerId: randomUUID(),
      state: 'TASK_STAGING',
      statuses: [],
      config: c,
    };
    inst.taskId = taskId;
    inst.agentId = agent.info.id;
    inst.host = agent.info.hostname;
    inst.ports = ports;
    inst.status = 'ASSIGNED';
    inst.message = `assigned to ${agent.info.hostname}`;
    log.debug({ task: taskId, agent: agent.info.id }, 'launching');
    this.o.master.launch(task);
  }
}

function isTerminalStatus(s: AuroraStatus): boolean {
  return s === 'FINISHED' || s === 'FAILED' || s === 'KILLED' || s === 'LOST';
}
