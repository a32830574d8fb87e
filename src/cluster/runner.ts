// The per-task process runner (Thermos runner's role), run as its own process-group leader by the
// executor: starts the task's processes (`sh -c`, in the sandbox, stdout/stderr to
// `.logs/<process>/0/{stdout,stderr}`) in its group, reports on stdout one JSON line per event, and
// exits with the processes' status (128+N for a signal, as a shell does). It watches its stdin: when
// the devcluster goes away — even by SIGKILL — the pipe closes and the runner takes its whole group
// down, so no task process outlives the devcluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';

export interface RunnerSpec {
  sandbox: string;
  processes: { name: string; cmdline: string }[];
  env: Record<string, string>;
  /** SIGTERM → SIGKILL grace when the parent disappears, ms. */
  graceMs: number;
}

export type RunnerEvent =
  | { ev: 'started'; name: string; pid: number }
  | { ev: 'exited'; name: string; code: number | null; signal: string | null }
  | { ev: 'error'; name: string; message: string }
  /** Every process ended; `status` is the task's (the runner then SIGKILLs its group, itself
   *  included, so nothing a process left behind survives it). */
  | { ev: 'done'; status: number };

let parentGone = false;

function report(e: RunnerEvent): void {
  if (parentGone) return;
  try {
    // Synchronous for pipes on Linux: the line is out before anything that follows.
    process.stdout.write(`${JSON.stringify(e)}\n`);
  } catch {
    parentGone = true;
  }
}

/** SIGKILL to the whole group, the runner included: the end of the task. */
function killGroupAndExit(status: number): never {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    /* not a group leader (started by hand): just exit */
  }
  process.exit(status);
}

/** Other live members of the runner's process group (Linux /proc), e.g. a server whose shell
 *  already died. */
function groupMembers(): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp …; zombies are already gone.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z' && Number(rest[2]) === process.pid) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Waits (up to `ms`) for the rest of the group to exit, then SIGKILLs it and exits. */
function drainThenExit(ms: number, status: number): void {
  const deadline = Date.now() + ms;
  const tick = () => {
    if (groupMembers().length === 0 || Date.now() >= deadline) killGroupAndExit(status);
    setTimeout(tick, 50);
  };
  tick();
}

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 0;
}

function main(): void {
  const spec = JSON.parse(process.env.BEACON_RUNNER_SPEC ?? '') as RunnerSpec;
  delete process.env.BEACON_RUNNER_SPEC;
  let running = 0;
  let status = 0;
  const children: ChildProcess[] = [];

  // Signals sent to the group reach the processes too; the runner stays to report their exits.
  let stoppingAt: number | undefined;
  process.on('SIGTERM', () => (stoppingAt ??= Date.now()));
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);

  let orphanedAt: number | undefined;
  const orphaned = () => {
    if (orphanedAt !== undefined) return;
    orphanedAt = Date.now();
    parentGone = true;
    // The devcluster is gone: SIGTERM the group, SIGKILL it (the runner included) after the grace.
    try {
      process.kill(-process.pid, 'SIGTERM');
    } catch {
      /* not a group leader */
    }
    setTimeout(() => killGroupAndExit(137), spec.graceMs);
  };
  process.stdout.on('error', () => orphaned());
  process.stdin.on('end', orphaned);
  process.stdin.on('close', orphaned);
  process.stdin.on('error', orphaned);
  process.stdin.resume();
  // A second way to notice the parent is gone: being re-parented (to init or a subreaper).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) orphaned();
  }, 1000).unref();

  for (const p of spec.processes) {
    const dir = join(spec.sandbox, '.logs', p.name, '0');
    mkdirSync(dir, { recursive: true });
    const out = openSync(join(dir, 'stdout'), 'a');
    const err = openSync(join(dir, 'stderr'), 'a');
    const child = spawn('/bin/sh', ['-c', p.cmdline], {
      cwd: spec.sandbox,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', out, err],
    });
    closeSync(out);
    closeSync(err);
    running++;
    children.push(child);
    child.on('spawn', () => report({ ev: 'started', name: p.name, pid: child.pid ?? 0 }));
    child.on('error', (e) => report({ ev: 'error', name: p.name, message: e.message }));
    child.on('exit', (code, signal) => {
      report({ ev: 'exited', name: p.name, code, signal });
      const s = exitStatus(code, signal);
      if (status === 0 && s !== 0) status = s;
      if (--running > 0) return;
      // What the processes left behind (a server whose shell died first) gets the rest of the
      // grace to finish, then the group is SIGKILLed.
      const since = orphanedAt ?? stoppingAt ?? Date.now();
      const left =
        (orphanedAt ?? stoppingAt) ? Math.max(0, spec.graceMs - (Date.now() - since)) : 0;
      report({ ev: 'done', status });
      drainThenExit(left, status);
    });
  }
}

main();
