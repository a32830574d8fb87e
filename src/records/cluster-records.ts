// Records that do not belong to a task (Mesos-DNS generator.go frameworkRecords, slaveRecords,
// masterRecord, listenerRecord): `fw.D.` + `_framework._tcp.fw.D.`, `slave.D.` + `_slave._tcp.D.`,
// `leader.D.`, `_leader._tcp/_udp.D.`, `master.D.`, `masterN.D.`, and the SOAMname self record.
// Plus agent PTR records (Beacon).
import type { HostPort, MesosAgent, MesosFramework } from '../model/mesos-state.js';
import { normalizeIp } from '../model/mesos-addr.js';
import type { RecordsConfig } from './config.js';
import { reverseName } from './reverse.js';
import { A, AAAA, PTR, SRV } from './record-types.js';
import type { Namer, Sink } from './task-records.js';

function kindOf(ip: string): typeof A | typeof AAAA {
  return ip.includes(':') ? AAAA : A;
}

export function emitFramework(f: MesosFramework, namer: Namer, sink: Sink): void {
  const fname = namer.fw(f.name);
  if (fname === '') return;
  // Scheduler address from the pid; without one (HTTP-API frameworks) Mesos-DNS resolves the
  // hostname (generator.go frameworkRecords + hostToIPs: every address). Records stay pure: an
  // IP-literal hostname is used as it is, a name's addresses come in as `hostIps` (looked up by
  // the source layer).
  const a = `${fname}${namer.tail}`;
  const ip = normalizeIp(f.pid ? f.pid.host : f.hostname);
  if (ip === undefined) {
    if (!f.pid) for (const h of f.hostIps ?? []) sink.put(a, kindOf(h), h, 0);
    return;
  }
  sink.put(a, kindOf(ip), ip, 0);
  if (f.pid) sink.put(`_framework._tcp.${a}`, SRV, a, f.pid.port);
}

export function emitAgent(agent: MesosAgent, namer: Namer, sink: Sink): void {
  if (agent.ips.length === 0 || !agent.pid) return;
  const a = `slave${namer.tail}`;
  for (const ip of agent.ips) {
    sink.put(a, kindOf(ip), ip, 0);
    if (namer.cfg.ptr) sink.put(reverseName(ip), PTR, a, 0);
  }
  sink.put(`_slave._tcp${namer.tail}`, SRV, a, agent.pid.port);
}

function addressKey(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// A configured master, `ip:port` or `[v6]:port` (Mesos-DNS urls.SplitHostPort).
function splitMaster(text: string): { ip: string; key: string } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const ip = normalizeIp(m[1]!);
  return ip === undefined ? undefined : { ip, key: addressKey(ip, m[2]!) };
}

/** leader / master / masterN, in Mesos-DNS's order: masters-list order, a leader not in the list
 *  gets the next index. Without a (parsable, IP) leader Mesos-DNS makes none of these. */
export function emitMasters(
  leader: HostPort | undefined,
  cfg: RecordsConfig,
  namer: Namer,
  sink: Sink,
): void {
  if (!leader) return;
  const ip = normalizeIp(leader.host);
  if (ip === undefined) return;
  const D = namer.tail;
  const leaderKey = addressKey(ip, leader.port);
  sink.put(`leader${D}`, kindOf(ip), ip, 0);
  sink.put(`master${D}`, kindOf(ip), ip, 0);
  sink.put(`_leader._tcp${D}`, SRV, `leader${D}`, leader.port);
  sink.put(`_leader._udp${D}`, SRV, `leader${D}`, leader.port);
  const seen = new Set<string>([ip]);
  let idx = 0;
  let leaderIndexed = false;
  for (const text of cfg.masters) {
    const m = splitMaster(text);
    if (!m) continue;
    const isLeader = m.key === leaderKey;
    if (!isLeader) {
      if (seen.has(m.ip)) continue; // duplicate master
      seen.add(m.ip);
      sink.put(`master${D}`, kindOf(m.ip), m.ip, 0);
    } else if (leaderIndexed) continue;
    sink.put(`master${idx}${D}`, kindOf(m.ip), m.ip, 0);
    idx++;
    if (isLeader) leaderIndexed = true;
  }
  if (!leaderIndexed) sink.put(`master${idx}${D}`, kindOf(ip), ip, 0);
}

export function emitSelf(cfg: RecordsConfig, sink: Sink): void {
  for (const text of cfg.selfAddresses) {
    const ip = normalizeIp(text);
    if (ip !== undefined) sink.put(cfg.soaMname, kindOf(ip), ip, 0);
  }
}
