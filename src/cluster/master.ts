// The devcluster's Mesos master: the one place task, agent and framework state lives. Agents
// register with it, the scheduler launches tasks through it, executors' status updates flow
// through it, and it emits each change in order — what /master/state and the v1 operator stream
// (SUBSCRIBE) are rendered from.
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { NotFoundError } from '../errors.js';
import { logger } from '../log.js';
import type { Agent } from './agent.js';
import {
  isTerminal,
  type AgentInfo,
  type ClusterTask,
  type FrameworkInfo,
  type MasterOptions,
  type MasterView,
  type MesosTaskState,
  type TaskStatusRecord,
} from './types.js';

const log = logger('master');

export interface MasterEvents {
  taskAdded: [task: ClusterTask];
  taskUpdated: [task: ClusterTask, status: TaskStatusRecord];
  agentAdded: [agent: AgentInfo];
  agentRemoved: [agentId: string];
  frameworkAdded: [];
}

export type { FrameworkInfo, MasterOptions } from './types.js';

export class Master extends EventEmitter<MasterEvents> implements MasterView {
  readonly id: string;
  readonly startedAt = Date.now() / 1000;
  readonly options: MasterOptions;
  framework: FrameworkInfo | undefined;
  private readonly agentsById = new Map<string, Agent>();
  private nextAgent = 0;
  private readonly active = new Map<string, ClusterTask>();
  private readonly completed: ClusterTask[] = [];

  constructor(options: MasterOptions) {
    super();
    this.setMaxListeners(0);
    this.options = options;
    this.id = randomUUID();
  }

  get pid(): string {
    return `master@${this.options.ip}:${this.options.port}`;
  }

  /** Registers the scheduler (FRAMEWORK_ADDED). */
  registerFramework(): FrameworkInfo {
    if (this.framework) return this.framework;
    this.framework = {
      id: this.options.frameworkId ?? `${this.id}-0000`,
      name: this.options.frameworkName,
      hostname: this.options.hostname,
      pid: `scheduler-${randomUUID()}@${this.options.ip}:${this.options.port}`,
      registeredAt: Date.now() / 1000,
      webuiUrl: `http://${this.options.ip}:${this.options.port}/scheduler`,
    };
    this.emit('frameworkAdded');
    return this.framework;
  }

  newAgentId(): string {
    return `${this.id}-S${this.nextAgent++}`;
  }

  addAgent(agent: Agent): void {
    this.agentsById.set(agent.info.id, agent);
    log.debug({ agent: agent.info.id, ip: agent.info.ip }, 'agent registered');
    this.emit('agentAdded', agent.info);
  }

  /** The agent is gone (failed or stopped): its active tasks become TASK_LOST. */
  removeAgent(agentId: string, reason: string): void {
    if (!this.agentsById.delete(agentId)) return;
    for (const t of [...this.active.values()]) {
      if (t.agentId === agentId) {
        this.update(t.taskId, 'TASK_LOST', `Agent ${agentId} removed: ${reason}`, {
          source: 'SOURCE_MASTER',
          reason: 'REASON_AGENT_REMOVED',
        });
      }
    }
    this.emit('agentRemoved', agentId);
  }

  agents(): Agent[] {
    return [...this.agentsById.values()];
  }

  agent(id: string): Agent | undefined {
    return this.agentsById.get(id);
  }

  activeTasks(): ClusterTask[] {
    return [...this.active.values()];
  }

  completedTasks(): ClusterTask[] {
    return this.completed;
  }

  task(taskId: string): ClusterTask | undefined {
    return this.active.get(taskId) ?? this.completed.find((t) => t.taskId === taskId);
  }

  /** Launches a task on its agent (TASK_ADDED in TASK_STAGING, then the executor's updates). */
  launch(task: ClusterTask): void {
    const agent = this.agentsById.get(task.agentId);
    if (!agent) throw new NotFoundError(`agent ${task.agentId} is not registered`);
    task.state = 'TASK_STAGING';
    task.statuses = [];
    this.active.set(task.taskId, task);
    this.emit('taskAdded', task);
    agent.launch(task, (state, message, healthy) =>
      this.update(task.taskId, state, message, { source: 'SOURCE_EXECUTOR', healthy }),
    );
  }

  /** Asks the task's agent to kill it; an unknown or finished task is a no-op. */
  kill(taskId: string): void {
    const task = this.active.get(taskId);
    if (!task) return;
    const agent = this.agentsById.get(task.agentId);
    if (!agent) {
      this.update(taskId, 'TASK_LOST', 'Agent unknown', { source: 'SOURCE_MASTER' });
      return;
    }
    agent.kill(taskId);
  }

  /** A status update for a task (from its executor, its agent, or the master itself). */
  update(
    taskId: string,
    state: MesosTaskState,
    message: string,
    extra: { source: TaskStatusRecord['source']; healthy?: boolean; reason?: string },
  ): void {
    const task = this.active.get(taskId);
    if (!task) return;
    const status: TaskStatusRecord = {
      state,
      timestamp: Date.now() / 1000,
      source: extra.source,
      message,
      uuid: randomBytes(16).toString('base64'),
      ...(extra.healthy !== undefined ? { healthy: extra.healthy } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
    };
    task.state = state;
    task.statuses.push(status);
    if (isTerminal(state)) {
      this.active.delete(taskId);
      this.completed.push(task);
      const limit = this.options.completedLimit ?? 1000;
      if (this.completed.length > limit) this.completed.splice(0, this.completed.length - limit);
    }
    log.debug({ task: taskId, state, message }, 'status update');
    this.emit('taskUpdated', task, status);
  }
}
