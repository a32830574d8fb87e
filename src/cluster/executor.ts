// The executor of one task (Aurora's Thermos executor, in-process): renders the command lines,
// starts the processes through the runner, reports TASK_STARTING / RUNNING (on the first passing
// health check) / FINISHED / FAILED / KILLED, announces into the ServerSet once RUNNING, and
// on any terminal transition deannounces before the processes are killed. A ZooKeeper that stays
// unreachable past the start-up bound fails the task, as Aurora's executor does.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ZkUnreachableError } from '../errors.js';
import { logger } from '../log.js';
import { resolvePortmap } from '../model/ports.js';
import { Status, type ServiceInstance } from '../model/service-instance.js';
import { Announcer } from '../serverset/announcer.js';
import type { Coordination } from '../zk/types.js';
import { serversetPath } from './aurora.js';
import { HealthChecker } from './health.js';
import { parseJobKey } from './job-schema.js';
import { TaskProcess } from './task-process.js';
import { renderTemplates } from './templates.js';
import type { ClusterTask, MesosTaskState } from './types.js';

const log = logger('executor');

export interface AnnounceSettings {
  /** The session announcers use (the agent's own, like one executor host's). */
  session: Coordination;
  /** ServerSet root. Default `/aurora`. */
  root: string;
  /** Honour `announce.zk_path`. */
  allowCustomPath: boolean;
  /** Host written into members instead of the agent's hostname. */
  hostnameOverride?: string;
  /** Fail the task when ZooKeeper is not reachable within this bound, ms (Aurora: 15 s). */
  startupBoundMs: number;
}

export interface ExecutorOptions {
  task: ClusterTask;
  hostname: string;
  /** Address the health checker connects to (the agent's). */
  ip: string;
  sandbox: string;
  announce?: AnnounceSettings;
  onStatus: (state: MesosTaskState, message: string, healthy?: boolean) => void;
}

/** Endpoints (aliases included) of a task as the announcer resolves them. */
export function resolveEndpoints(task: ClusterTask): {
  primary: number;
  endpoints: Record<string, number>;
} {
  const announce = task.config.announce;
  if (!announce) return { primary: 0, endpoints: { ...task.resources.ports } };
  const portmap = announce.portmap ?? { aurora: announce.primary_port };
  const r = resolvePortmap({
    assigned: task.resources.ports,
    portmap,
    primary: announce.primary_port,
  });
  return { primary: r.serviceEndpointPort, endpoints: r.endpoints };
}

export class Executor {
  private proc: TaskProcess | undefined;
  private announcer: Announcer | undefined;
  private health: HealthChecker | undefined;
  private phase: 'new' | 'starting' | 'running' | 'stopping' | 'done' = 'new';
  private terminalSent = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: ExecutorOptions) {}

  get taskId(): string {
    return this.o.task.taskId;
  }

  /** Starts the task; statuses follow through onStatus. */
  launch(): void {
    const { task } = this.o;
    this.phase = 'starting';
    this.o.onStatus('TASK_STARTING', 'Initializing sandbox.');
    let endpoints: Record<string, number>;
    let primary: number;
    let cmdlines: { name: string; cmdline: string }[];
    try {
      ({ endpoints, primary } = resolveEndpoints(task));
      const ctx = {
        ports: { ...endpoints, ...task.resources.ports },
        instance: task.instance,
        hostname: this.o.hostname,
        taskId: task.taskId,
      };
      cmdlines = task.config.processes.map((p) => ({
        name: p.name,
        cmdline: renderTemplates(p.cmdline, ctx),
      }));
      mkdirSync(this.o.sandbox, { recursive: true });
      this.proc = new TaskProcess({
        sandbox: this.o.sandbox,
        processes: cmdlines,
        env: this.processEnv(),
        graceMs: task.config.kill_grace_secs * 1000,
      });
    } catch (e) {
      this.finish('TASK_FAILED', `Failed to start: ${(e as Error).message}`);
      return;
    }
    const proc = this.proc;
    let started = 0;
    proc.on('started', () => {
      if (++started === cmdlines.length) this.onProcessesStarted(endpoints, primary);
    });
    proc.on('exit', (status, detail) => void this.onExit(status, detail));
  }

  private processEnv(): Record<string, string> {
    const { task } = this.o;
    const nodeDir = dirname(process.execPath);
    return {
      ...task.config.env,
      PATH: `${nodeDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      MESOS_SANDBOX: this.o.sandbox,
      MESOS_TASK_ID: task.taskId,
      MESOS_AGENT_ID: task.agentId,
      ...(task.config.job_dir ? { BEACON_JOB_DIR: task.config.job_dir } : {}),
    };
  }

  private onProcessesStarted(endpoints: Record<string, number>, primary: number): void {
    if (this.phase !== 'starting') return;
    log.debug({ task: this.taskId }, 'processes started');
    // Announced only once TASK_RUNNING has gone to the master: a member never appears in the
    // ServerSet (or, through it, in DNS) while the master still says STARTING.
    const running = (message: string, healthy?: boolean) => {
      this.phase = 'running';
      this.o.onStatus('TASK_RUNNING', message, healthy);
      if (this.o.announce) void this.announce(this.o.announce, endpoints, primary);
    };
    const hc = this.o.task.config.health_check;
    if (!hc) {
      running('Task is running.');
      return;
    }
    const port = endpoints[hc.port] ?? this.o.task.resources.ports[hc.port];
    this.health = new HealthChecker({
      host: this.o.ip,
      port: port ?? 0,
      path: hc.path,
      expected: hc.expected_response,
      intervalMs: hc.interval_secs * 1000,
      initialMs: hc.initial_interval_secs * 1000,
      maxFailures: hc.max_consecutive_failures,
      timeoutMs: hc.timeout_secs * 1000,
    });
    this.health.on('healthy', () => {
      // The first passing check makes the task RUNNING (and announces it); a later one after a
      // failing check reports it healthy again.
      if (this.phase === 'starting') running('Task is healthy.', true);
      else if (this.phase === 'running') this.o.onStatus('TASK_RUNNING', 'Task is healthy.', true);
    });
    this.health.on('failing', (reason) => {
      if (this.phase === 'running')
        this.o.onStatus('TASK_RUNNING', `Task is unhealthy: ${reason}`, false);
    });
    this.health.on('unhealthy', (reason) => void this.stopWith('TASK_FAILED', reason));
    this.health.start();
  }

  private async announce(
    a: AnnounceSettings,
    endpoints: Record<string, number>,
    primary: number,
  ): Promise<void> {
    const { task } = this.o;
    const host = a.hostnameOverride ?? this.o.hostname;
    const key = parseJobKey(task.jobKey);
    const custom = task.config.announce?.zk_path;
    const path = custom && a.allowCustomPath ? custom : serversetPath(a.root, key);
    const instance: ServiceInstance = {
      serviceEndpoint: { host, port: primary },
      additionalEndpoints: Object.fromEntries(
        Object.entries(endpoints).map(([n, p]) => [n, { host, port: p }]),
      ),
      status: Status.ALIVE,
      shard: task.instance,
    };
    const announcer = new Announcer({ session: a.session, path, instance });
    this.announcer = announcer;
    announcer.on('error', (e) =>
      log.error({ task: this.taskId, err: e.message }, 're-announce failed'),
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        (async () => {
          await a.session.waitConnected(a.startupBoundMs);
          await announcer.join();
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new ZkUnreachableError(
                  `ZooKeeper (${a.session.target}) was not reachable within ${a.startupBoundMs / 1000} s`,
                ),
              ),
            a.startupBoundMs,
          );
        }),
      ]);
      log.debug({ task: this.taskId, member: announcer.memberPath }, 'announced');
    } catch (e) {
      if (this.announcer !== announcer || this.phase === 'stopping' || this.phase === 'done')
        return;
      await this.stopWith('TASK_FAILED', `Failed to announce ${path}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async deannounce(): Promise<void> {
    const a = this.announcer;
    this.announcer = undefined;
    if (!a) return;
    try {
      await a.leave(2000);
    } catch (e) {
      log.warn({ task: this.taskId, err: (e as Error).message }, 'deannounce failed');
    }
  }

  private async onExit(status: number, detail: string): Promise<void> {
    this.health?.stop();
    if (this.phase === 'stopping' || this.phase === 'done') return;
    this.phase = 'stopping';
    await this.deannounce();
    if (status === 0) this.finish('TASK_FINISHED', `Task finished: ${detail}.`);
    else this.finish('TASK_FAILED', `Task failed: ${detail}.`);
  }

  /** Terminal transition decided by the executor or the scheduler: deannounce, then kill. */
  private stopWith(state: MesosTaskState, message: string): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.health?.stop();
      const wasActive = this.phase !== 'done';
      this.phase = 'stopping';
      if (state === 'TASK_KILLED' && wasActive) this.o.onStatus('TASK_KILLING', 'Killing task.');
      await this.deannounce();
      await this.proc?.stop(this.o.task.config.kill_grace_secs * 1000);
      this.finish(state, message);
    })();
    return this.stopping;
  }

  /** Kill requested by the scheduler. */
  kill(): Promise<void> {
    return this.stopWith('TASK_KILLED', 'Task killed by the scheduler.');
  }

  /** The agent died: processes go at once, nothing is reported, the node goes with the session. */
  async crash(): Promise<void> {
    this.health?.stop();
    this.phase = 'done';
    this.terminalSent = true;
    this.announcer = undefined;
    await this.proc?.killNow();
  }

  private finish(state: MesosTaskState, message: string): void {
    this.phase = 'done';
    if (this.terminalSent) return;
    this.terminalSent = true;
    this.o.onStatus(state, message);
  }
}

/** Sandbox directory of a task under the agent's work dir. */
export function sandboxDir(workDir: string, agentId: string, taskId: string): string {
  return join(workDir, 'slaves', agentId, 'tasks', taskId, 'sandbox');
}
