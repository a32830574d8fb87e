// Starts a real ZooKeeper server (Debian's `zookeeper` package) for tests and benchmarks: own temp
// dir, free loopback port, stopped by PID. Supports restart on the same port and data, SIGSTOP
// freezes, and expiring a client's session on purpose.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort } from './net.js';

const ZK_JAR = '/usr/share/java/zookeeper.jar';
const ZK_CONF = '/etc/zookeeper/conf';

export function zookeeperInstalled(): boolean {
  return existsSync(ZK_JAR);
}

/** Sends a four-letter word (e.g. `ruok`, `srvr`) and returns the reply. */
export function fourLetter(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let out = '';
    const done = (v: string) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(out));
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d) => (out += d.toString()));
    sock.on('end', () => done(out));
    sock.on('error', () => done(''));
  });
}

export interface ZkServerOptions {
  /** tickTime in ms; session timeouts are bounded to [2, 20] ticks. Default 200. */
  tickMs?: number;
}

/** The server could not have its port: it exited during start-up or another server answers there. */
class PortLost extends Error {
  override name = 'PortLost';
}

export class ZkServer {
  readonly dir: string;
  readonly port: number;
  private proc: ChildProcess | undefined;
  private readonly tickMs: number;

  private constructor(dir: string, port: number, tickMs: number) {
    this.dir = dir;
    this.port = port;
    this.tickMs = tickMs;
  }

  static async start(options: ZkServerOptions = {}): Promise<ZkServer> {
    if (!zookeeperInstalled()) {
      throw new Error(
        'ZooKeeper is not installed: apt-get install zookeeper (npm test does it when run as root)',
      );
    }
    // The port is free when freePort() returns but the JVM binds it a second or more later; with
    // other test files running beside this one, another process can take it in between. A server
    // that cannot have its port is started again on a new one (bounded).
    for (let attempt = 1; ; attempt++) {
      const server = await ZkServer.prepare(options.tickMs ?? 200);
      try {
        await server.resume();
        return server;
      } catch (e) {
        await server.stop();
        if (!(e instanceof PortLost) || attempt >= 3) throw e;
      }
    }
  }

  private static async prepare(tickMs: number): Promise<ZkServer> {
    const dir = mkdtempSync(join(tmpdir(), 'beacon-zk-'));
    const server = new ZkServer(dir, await freePort(), tickMs);
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'zoo.cfg'),
      [
        `tickTime=${server.tickMs}`,
        `dataDir=${join(dir, 'data')}`,
        `clientPort=${server.port}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        'maxClientCnxns=0',
        '4lw.commands.whitelist=*',
        `minSessionTimeout=${server.tickMs * 2}`,
        `maxSessionTimeout=60000`,
        '',
      ].join('\n'),
    );
    return server;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** (Re)starts the server process on the same port and data dir, and waits until it serves. */
  async resume(timeoutMs = 60000): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      'java',
      [
        '-Xmx256m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Dzookeeper.jmx.log4j.disable=true',
        '-cp',
        `${ZK_JAR}:${ZK_CONF}`,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        join(this.dir, 'zoo.cfg'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: false },
    );
    // The tail of what the JVM printed, for the error when it dies during start-up (Debian's
    // ZooKeeper logs nothing by itself: a lost port shows only as exit code 1).
    let output = '';
    proc.stderr!.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-2000);
    });
    let exitCode: number | null = null;
    proc.on('exit', (code) => (exitCode = code));
    this.proc = proc;
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = undefined;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.proc) {
        // Exiting at once is what a port taken in the meantime looks like; start() retries it.
        throw new PortLost(
          `ZooKeeper exited during start-up with code ${exitCode} (port ${this.port}, dir ${this.dir}): ${output.trim()}`,
        );
      }
      if ((await fourLetter(this.port, 'ruok', 500)) === 'imok') {
        // ruok answers before the server accepts sessions; srvr says "Mode:" once it serves.
        // `conf` names the data dir: the server on the port must be ours, not one another test
        // started on the port while ours was down.
        if ((await fourLetter(this.port, 'srvr', 500)).includes('Mode:')) {
          const conf = await fourLetter(this.port, 'conf', 500);
          if (!conf.includes(this.dir)) {
            await this.kill();
            throw new PortLost(
              `port ${this.port} was taken by another server while ZooKeeper started`,
            );
          }
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`ZooKeeper did not start on port ${this.port} within ${timeoutMs} ms`);
  }

  /** Kills the server (SIGKILL, like a crash) and waits for the process to exit. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      this.proc = undefined;
      return;
    }
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
    this.proc = undefined;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open but go silent. */
  freeze(): void {
    this.proc?.kill('SIGSTOP');
  }
  thaw(): void {
    this.proc?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Expires a session on purpose, as ZooKeeper's own tests do: connect a second client with the
 *  same session id and password, then close it. The victim's client reconnects at once and can
 *  win the session back before the close lands, so this repeats (bounded) until `expired()`
 *  says the victim noticed. */
export async function expireSession(
  connectString: string,
  sessionId: Buffer,
  password: Buffer,
  expired: () => boolean,
  timeoutMs = 20000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // An attempt can fail when the victim's reconnect kicks the clone off first; try again.
    await closeClone(
      connectString,
      sessionId,
      password,
      Math.min(5000, Math.max(500, deadline - Date.now())),
    );
    const until = Math.min(deadline, Date.now() + 3000);
    while (Date.now() < until) {
      if (expired()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`could not expire session ${sessionId.toString('hex')} within ${timeoutMs} ms`);
}

/** Connects a clone of the session and closes it at once; resolves false when it could not. */
function closeClone(
  connectString: string,
  sessionId: Buffer,
  password: Buffer,
  timeoutMs: number,
): Promise<boolean> {
  // node-zookeeper-client takes an existing session's id and password as (untyped) options.
  const client = zookeeper.createClient(connectString, {
    sessionTimeout: 2000,
    retries: 0,
    spinDelay: 100,
    sessionId,
    sessionPassword: password,
  } as zookeeper.Option);
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => {
      client.removeAllListeners();
      const cm = (
        client as unknown as {
          connectionManager: { connect: () => void; state: number; socket?: { destroy(): void } };
        }
      ).connectionManager;
      cm.connect = () => undefined;
      cm.state = -1;
      cm.socket?.destroy();
      resolve(false);
    }, timeoutMs);
    client.once('connected', () => {
      // Close at once, before the victim's reconnect takes the session back.
      client.once('disconnected', () => {
        clearTimeout(t);
        resolve(true);
      });
      client.close();
    });
    client.connect();
  });
}

/** A ZooKeeper ensemble of N servers on loopback, each with its own ports and data dir. */
export class ZkEnsemble {
  readonly dir: string;
  readonly members: Array<{ id: number; clientPort: number; proc?: ChildProcess }>;
  private constructor(dir: string, members: ZkEnsemble['members']) {
    this.dir = dir;
    this.members = members;
  }

  static async start(size = 3, tickMs = 200): Promise<ZkEnsemble> {
    if (!zookeeperInstalled()) {
      throw new Error('ZooKeeper is not installed: apt-get install zookeeper');
    }
    const dir = mkdtempSync(join(tmpdir(), 'beacon-zkens-'));
    const ports: Array<{ client: number; peer: number; election: number }> = [];
    for (let i = 0; i < size; i++) {
      ports.push({ client: await freePort(), peer: await freePort(), election: await freePort() });
    }
    const servers = ports.map((p, i) => `server.${i + 1}=127.0.0.1:${p.peer}:${p.election}`);
    const members = ports.map((p, i) => ({ id: i + 1, clientPort: p.client }));
    for (const m of members) {
      const d = join(dir, `s${m.id}`);
      mkdirSync(join(d, 'data'), { recursive: true });
      writeFileSync(join(d, 'data', 'myid'), `${m.id}\n`);
      writeFileSync(
        join(d, 'zoo.cfg'),
        [
          `tickTime=${tickMs}`,
          'initLimit=50',
          'syncLimit=10',
          `dataDir=${join(d, 'data')}`,
          `clientPort=${m.clientPort}`,
          'clientPortAddress=127.0.0.1',
          'admin.enableServer=false',
          'maxClientCnxns=0',
          '4lw.commands.whitelist=*',
          `minSessionTimeout=${tickMs * 2}`,
          'maxSessionTimeout=60000',
          ...servers,
          '',
        ].join('\n'),
      );
    }
    const ens = new ZkEnsemble(dir, members);
    await Promise.all(members.map((m) => ens.startMember(m.id)));
    await ens.waitServing();
    return ens;
  }

  get connectString(): string {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  async startMember(id: number): Promise<void> {
    const m = this.members[id - 1]!;
    if (m.proc) return;
    const proc = spawn(
      'java',
      [
        '-Xmx192m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-cp',
        `${ZK_JAR}:${ZK_CONF}`,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        join(this.dir, `s${id}`, 'zoo.cfg'),
      ],
      { stdio: 'ignore' },
    );
    m.proc = proc;
    proc.on('exit', () => {
      if (m.proc === proc) m.proc = undefined;
    });
  }

  /** Waits until a quorum serves (one leader, the rest followers among running members). */
  async waitServing(timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const modes = await Promise.all(
        this.members.filter((m) => m.proc).map((m) => this.mode(m.id)),
      );
      if (modes.includes('leader') && modes.every((x) => x === 'leader' || x === 'follower'))
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the ensemble did not elect a leader within ${timeoutMs} ms`);
  }

  /** `leader`, `follower`, or `` when the member does not serve. */
  async mode(id: number): Promise<string> {
    const out = await fourLetter(this.members[id - 1]!.clientPort, 'srvr', 500);
    return /Mode: (\w+)/.exec(out)?.[1] ?? '';
  }

  async leader(): Promise<number | undefined> {
    for (const m of this.members) if (m.proc && (await this.mode(m.id)) === 'leader') return m.id;
    return undefined;
  }

  async kill(id: number): Promise<void> {
    const m = this.members[id - 1]!;
    const proc = m.proc;
    if (!proc) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
  }

  freeze(id: number): void {
    this.members[id - 1]!.proc?.kill('SIGSTOP');
  }
  thaw(id: number): void {
    this.members[id - 1]!.proc?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m.id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
