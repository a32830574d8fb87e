// Starts a task's runner (runner.ts) as the leader of its own process group and stops it: SIGTERM
// to the whole group, SIGKILL after the grace period. Every live group is tracked so the devcluster
// can kill them all on the way out, whatever the reason it is exiting.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { ChildError } from '../errors.js';
import { logger } from '../log.js';
import { compiledFile } from '../package-root.js';
import type { RunnerEvent, RunnerSpec } from './runner.js';

const log = logger('task-process');
const RUNNER = compiledFile('cluster/runner.js');

/** Every live runner group of this process, for the last-resort cleanup. */
const live = new Set<number>();

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* the group is gone */
  }
}

/** SIGKILLs every task process group still alive (synchronous: usable from `exit` handlers). */
export function killAllTaskGroups(): void {
  for (const pgid of live) killGroup(pgid, 'SIGKILL');
  live.clear();
}

export interface TaskProcessEvents {
  /** One process of the task started. */
  started: [name: string, pid: number];
  /** One process ended (the task may have others). */
  processExited: [name: string, detail: string];
  /** The runner (all processes) ended: status as a shell reports it (128+N for signal N). */
  exit: [status: number, detail: string];
}

export class TaskProcess extends EventEmitter<TaskProcessEvents> {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private done = false;
  private lastDetail = '';
  /** The status the runner reported before taking its group down. */
  private reported: number | undefined;

  constructor(spec: RunnerSpec) {
    super();
    this.child = spawn(process.execPath, [RUNNER], {
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, BEACON_RUNNER_SPEC: JSON.stringify(spec) },
      cwd: spec.sandbox,
    });
    if (this.child.pid === undefined)
      throw new ChildError(`could not start the task runner in ${spec.sandbox}`);
    this.pid = this.child.pid;
    live.add(this.pid);
    this.child.stdin!.on('error', () => undefined);
    const lines = createInterface({ input: this.child.stdout! });
    lines.on('line', (line) => this.onLine(line));
    // The end is announced once the runner has exited and its last stdout lines have been read.
    const linesClosed = new Promise<void>((resolve) => lines.once('close', resolve));
    const childExit = new Promise<number>((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this.pid);
        this.done = true;
        // A process whose shell died (killed from outside) may have left children in the group:
        // the task is over, so they go too.
        killGroup(this.pid, 'SIGKILL');
        resolve(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0));
      });
    });
    this.exited = Promise.all([childExit, linesClosed]).then(([raw]) => {
      const status = this.reported ?? raw;
      this.emit('exit', status, this.lastDetail || `exited with status ${status}`);
    });
  }

  get running(): boolean {
    return !this.done;
  }

  private onLine(line: string): void {
    let e: RunnerEvent;
    try {
      e = JSON.parse(line) as RunnerEvent;
    } catch {
      return;
    }
    if (e.ev === 'started') this.emit('started', e.name, e.pid);
    else if (e.ev === 'exited') {
      const detail = e.signal
        ? `process ${e.name} was killed by ${e.signal}`
        : `process ${e.name} exited with status ${e.code}`;
      if (!this.lastDetail || (e.code !== 0 && e.code !== null) || e.signal)
        this.lastDetail = detail;
      this.emit('processExited', e.name, detail);
    } else if (e.ev === 'done') {
      this.reported = e.status;
    } else if (e.ev === 'error') {
      this.lastDetail = `process ${e.name} could not start: ${e.message}`;
      log.warn({ process: e.name, err: e.message }, 'process could not start');
    }
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the runner has exited. */
  async stop(graceMs: number): Promise<void> {
    if (this.done) return this.exited;
    killGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(this.pid, 'SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
    // Processes that ignored the runner's end (a child that double-forked) go too.
    killGroup(this.pid, 'SIGKILL');
  }

  /** SIGKILL the group at once (agent failure); resolves when the runner has exited. */
  async killNow(): Promise<void> {
    killGroup(this.pid, 'SIGKILL');
    await this.exited;
  }
}
