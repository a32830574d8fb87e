// Test members: real HTTP servers in their own processes (test/client/member-server.ts), announced
// into a real ZooKeeper by the `beacon serverset announce` sidecar or by the library Announcer.
// Each member counts the requests it received from the `hit` lines it prints; processes are
// stopped by their own PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import type { MemberConfig } from './member-server.js';

const BIN = fileURLToPath(new URL('../../../bin/beacon.js', import.meta.url));
const SERVER = fileURLToPath(new URL('./member-server.js', import.meta.url));

export interface MemberOptions {
  zk: string;
  path: string;
  id: string;
  /** `sidecar` (default): `beacon serverset announce … -- node member-server.js`;
   *  `announcer`: one process that listens first and then announces itself. */
  mode?: 'sidecar' | 'announcer';
  delayMs?: number;
  reset?: boolean;
  shard?: number;
  /** Also serve and announce an `admin` endpoint (sidecar mode), primary stays `http`. */
  admin?: boolean;
  report?: boolean;
  sessionTimeoutMs?: number;
}

export class Member {
  /** Requests received: `at` when the line was read here (performance.now()), `epochMs` when
   *  the member received it by its own clock (epoch ms, comparable across processes). */
  readonly hits: Array<{
    method: string;
    path: string;
    port: number;
    at: number;
    epochMs: number;
  }> = [];
  out = '';
  err = '';
  announcedAt: number | undefined;
  readonly exited: Promise<number | null>;

  constructor(
    readonly id: string,
    readonly port: number,
    readonly adminPort: number | undefined,
    readonly proc: ChildProcess,
  ) {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      const at = performance.now();
      this.out += d;
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^hit (\S+) (\S+) (\d+) ([\d.]+)$/.exec(line);
        if (m) {
          this.hits.push({
            method: m[1]!,
            path: m[2]!,
            port: Number(m[3]),
            at,
            epochMs: Number(m[4]),
          });
        } else if (line.startsWith('announced ')) this.announcedAt ??= at;
      }
    });
    proc.stderr!.on('data', (d: Buffer) => {
      this.err += d;
      if (/announced .*member_/.test(this.err)) this.announcedAt ??= performance.now();
    });
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  count(method?: string): number {
    return method ? this.hits.filter((h) => h.method === method).length : this.hits.length;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGKILL (a crash): in announcer mode the process holding the ZooKeeper session dies with
   *  the server, so its ephemeral node stays until the session times out. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Orderly stop: SIGTERM (the sidecar deannounces first), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Starts a member and waits until it listens and is announced. Its ports are free when chosen
 *  but bound only once the process is up; one taken in between by a test running beside this one
 *  makes the member exit with EADDRINUSE, and it is started again on new ports (bounded). */
export async function startMember(o: MemberOptions): Promise<Member> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startMemberOnce(o);
    } catch (e) {
      if (!(e instanceof PortTaken) || attempt >= 3) throw e;
    }
  }
}

class PortTaken extends Error {
  override name = 'PortTaken';
}

async function startMemberOnce(o: MemberOptions): Promise<Member> {
  const port = await freePort();
  const adminPort = o.admin ? await freePort() : undefined;
  const mode = o.mode ?? 'sidecar';
  const config: MemberConfig = {
    id: o.id,
    port,
    ...(adminPort ? { extraPort: adminPort } : {}),
    ...(o.delayMs ? { delayMs: o.delayMs } : {}),
    ...(o.reset ? { reset: true } : {}),
    ...(o.report === false ? { report: false } : {}),
  };
  const env = { ...process.env, BEACON_LOG: 'error' };
  let proc: ChildProcess;
  if (mode === 'announcer') {
    config.announce = {
      zk: o.zk,
      path: o.path,
      ...(o.sessionTimeoutMs ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
      ...(o.shard !== undefined ? { shard: o.shard } : {}),
    };
    proc = spawn(process.execPath, [SERVER, JSON.stringify(config)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } else {
    const args = [BIN, 'serverset', 'announce', '--zk', o.zk, '--path', o.path];
    args.push('--host', '127.0.0.1', '--port', `http=${port}`);
    if (adminPort) args.push('--port', `admin=${adminPort}`);
    if (o.shard !== undefined) args.push('--shard', String(o.shard));
    args.push('--', process.execPath, SERVER, JSON.stringify(config));
    proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const m = new Member(o.id, port, adminPort, proc);
  try {
    // waitFor retries a check that throws, so an exit ends the wait as a result, not an error.
    const up = await waitFor(
      `member ${o.id} listening and announced`,
      () => (!m.running ? 'exited' : m.out.includes('listening') && m.announcedAt !== undefined),
      60000,
    );
    if (up === 'exited') {
      const msg = `member ${o.id} exited: ${m.err}`;
      throw m.err.includes('EADDRINUSE') ? new PortTaken(msg) : new Error(msg);
    }
  } catch (e) {
    await m.kill();
    throw e;
  }
  return m;
}

/** Starts members one after the other (parallel JVM-free start-ups still compete for 2 cores). */
export async function startMembers(n: number, base: Omit<MemberOptions, 'id'>): Promise<Member[]> {
  const out: Member[] = [];
  for (let i = 0; i < n; i++) out.push(await startMember({ ...base, id: `m${i}` }));
  return out;
}

/** Waits until the client knows exactly these members (by port). */
export async function waitForMembers(
  client: { members(): Array<{ port: number }> },
  members: Member[],
  timeoutMs = 30000,
): Promise<void> {
  const want = members.map((m) => m.port).sort();
  await waitFor(
    `client to know members ${want.join(',')}`,
    () => {
      const have = client
        .members()
        .map((m) => m.port)
        .sort();
      return have.length === want.length && have.every((p, i) => p === want[i]);
    },
    timeoutMs,
  );
}
