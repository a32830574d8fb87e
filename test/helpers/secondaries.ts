// Real secondaries for zone-transfer tests: NSD and Knot from Debian's packages, each with a
// config in its own temp dir, listening on a loopback port, transferring `zone` from a primary at
// 127.0.0.1:primaryPort and taking NOTIFYs from 127.0.0.1. Run in the foreground as children and
// stopped by PID (SIGTERM, then SIGKILL). These configs are the ones docs/operations.md shows.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsdServerSection } from '../../bench/lib/nsd.js';

export const NSD = '/usr/sbin/nsd';
export const KNOTD = '/usr/sbin/knotd';

export interface Secondary {
  kind: 'nsd' | 'knot';
  port: number;
  dir: string;
  child: ChildProcess;
  /** Its log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export function nsdConfig(dir: string, port: number, zone: string, primaryPort: number): string {
  return `${nsdServerSection(dir, port)}  verbosity: 2
  # Load a transferred zone at once (the default waits up to 1 s between reloads).
  xfrd-reload-timeout: 0
remote-control:
  control-enable: no
zone:
  name: "${zone}"
  zonefile: "${dir}/${zone}.zone"
  allow-notify: 127.0.0.1 NOKEY
  request-xfr: 127.0.0.1@${primaryPort} NOKEY
  # Lets the benchmark take an AXFR from NSD too (its baseline).
  provide-xfr: 127.0.0.0/8 NOKEY
`;
}

export function knotConfig(dir: string, port: number, zone: string, primaryPort: number): string {
  return `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
control:
    listen: "${dir}/knot.sock"
database:
    storage: "${dir}"
log:
  - target: "${dir}/knot.log"
    any: info
remote:
  - id: beacon
    address: 127.0.0.1@${primaryPort}
acl:
  - id: beacon-notify
    address: 127.0.0.1
    action: notify
zone:
  - domain: ${zone}
    storage: "${dir}"
    file: "${zone}.zone"
    master: beacon
    acl: beacon-notify
    # Keep the zone in memory and the journal only: Beacon is the source of truth.
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
`;
}

function run(
  kind: 'nsd' | 'knot',
  bin: string,
  args: string[],
  dir: string,
  port: number,
  logFile: string,
): Secondary {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const log = () => {
    let f = '';
    try {
      f = readFileSync(logFile, 'utf8');
    } catch {
      // not written yet
    }
    return `${out}${f}`;
  };
  return {
    kind,
    port,
    dir,
    child,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/** NSD as a secondary of `zone` on 127.0.0.1:port. */
export function startNsdSecondary(port: number, zone: string, primaryPort: number): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-nsd2-'));
  writeFileSync(join(dir, 'nsd.conf'), nsdConfig(dir, port, zone, primaryPort));
  return run('nsd', NSD, ['-d', '-c', join(dir, 'nsd.conf')], dir, port, join(dir, 'nsd.log'));
}

/** Knot as a secondary of `zone` on 127.0.0.1:port. */
export function startKnotSecondary(port: number, zone: string, primaryPort: number): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-knot2-'));
  writeFileSync(join(dir, 'knot.conf'), knotConfig(dir, port, zone, primaryPort));
  return run('knot', KNOTD, ['-c', join(dir, 'knot.conf')], dir, port, join(dir, 'knot.log'));
}
