// The announce sidecar: runs a command as a child, announces it into a ServerSet while it runs,
// deannounces when it exits (or when the sidecar is told to stop), and passes the child's exit
// status on (128+N for a child killed by signal N, as a shell does).
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { ChildError, ZkUnreachableError } from '../errors.js';
import { logger } from '../log.js';
import type { ServiceInstance } from '../model/service-instance.js';
import { acquireSession, type OpenOptions } from '../zk/index.js';
import type { Acl } from '../zk/types.js';
import { Announcer } from './announcer.js';

export interface SidecarOptions {
  ensemble: string;
  path: string;
  instance: ServiceInstance;
  session?: OpenOptions;
  acl?: Acl[];
  /** Bound on reaching ZooKeeper at start; past it the child is stopped and the sidecar fails,
   *  as Aurora fails a task whose announcer cannot connect. Default 15000. */
  connectTimeoutMs?: number;
  command: string;
  args: string[];
  /** Grace period between SIGTERM and SIGKILL when the sidecar stops the child. Default 10000. */
  killGraceMs?: number;
  /** Called with progress lines for the user (stderr in the CLI). */
  report?: (line: string) => void;
}

const log = logger('sidecar');

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return 1;
}

/** Runs the sidecar to completion and resolves with the exit status to use. */
export async function runAnnounced(opts: SidecarOptions): Promise<number> {
  const report = opts.report ?? (() => undefined);
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, { stdio: 'inherit' });
  } catch (e) {
    throw new ChildError(`cannot start "${opts.command}": ${(e as Error).message}`, { cause: e });
  }
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (e) =>
      reject(new ChildError(`cannot start "${opts.command}": ${e.message}`, { cause: e })),
    );
    child.once('exit', (code, signal) => resolve(exitStatus(code, signal)));
  });
  // Surface spawn errors (ENOENT) before announcing anything.
  const spawned = await Promise.race([
    new Promise<true>((resolve) => child.once('spawn', () => resolve(true))),
    exited.then(() => true as const),
  ]);
  void spawned;

  const lease = acquireSession(opts.ensemble, opts.session);
  const announcer = new Announcer({
    session: lease.session,
    path: opts.path,
    instance: opts.instance,
    acl: opts.acl,
  });
  announcer.on('error', (e) => report(`announce error: ${e.message}`));
  announcer.on('lost', (why) => report(`member lost (${why}); re-joining`));

  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 10000);
    t.unref();
    await exited.catch(() => undefined);
    clearTimeout(t);
  };

  // Signals to the sidecar: deannounce first, then pass the signal to the child.
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.debug({ signal }, 'stopping');
    void announcer
      .leave()
      .catch(() => undefined)
      .then(() => stopChild(signal));
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  try {
    const joinBound = opts.connectTimeoutMs ?? 15000;
    const joined = (async () => {
      await lease.session.waitConnected(joinBound);
      return announcer.join();
    })();
    const outcome = await Promise.race([
      joined.then((p) => ({ kind: 'joined' as const, path: p })),
      exited.then((status) => ({ kind: 'exited' as const, status })),
      new Promise<{ kind: 'timeout' }>((resolve) => {
        const t = setTimeout(() => resolve({ kind: 'timeout' }), joinBound + 1000);
        t.unref();
        void exited.finally(() => clearTimeout(t)).catch(() => undefined);
        void joined.finally(() => clearTimeout(t)).catch(() => undefined);
      }),
    ]).catch(async (e: unknown) => {
      await stopChild('SIGTERM');
      throw e;
    });
    if (outcome.kind === 'timeout') {
      await stopChild('SIGTERM');
      throw new ZkUnreachableError(
        `could not announce into ${opts.path} at ${opts.ensemble} within ${Math.round(joinBound / 1000)} s; the command was stopped`,
      );
    }
    if (outcome.kind === 'joined') report(`announced ${outcome.path}`);
    const status = await exited;
    await announcer
      .leave()
      .catch((e: unknown) => report(`deannounce failed: ${(e as Error).message}`));
    report(`deannounced; command exited with status ${status}`);
    return status;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await lease.release();
  }
}
