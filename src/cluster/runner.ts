// The per-task process runner (Thermos runner's role), run as its own process-group leader by the
// executor: starts the task's processes (`sh -c`, in the sandbox, stdout/stderr to
// `.logs/<process>/0/{stdout,stderr}`) in its group, reports on stdout one JSON line per event, and
// exits with the processes' status (128+N for a signal, as a shell does). It watches its stdin: when
// the devcluster goes away — even by SIGKILL — the pipe closes and the runner takes its whole group
// down, so no task process outlives the devcluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
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
  | { ev: 'error'; name: string; message: string };

function report(e: RunnerEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
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
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);

  const orphaned = () => {
    // The devcluster is gone: stop the group (the runner included, by the final SIGKILL).
    try {
      process.kill(-process.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    setTimeout(() => {
      try {
        process.kill(-process.pid, 'SIGKILL');
      } catch {
        process.exit(137);
      }
    }, spec.graceMs).unref();
    if (running === 0) process.exit(status);
  };
  process.stdin.on('end', orphaned);
  process.stdin.on('close', orphaned);
  process.stdin.on('error', orphaned);
  process.stdin.resume();

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
      if (--running === 0) process.exit(status);
    });
  }
}

main();
