// Shared by the `beacon dns --config` tests: runs `beacon dns` on a config (loopback, ports 0,
// a --state file) and reads where it listens.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { sampleState } from '../helpers/fake-master.js';
import { dnsListening } from '../helpers/cli.js';
import { startUpstream, type FakeUpstream } from '../dns/upstream.js';
import { REFUSED, type Refused } from '../config/mesos-dns-cases.js';

const BIN = fileURLToPath(new URL('../../../bin/beacon.js', import.meta.url));
export const dir = mkdtempSync(join(tmpdir(), 'beacon-dns-config-'));
const children = new Set<ChildProcess>();
const upstreams: FakeUpstream[] = [];

/** A stand-in upstream on loopback, closed after the file's tests. */
export async function upstream(ip: string): Promise<FakeUpstream> {
  const u = await startUpstream('answer', ip);
  upstreams.push(u);
  return u;
}
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const u of upstreams) await u.close();
  rmSync(dir, { recursive: true, force: true });
});

const LOOPBACK = { listener: '127.0.0.1', HTTPListener: '127.0.0.1', port: 0, httpport: 0 };
export const STATE = join(dir, 'state.json');
writeFileSync(STATE, JSON.stringify(sampleState()));

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function run(name: string, config: Record<string, unknown>, extra: string[] = []): Run {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...LOOPBACK, ...config }));
  const child = spawn(process.execPath, [BIN, 'dns', '--config', path, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BEACON_LOG: 'error' },
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The DNS port from the "where it listens" line (fails if the process exits first). */
export async function dnsPort(r: Run): Promise<number> {
  return (await dnsListening(r)).dnsPort;
}

/** Runs `f` over `items`, at most `n` at a time (the machine is shared). */
export async function inBatches<T>(items: T[], n: number, f: (t: T, i: number) => Promise<void>) {
  for (let i = 0; i < items.length; i += n)
    await Promise.all(items.slice(i, i + n).map((t, j) => f(t, i + j)));
}

/** Each refused config: one line naming the key and the value, exit ≠ 0, nothing served. */
export async function checkRefused(cases: readonly Refused[], tag: string): Promise<void> {
  await inBatches([...cases], 4, async (c, i) => {
    const r = run(`refused-${tag}-${i}`, c.config, ['--state', STATE]);
    const code = await r.exited;
    assert.notEqual(code, 0, c.why);
    const lines = r.stderr().trim().split('\n');
    assert.equal(lines.length, 1, `${c.why}: ${r.stderr()}`);
    assert.ok(lines[0]!.includes(`"${c.key}"`), `${c.why}: names the key: ${lines[0]}`);
    assert.ok(lines[0]!.includes(c.value), `${c.why}: quotes ${c.value}: ${lines[0]}`);
    assert.match(lines[0]!, /BEACON_E_CONFIG/);
    assert.equal(r.stdout(), '', c.why);
  });
}

/** The refused cases about `keys`. */
export const refusedFor = (...keys: string[]): Refused[] =>
  REFUSED.filter((c) => keys.includes(c.key));
