// Runs dnsperf against a server and extracts queries per second (and loss) from its report; and
// measures the CPU (user + system) a server's process tree used meanwhile, from /proc, which a busy
// shared machine disturbs far less than qps.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const DNSPERF = '/usr/bin/dnsperf';

export interface DnsperfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  avgLatencyMs: number;
  raw: string;
}

export interface DnsperfOptions {
  port: number;
  queryFile: string;
  seconds: number;
  /** Concurrent clients (-c). */
  clients?: number;
  /** Threads (-T). */
  threads?: number;
  /** Outstanding queries (-q). */
  outstanding?: number;
}

export function dnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    '-s',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-d',
    o.queryFile,
    '-l',
    String(o.seconds),
    '-c',
    String(o.clients ?? 1),
    '-T',
    String(o.threads ?? 1),
    '-q',
    String(o.outstanding ?? 100),
  ];
  return new Promise((resolve, reject) => {
    const c = spawn(DNSPERF, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => {
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
      const qps = num(/Queries per second:\s+([\d.]+)/);
      if (code !== 0 || Number.isNaN(qps))
        return reject(new Error(`dnsperf failed (${code}):\n${out}`));
      resolve({
        qps,
        sent: num(/Queries sent:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
        raw: out,
      });
    });
  });
}

const TICKS = 100; // USER_HZ on Linux

function stat(pid: string): { ppid: number; ticks: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)` (which may contain spaces): state ppid … utime(14) stime(15).
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

export function treeCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(d);
    if (!s) continue;
    const pid = Number(d);
    ticks.set(pid, s.ticks);
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  let total = 0;
  const stack = [root];
  for (let guard = 0; stack.length && guard < 100_000; guard++) {
    const p = stack.pop()!;
    total += ticks.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total / TICKS;
}
