// One devcluster agent (a Mesos agent with its Thermos executors): its own loopback address,
// hostname, id, resources and port range; runs each task through an Executor in a sandbox under
// its work dir; serves its own `/state` and `/slave(1)/state` over HTTP on its address, like a Mesos
// agent. It announces through its own coordination session, as the executors of one host would,
// so an agent failure takes its ServerSet members with it.
import { createServer, type Server } from 'node:http';
import { NotFoundError } from '../errors.js';
import { isRead, reply, sendError, sendJson } from '../http/floor.js';
import { logger } from '../log.js';
import type { Coordination } from '../zk/types.js';
import { Executor, sandboxDir, type AnnounceSettings } from './executor.js';
import { closeServer, listen } from './listen.js';
import type { Usage } from './resources.js';
import { agentStateJson } from './state-json.js';
import {
  isTerminal,
  type AgentInfo,
  type ClusterTask,
  type MasterView,
  type MesosTaskState,
} from './types.js';

const log = logger('agent');

const STATE_PATHS = new Set(['/state', '/state.json', '/slave(1)/state', '/slave(1)/state.json']);

export interface AgentOptions {
  info: AgentInfo;
  master: MasterView;
  workDir: string;
  /** Announcing settings without the session; the agent owns its session. */
  announce?: Omit<AnnounceSettings, 'session'> & { openSession: () => Coordination };
  /** Serve HTTP on info.ip:info.port. Default true. */
  http?: boolean;
}

type StatusFn = (state: MesosTaskState, message: string, healthy?: boolean) => void;

export class Agent {
  readonly info: AgentInfo;
  private readonly o: AgentOptions;
  private readonly executors = new Map<string, Executor>();
  private readonly running = new Map<string, ClusterTask>();
  private readonly done: ClusterTask[] = [];
  private session: Coordination | undefined;
  private server: Server | undefined;
  private gone = false;

  constructor(o: AgentOptions) {
    this.o = o;
    this.info = o.info;
  }

  /** Binds the agent's HTTP endpoint and opens its coordination session. */
  async start(): Promise<void> {
    if (this.o.http !== false) {
      const server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        const read = isRead(req.method);
        if (read && STATE_PATHS.has(path)) {
          sendJson(res, 200, agentStateJson(this, this.o.master));
        } else if (read && (path === '/health' || path === '/slave(1)/health')) {
          reply(res, 200, '');
        } else {
          sendError(res, new NotFoundError(`no such endpoint: ${req.method} ${path}`));
        }
      });
      await listen(
        server,
        `agent ${this.info.hostname} HTTP (--agent-port)`,
        this.info.ip,
        this.info.port,
      );
      this.server = server;
    }
    if (this.o.announce) this.session = this.o.announce.openSession();
  }

  tasks(): ClusterTask[] {
    return [...this.running.values()];
  }

  completedTasks(): ClusterTask[] {
    return this.done;
  }

  sandbox(taskId: string): string {
    return sandboxDir(this.o.workDir, this.info.id, taskId);
  }

  /** Resources held by the tasks that are not terminal yet (a task being killed still holds its ports). */
  usage(): Usage {
    const u: Usage = { cpus: 0, mem: 0, disk: 0, ports: new Set() };
    for (const t of this.running.values()) {
      u.cpus += t.resources.cpus;
      u.mem += t.resources.mem;
      u.disk += t.resources.disk;
      for (const p of Object.values(t.resources.ports)) u.ports.add(p);
    }
    return u;
  }

  launch(task: ClusterTask, onStatus: StatusFn): void {
    if (this.gone) {
      onStatus('TASK_LOST', `Agent ${this.info.id} is gone`);
      return;
    }
    this.running.set(task.taskId, task);
    const announce =
      this.o.announce && this.session ? { ...this.o.announce, session: this.session } : undefined;
    const executor = new Executor({
      task,
      hostname: this.info.hostname,
      ip: this.info.ip,
      sandbox: this.sandbox(task.taskId),
      announce,
      onStatus: (state, message, healthy) => {
        if (isTerminal(state)) {
          this.executors.delete(task.taskId);
          this.running.delete(task.taskId);
          this.done.push(task);
          if (this.done.length > 200) this.done.shift();
        }
        onStatus(state, message, healthy);
      },
    });
    this.executors.set(task.taskId, executor);
    executor.launch();
  }

  kill(taskId: string): void {
    void this.executors.get(taskId)?.kill();
  }

  /** Graceful stop: every task deannounced and killed (TASK_KILLED), then the session closed. */
  async stop(): Promise<void> {
    await Promise.all([...this.executors.values()].map((e) => e.kill()));
    await this.shutdown();
  }

  /** Simulated machine failure: processes SIGKILLed, no statuses, session dropped (its members
   *  vanish), HTTP gone; the master then marks the tasks LOST. */
  async fail(): Promise<void> {
    log.warn({ agent: this.info.id }, 'agent failing');
    this.gone = true;
    const executors = [...this.executors.values()];
    this.executors.clear();
    await Promise.all(executors.map((e) => e.crash()));
    this.running.clear();
    await this.shutdown();
    this.o.master.removeAgent(this.info.id, 'agent failed');
  }

  private async shutdown(): Promise<void> {
    this.gone = true;
    if (this.server) await closeServer(this.server);
    this.server = undefined;
    const s = this.session;
    this.session = undefined;
    if (s) await s.close().catch(() => undefined);
  }
}
