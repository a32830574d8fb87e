// The Mesos state model's types, and the field parsers both API versions share (agents,
// labels, statuses, DiscoveryInfo). mesos-state.ts (v0 and the entry point) and mesos-state-v1.ts
// build on it; neither imports the other's parser through here, so the model has no cycle.
import { type HostPort, normalizeIp, parsePid, tight } from './mesos-addr.js';

export type { HostPort } from './mesos-addr.js';

export interface MesosLabel {
  key: string;
  value: string;
}

export interface DiscoveryPort {
  number: number;
  /** `""` when unset. */
  name: string;
  /** As given (`TCP`, `udp`); `""` when unset (then both `_tcp` and `_udp` records are made). */
  protocol: string;
}

/** TaskInfo.discovery (DiscoveryInfo), the fields records use. */
export interface DiscoveryInfo {
  /** `""` when unset; Mesos-DNS treats an empty name as "no DiscoveryInfo". */
  name: string;
  visibility: string;
  environment?: string;
  location?: string;
  version?: string;
  ports: DiscoveryPort[];
  labels: MesosLabel[];
}

/** One task status, reduced to what IP sources read. */
export interface MesosStatus {
  state: string;
  /** Seconds since the epoch (double); 0 when absent. */
  timestamp: number;
  labels: MesosLabel[];
  /** container_status.network_infos[].ip_addresses[].ip_address (or the older ip_address), in
   *  document order, unvalidated. */
  networkIps: string[];
  healthy?: boolean;
}

export interface MesosTask {
  id: string;
  name: string;
  frameworkId: string;
  /** `slave_id` (v0) / `agent_id.value` (v1). */
  agentId: string;
  state: string;
  /** Ports from the task's `ports` resource, expanded, in document order. */
  ports: number[];
  statuses: MesosStatus[];
  discovery?: DiscoveryInfo;
  labels: MesosLabel[];
}

export interface MesosAgent {
  id: string;
  hostname: string;
  /** From `pid` (`slave(1)@IP:port`); undefined when the document has none. */
  pid?: HostPort;
  /** The agent's IP from its pid host, normalised; empty when the pid host is a name. */
  ips: string[];
}

export interface MesosFramework {
  id: string;
  name: string;
  hostname: string;
  /** Scheduler pid; absent for HTTP-API frameworks. */
  pid?: HostPort;
  /** The addresses of `hostname` when there is no pid and the hostname is a name: looked up by
   *  the source layer (sources/framework-hosts.ts), bounded and cached; never by records/. */
  hostIps?: readonly string[];
  tasks: MesosTask[];
}

export interface MesosState {
  /** The `leader` field, parsed (`master@IP:port`); undefined when absent or unparsable. */
  leader?: HostPort;
  agents: MesosAgent[];
  frameworks: MesosFramework[];
}

/** One skipped or doubtful item: where in the document, and what was wrong. */
export interface StateWarning {
  where: string;
  message: string;
}

export interface StateParseResult {
  state: MesosState;
  warnings: StateWarning[];
}

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function parseAgent(
  s: unknown,
  where: string,
  warnings: StateWarning[],
): MesosAgent | undefined {
  if (!isObj(s) || typeof s.id !== 'string' || s.id === '') {
    warnings.push({
      where,
      message: 'is not an agent object with a string "id"; skipped (its tasks get no records)',
    });
    return undefined;
  }
  return agentFrom(s.id, str(s.hostname) ?? '', s.pid, where, warnings);
}

export function agentFrom(
  id: string,
  hostname: string,
  rawPid: unknown,
  where: string,
  warnings: StateWarning[],
): MesosAgent | undefined {
  const pid = parsePid(rawPid);
  if (!pid) {
    warnings.push({
      where: `${where} (agent ${id})`,
      message: `pid ${JSON.stringify(rawPid ?? null)} is not slave(N)@IP:port; agent skipped (its tasks get no records)`,
    });
    return undefined;
  }
  const ip = normalizeIp(pid.host);
  if (ip === undefined) {
    warnings.push({
      where: `${where} (agent ${id})`,
      message: `pid host ${JSON.stringify(pid.host)} is not an IP address; no agent IP records for it`,
    });
  }
  return { id, hostname, pid: ip ? { host: ip, port: pid.port } : pid, ips: ip ? [ip] : [] };
}

export function parseLabels(v: unknown): MesosLabel[] {
  // v0 renders labels flat ([{key,value}]); v1 and DiscoveryInfo wrap them ({labels:[…]}).
  const list = Array.isArray(v) ? v : isObj(v) && Array.isArray(v.labels) ? v.labels : undefined;
  if (!list || list.length === 0) return [];
  const out: MesosLabel[] = [];
  for (const l of list) {
    if (isObj(l) && typeof l.key === 'string') out.push({ key: l.key, value: str(l.value) ?? '' });
  }
  return tight(out);
}

export function parseStatuses(v: unknown): MesosStatus[] {
  if (!Array.isArray(v)) return [];
  const out: MesosStatus[] = [];
  for (const s of v) {
    if (!isObj(s) || typeof s.state !== 'string') continue;
    const st: MesosStatus = {
      state: s.state,
      timestamp: typeof s.timestamp === 'number' && Number.isFinite(s.timestamp) ? s.timestamp : 0,
      labels: parseLabels(s.labels),
      networkIps: networkIps(s.container_status),
    };
    if (typeof s.healthy === 'boolean') st.healthy = s.healthy;
    out.push(st);
  }
  return tight(out);
}

function networkIps(cs: unknown): string[] {
  if (!isObj(cs) || !Array.isArray(cs.network_infos)) return [];
  const out: string[] = [];
  for (const ni of cs.network_infos) {
    if (!isObj(ni)) continue;
    if (Array.isArray(ni.ip_addresses) && ni.ip_addresses.length > 0) {
      for (const a of ni.ip_addresses) {
        if (isObj(a) && typeof a.ip_address === 'string') out.push(a.ip_address);
      }
    } else if (typeof ni.ip_address === 'string' && ni.ip_address !== '') {
      out.push(ni.ip_address); // Mesos 0.25 form
    }
  }
  return tight(out);
}

export function parseDiscovery(
  v: unknown,
  where: string,
  warnings: StateWarning[],
): DiscoveryInfo | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) {
    warnings.push({ where: `${where}.discovery`, message: 'is not an object; ignored' });
    return undefined;
  }
  const ports: DiscoveryPort[] = [];
  const rawPorts = isObj(v.ports) ? arr(v.ports.ports) : [];
  for (let k = 0; k < rawPorts.length; k++) {
    const p = rawPorts[k];
    const n = isObj(p) ? p.number : undefined;
    if (!isObj(p) || typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
      warnings.push({
        where: `${where}.discovery.ports.ports[${k}]`,
        message: 'has no port "number" in 0-65535; skipped',
      });
      continue;
    }
    ports.push({ number: n, name: str(p.name) ?? '', protocol: str(p.protocol) ?? '' });
  }
  const d: DiscoveryInfo = {
    name: str(v.name) ?? '',
    visibility: str(v.visibility) ?? (typeof v.visibility === 'number' ? String(v.visibility) : ''),
    ports: tight(ports),
    labels: parseLabels(v.labels),
  };
  if (typeof v.environment === 'string') d.environment = v.environment;
  if (typeof v.location === 'string') d.location = v.location;
  if (typeof v.version === 'string') d.version = v.version;
  return d;
}
