// Runs the `beacon` command (bin/beacon.js) as a child process: to its end, blocking (spawnSync)
// or not (for tests whose own event loop serves what the command talks to), or started and left
// running with its output collected. `env` entries are added to this process's environment (an
// undefined value removes the variable). Children started here that are still running are killed
// by `killStartedBeacons()` (each file that starts some calls it in `after`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const BEACON = join(ROOT, 'bin', 'beacon.js');

export type EnvChanges = Record<string, string | undefined>;

export interface BeaconResult {
  status: number;
  stdout: string;
  stderr: string;
}

function childEnv(env: EnvChanges): NodeJS.ProcessEnv {
  const out = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** `beacon …` to its end, blocking this process (status -1 when killed or timed out). */
export function beacon(args: string[], env: EnvChanges = {}, timeoutMs = 30000): BeaconResult {
  const r = spawnSync(process.execPath, [BEACON, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: childEnv(env),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `beacon …` to its end without blocking this process's event loop (SIGKILLed after
 *  `timeoutMs`; status -1 when killed). */
export function beaconAsync(
  args: string[],
  env: EnvChanges = {},
  timeoutMs = 30000,
): Promise<BeaconResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BEACON, ...args], { cwd: ROOT, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ status: code ?? (signal ? -1 : 0), stdout, stderr });
    });
  });
}

export interface BeaconChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();

/** `beacon …` started and left running; its output accumulates. */
export function startBeacon(args: string[], env: EnvChanges = {}): BeaconChild {
  const child = spawn(process.execPath, [BEACON, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** SIGKILLs the children startBeacon started that are still running. */
export function killStartedBeacons(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** A child command (for `beacon serverset announce … --`) that exits with `code` once `flag`
 *  exists, or with 99 after a minute. */
export function exitWhenFileExists(flag: string, code = 0): string[] {
  return [
    process.execPath,
    '-e',
    `const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(flag)})){clearInterval(t);process.exit(${code})}},20);setTimeout(()=>process.exit(99),60000);`,
  ];
}

/** Waits for `beacon dns`'s "where it listens" line (fails if the process exits first): its DNS
 *  port, and its HTTP port when the HTTP API is on. */
export async function dnsListening(
  r: Pick<BeaconChild, 'child' | 'stdout' | 'stderr'>,
  timeoutMs = 20000,
): Promise<{ dnsPort: number; httpPort: number | undefined; line: string }> {
  const line = await waitFor(
    'the listening line',
    () => {
      if (r.child.exitCode !== null) throw new Error(`exited early: ${r.stderr()}`);
      return r
        .stdout()
        .split('\n')
        .find((l) => l.startsWith('beacon dns: DNS on'));
    },
    timeoutMs,
  );
  const m = /DNS on 127\.0\.0\.1:(\d+)/.exec(line);
  if (!m) throw new Error(`no DNS address in: ${line}`);
  const h = /HTTP on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
  return { dnsPort: Number(m[1]), httpPort: h ? Number(h[1]) : undefined, line };
}
