// Test helper: runs `beacon devcluster` as a real child process on free ports and unique loopback
// addresses (so tests run beside each other and beside a developer's `npm start`), and reads what
// it exposes: the master's jobs API and state, and ServerSet members over the ZooKeeper wire.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCoordination } from '../../src/zk/index.js';
import type { Coordination } from '../../src/zk/types.js';
import { BEACON, ROOT } from '../helpers/cli.js';
import { getJson, request } from '../helpers/http.js';
import { freePort, uniqueAgentIp } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

export const EXAMPLE_KEY = 'devcluster/vagrant/test/http_example';
export const EXAMPLE_PATH = '/aurora/vagrant/test/http_example';

export interface DevclusterProc {
  child: ChildProcess;
  masterUrl: string;
  masterPort: number;
  zk: string;
  agentIp: string;
  agentPort: number;
  dataDir: string;
  dnsPort?: number;
  dnsHttpPort?: number;
  output(): string;
  /** Sends `signal` and resolves with the exit code (or 128+N). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

export interface StartOptions {
  dataDir?: string;
  masterPort?: number;
  agentIp?: string;
  agentPort?: number;
  zkPort?: number;
  dns?: boolean;
  dnsPort?: number;
  dnsHttpPort?: number;
  extra?: string[];
}

export async function startDevclusterProc(o: StartOptions = {}): Promise<DevclusterProc> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'beacon-dc-'));
  const masterPort = o.masterPort ?? (await freePort());
  const agentIp = o.agentIp ?? uniqueAgentIp();
  const agentPort = o.agentPort ?? (await freePort());
  const zkPort = o.zkPort ?? (await freePort());
  const args = [
    BEACON,
    'devcluster',
    '--data-dir',
    dataDir,
    '--master-port',
    String(masterPort),
    '--agent-ip',
    agentIp,
    '--agent-port',
    String(agentPort),
    '--zk-port',
    String(zkPort),
    '--agent-ports',
    '31000-31100',
  ];
  let dnsPort: number | undefined;
  let dnsHttpPort: number | undefined;
  if (o.dns) {
    dnsPort = o.dnsPort ?? (await freePort());
    dnsHttpPort = o.dnsHttpPort ?? (await freePort());
    args.push('--dns-port', String(dnsPort), '--dns-http-port', String(dnsHttpPort));
  } else args.push('--no-dns');
  args.push(...(o.extra ?? []));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15))),
  );
  let exitCode: number | undefined;
  void exited.then((c) => (exitCode = c));
  await waitFor(
    'the devcluster banner',
    () => {
      if (exitCode !== undefined) throw new Error(`devcluster exited with ${exitCode}:\n${out}`);
      return out.includes('Beacon devcluster is up.');
    },
    20000,
  ).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n--- output ---\n${out}`);
  });
  const zk = /ZooKeeper\s+(\S+)/.exec(out)![1]!;
  return {
    child,
    masterUrl: `http://127.0.0.1:${masterPort}`,
    masterPort,
    zk,
    agentIp,
    agentPort,
    dataDir,
    dnsPort,
    dnsHttpPort,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20000) {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
}

export interface InstanceView {
  instance: number;
  status: string;
  message?: string;
  taskId?: string;
  agentId?: string;
  host?: string;
  ports?: Record<string, number>;
}

export async function jobStatus(
  masterUrl: string,
  key = EXAMPLE_KEY,
): Promise<InstanceView[] | undefined> {
  const res = await request(`${masterUrl}/jobs/${key}`);
  if (res.status === 404) return undefined;
  return (JSON.parse(res.text) as { instances: InstanceView[] }).instances;
}

export function allRunning(n: number) {
  return (v: InstanceView[] | undefined) =>
    v !== undefined && v.length === n && v.every((i) => i.status === 'RUNNING');
}

export async function waitRunning(
  masterUrl: string,
  n = 2,
  key = EXAMPLE_KEY,
  timeoutMs = 30000,
): Promise<InstanceView[]> {
  return waitFor(
    `${n} running instances of ${key}`,
    async () => {
      const v = await jobStatus(masterUrl, key);
      return allRunning(n)(v) ? v : undefined;
    },
    timeoutMs,
    100,
  );
}

export async function masterState(masterUrl: string): Promise<Record<string, unknown>> {
  return (await getJson<Record<string, unknown>>(`${masterUrl}/master/state`)).body;
}

export interface Member {
  name: string;
  data: {
    serviceEndpoint: { host: string; port: number };
    additionalEndpoints: Record<string, { host: string; port: number }>;
    status: string;
    shard?: number;
  };
}

/** A ZooKeeper session over the wire to the devcluster's store. */
export async function zkClient(connect: string): Promise<Coordination> {
  const s = openCoordination(connect, { sessionTimeoutMs: 6000 });
  await s.waitConnected(10000);
  return s;
}

export async function members(zk: Coordination, path = EXAMPLE_PATH): Promise<Member[]> {
  let names: string[];
  try {
    names = await zk.getChildren(path);
  } catch {
    return [];
  }
  const out: Member[] = [];
  for (const name of names.filter((n) => n.startsWith('member_')).sort()) {
    try {
      const { data } = await zk.getData(`${path}/${name}`);
      out.push({ name, data: JSON.parse(data.toString('utf8')) as Member['data'] });
    } catch {
      /* deleted meanwhile */
    }
  }
  return out;
}

/** PIDs of processes whose command line mentions `text` (task processes carry their agent IP). */
export function processesMentioning(text: string): number[] {
  const r = spawnSync('pgrep', ['-f', '--', text], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** A process's parent and process group from /proc (undefined when it is gone or a zombie). */
export function procInfo(pid: number): { ppid: number; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name, which may contain spaces and parentheses: state ppid pgrp …
    const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') return undefined;
    return { ppid: Number(ppid), pgid: Number(pgid) };
  } catch {
    return undefined;
  }
}

/** PIDs of the live (non-zombie) members of process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  const r = spawnSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => procInfo(pid) !== undefined);
}

/** Resident memory of a process in KiB, from /proc (undefined when it is gone). */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
