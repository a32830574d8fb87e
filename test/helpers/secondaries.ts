// Real secondaries for zone-transfer tests: NSD, Knot and BIND from Debian's packages, each with a
// config in its own temp dir, listening on a loopback port, transferring `zone` from a primary at
// 127.0.0.1:primaryPort and taking NOTIFYs from 127.0.0.1. Run in the foreground as children and
// stopped by PID (SIGTERM, then SIGKILL). These configs are the ones docs/operations.md shows.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsdServerSection } from '../../bench/lib/nsd.js';

export const NSD = '/usr/sbin/nsd';
export const KNOTD = '/usr/sbin/knotd';
export const NAMED = '/usr/sbin/named';

export type SecondaryKind = 'nsd' | 'knot' | 'bind';

export interface Secondary {
  kind: SecondaryKind;
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

/** BIND 9.18's named.conf for a secondary. Everything named would put in /run or /etc/bind by
 *  default (pid, lock, session key, managed keys) goes to `dir`, so a test instance neither needs
 *  the system's paths nor collides with another named. */
export function bindConfig(dir: string, port: number, zone: string, primaryPort: number): string {
  return `options {
    directory "${dir}";
    pid-file "${dir}/named.pid";
    lock-file "${dir}/named.lock";
    session-keyfile "${dir}/session.key";
    managed-keys-directory "${dir}";
    listen-on port ${port} { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    // A secondary only: send no NOTIFYs of its own (BIND would notify the zone's NS names).
    notify no;
    // SOA queries (the one a NOTIFY triggers too) pass a rate limiter ticking every
    // 10/serial-query-rate s: at the default 20, a NOTIFY within 500 ms of the previous SOA query
    // waits for the next tick. At 100 the tick (100 ms) is below Beacon's notifyMinIntervalMs.
    serial-query-rate 100;
};
// No rndc channel (named would otherwise listen on 127.0.0.1:953 when rndc.key exists).
controls { };
zone "${zone}" {
    type secondary;
    primaries { 127.0.0.1 port ${primaryPort}; };
    allow-notify { 127.0.0.1; };
    file "${zone}.db";
    // Task names may hold '_', not a host-name character: BIND's default for secondaries (warn)
    // logs one line per such record on every transfer.
    check-names ignore;
    // BIND raises any SOA refresh below this (default 300 s) to it; Beacon's SOARefresh is 60 s,
    // the poll that catches a lost NOTIFY.
    min-refresh-time 60;
};
`;
}

function run(
  kind: SecondaryKind,
  bin: string,
  args: string[],
  dir: string,
  port: number,
  logFile?: string,
): Secondary {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const log = () => {
    let f = '';
    try {
      if (logFile) f = readFileSync(logFile, 'utf8');
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

/** Why BIND cannot run here, or undefined when it can. */
export function bindMissing(): string | undefined {
  if (!existsSync(NAMED)) return `${NAMED} is not installed (Debian: apt-get install bind9)`;
  // Debian's AppArmor profile for named allows /var/cache/bind, not the test's temp directory.
  try {
    const profiles = readFileSync('/sys/kernel/security/apparmor/profiles', 'utf8');
    if (/^\/usr\/sbin\/named \(enforce\)|^named \(enforce\)/m.test(profiles))
      return 'AppArmor enforces its named profile here, which forbids the temp directory a test secondary needs (aa-complain /usr/sbin/named to run it)';
  } catch {
    // No AppArmor (or not readable): nothing stands in the way.
  }
  return undefined;
}

/** BIND (named) as a secondary of `zone` on 127.0.0.1:port, in the foreground (-g: logs to
 *  stderr), IPv4 only (-4), as the user running the tests (no -u). */
export function startBindSecondary(port: number, zone: string, primaryPort: number): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bind2-'));
  writeFileSync(join(dir, 'named.conf'), bindConfig(dir, port, zone, primaryPort));
  return run('bind', NAMED, ['-g', '-4', '-c', join(dir, 'named.conf')], dir, port);
}
