// NSD as the DNS benchmark's baseline: writes a zone file equivalent to a RecordSet, a config in a
// temp dir (own port, no rate limiting, no remote control, no privilege drop) and runs `nsd -d`
// as a child that the caller stops by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordSet } from '../../src/records/types.js';

export const NSD = '/usr/sbin/nsd';

/** Zone-file text for the in-zone records of `rs` (reverse names live in other zones: skipped). */
export function zoneFile(rs: RecordSet): string {
  const z = rs.zone;
  const apex = `${z.domain}.`;
  const fq = (n: string) => (n.endsWith('.') ? n : `${n}.`);
  const lines = [
    `$ORIGIN ${apex}`,
    `${apex} ${z.ttl} IN SOA ${fq(z.soa.mname)} ${fq(z.soa.rname)} ${z.soa.serial} ${z.soa.refresh} ${z.soa.retry} ${z.soa.expire} ${z.soa.minttl}`,
    `${apex} ${z.ttl} IN NS ${fq(z.soa.mname)}`,
  ];
  for (const name of rs.names()) {
    if (name !== apex && !name.endsWith(`.${apex}`)) continue;
    const r = rs.get(name);
    if (!r) continue;
    for (const ip of r.a) lines.push(`${name} ${z.ttl} IN A ${ip}`);
    for (const ip of r.aaaa) lines.push(`${name} ${z.ttl} IN AAAA ${ip}`);
    for (const s of r.srv)
      lines.push(`${name} ${z.ttl} IN SRV ${s.priority} ${s.weight} ${s.port} ${s.target}`);
  }
  return lines.join('\n') + '\n';
}

export interface RunningNsd {
  child: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

/** NSD's `server:` clause for a foreground NSD on 127.0.0.1:port keeping every file in `dir`,
 *  without rate limiting (a benchmark or test floods it from one address). */
export function nsdServerSection(dir: string, port: number, servers = 1): string {
  return `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  server-count: ${servers}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/nsd.log"
  database: ""
  rrl-ratelimit: 0
`;
}

/** Starts NSD on 127.0.0.1:port serving `rs`'s zone with `servers` server processes. */
export function startNsd(rs: RecordSet, port: number, servers = 1): RunningNsd {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-nsd-'));
  writeFileSync(join(dir, 'zone'), zoneFile(rs));
  const conf = `${nsdServerSection(dir, port, servers)}  verbosity: 0
  hide-version: yes
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "${rs.zone.domain}"
  zonefile: "${dir}/zone"
`;
  writeFileSync(join(dir, 'nsd.conf'), conf);
  const child = spawn(NSD, ['-d', '-c', join(dir, 'nsd.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.on('exit', (code) => {
    if (code) process.stderr.write(`nsd exited with ${code}: ${err}\n`);
  });
  return {
    child,
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          return resolve();
        }
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
