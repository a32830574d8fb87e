// The records of one task, exactly as Mesos-DNS names them (records/generator.go taskRecord and
// taskContextRecord), with Beacon's label-length fixes and PTR records. Emitted through a Sink so
// the same code adds a task, removes it (same inputs → same records) and lists it for /v1/enumerate.
import type { MesosAgent, MesosFramework, MesosStatus, MesosTask } from '../model/mesos-state.js';
import { normalizeIp } from '../model/mesos-addr.js';
import { isRepeatKey, taskIdOfKey, taskKey } from '../model/mesos-events.js';
import type { RecordsConfig } from './config.js';
import { agentTail, hashText, taskHashBits } from './hash.js';
import {
  type LabelFunc,
  MAX_LABEL,
  domainFrag,
  fitLabel,
  legacyLabels,
  rfc1123,
  rfc952,
} from './labels.js';
import type { Owner } from './own.js';
import { A, AAAA, type Kind, PTR, SRV } from './record-types.js';
import { reverseName } from './reverse.js';

/** Receives records: value is an IP (A/AAAA), the target FQDN (SRV, with `port`) or the PTR target. */
export interface Sink {
  put(name: string, kind: Kind, value: string, port: number): void;
}

/** Everything one task's records depend on, kept per task so removal regenerates the same set.
 *  Compact on purpose (a 100,000-task set keeps 100,000 of them): ids are the agent's and
 *  framework's own strings, and only the IPs of the first populated sources are kept. */
export interface TaskSpec {
  /** Identity in a record set: framework and task id (model/mesos-events.ts taskKey). */
  key: string;
  /** The task id when the key does not end with it (a repeated id); else undefined: specId()
   *  slices it from the key when asked (a kept slice costs 32 bytes per task). */
  repeatedId: string | undefined;
  /** taskHash(id) as its 25 bits (hash.ts; a number costs no string per task), kept: job-level
   *  SRV records are made from their tasks when asked. */
  hash: number;
  name: string;
  frameworkId: string;
  frameworkName: string;
  agentId: string;
  /** The agent's IPs (shared with the agent entry): the `host` IP source and `.slave` records. */
  agentIps: readonly string[];
  /** The task's own values in one array (three arrays cost ~100 bytes more per task): `nIps`
   *  IPs, `nPorts` ports, then the DiscoveryInfo ports as number, name, protocol triples. The
   *  IPs are those of the first populated IP source before `host` in IPSources when there is
   *  one (`ipsFirst`), else of the first populated one after `host`. */
  vals: readonly (string | number)[];
  nIps: number;
  nPorts: number;
  ipsFirst: boolean;
  /** Set when the task's latest health check failed: its job-level records are withheld. */
  unhealthy?: true | undefined;
  /** DiscoveryInfo name; absent when the task has none or an empty one (Mesos-DNS: no DI). */
  diName?: string | undefined;
}

const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';
const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
// A DiscoveryInfo port without a protocol gets both (Mesos-DNS withProtocol).
const BOTH = ['tcp', 'udp'] as const;

// The TASK_RUNNING status with the highest timestamp (the only one IP sources read).
export function latestRunning(statuses: readonly MesosStatus[]): MesosStatus | undefined {
  let best: MesosStatus | undefined;
  for (const s of statuses) {
    if (s.state === 'TASK_RUNNING' && (best === undefined || s.timestamp > best.timestamp))
      best = s;
  }
  return best;
}

/** False when the latest status that carries health information says `healthy: false`; a task
 *  without health information counts as healthy. */
export function isHealthy(statuses: readonly MesosStatus[]): boolean {
  return latestHealth(statuses)?.healthy !== false;
}

/** The status with a health check result and the highest timestamp (the last of equals). */
export function latestHealth(statuses: readonly MesosStatus[]): MesosStatus | undefined {
  let latest: MesosStatus | undefined;
  for (const s of statuses) {
    if (s.healthy !== undefined && (latest === undefined || s.timestamp >= latest.timestamp))
      latest = s;
  }
  return latest;
}

// Every address of one IP source, in the order that source lists them, normalised and without
// repeats (the maintained Mesos-DNS: `Task.IPs` returns "only the IPs from the first populated
// source", and the generator names each of them, A or AAAA by family).
function sourceIps(s: MesosStatus, src: RecordsConfig['ipSources'][number]): string[] {
  const out: string[] = [];
  const label = src === 'netinfo' ? undefined : src === 'mesos' ? MESOS_IP_LABEL : DOCKER_IP_LABEL;
  const n = label === undefined ? s.networkIps.length : s.labels.length;
  for (let i = 0; i < n; i++) {
    let c: string;
    if (label === undefined) c = s.networkIps[i]!;
    else if (s.labels[i]!.key === label) c = s.labels[i]!.value;
    else continue;
    const ip = normalizeIp(c);
    if (ip !== undefined && !out.includes(ip)) out.push(ip);
  }
  return out;
}

const NO_IPS: readonly string[] = Object.freeze([]);

/** The IPs a task's spec keeps from its running status (TaskSpec.vals): those of the first
 *  populated source before `host` in IPSources (`first`), else those of the first populated one
 *  after it. Sources past the first populated one on each side are not read (a build asks this
 *  for every task). */
function ownIps(
  running: MesosStatus | undefined,
  sources: RecordsConfig['ipSources'],
): { ips: readonly string[]; first: boolean } {
  let before = NO_IPS;
  let after = NO_IPS;
  if (!running) return { ips: NO_IPS, first: false };
  let isAfter = false;
  for (const src of sources) {
    if (src === 'host') isAfter = true;
    else if ((isAfter ? after : before).length === 0) {
      const ips = sourceIps(running, src);
      if (isAfter) after = ips;
      else before = ips;
    }
  }
  return before.length > 0 ? { ips: before, first: true } : { ips: after, first: false };
}

/** True when the task's IPs are its agent's, the way Mesos-DNS computes them (Task.IPs: every
 *  address of the first configured source that yields any, `host` being the agent's IPs); else
 *  they are the first t.nIps of t.vals. */
function agentIpsServe(t: TaskSpec, usesHost: boolean): boolean {
  return hostServes(t.ipsFirst, usesHost, t.agentIps);
}

function hostServes(ipsFirst: boolean, usesHost: boolean, agentIps: readonly string[]): boolean {
  // Without `host` in IPSources nothing comes after it: the IPs kept are the ones before.
  return !ipsFirst && usesHost && agentIps.length > 0;
}

/** The addresses a recordable task's records carry (its A/AAAA and PTR records): what emitTask
 *  reads from its spec, from the task itself. */
export function taskAddresses(task: MesosTask, agent: MesosAgent, namer: Namer): readonly string[] {
  const { ips, first } = ownIps(latestRunning(task.statuses), namer.cfg.ipSources);
  return hostServes(first, namer.usesHost, agent.ips) ? agent.ips : ips;
}

/** The task id (see TaskSpec.repeatedId). */
export function specId(t: TaskSpec): string {
  return t.repeatedId ?? taskIdOfKey(t.key, t.frameworkId);
}

/** True when Mesos-DNS would give the task records: TASK_RUNNING on a known agent. */
export function isRecordable(task: MesosTask, agent: MesosAgent | undefined): agent is MesosAgent {
  return task.state === 'TASK_RUNNING' && agent !== undefined;
}

/** The spec of a recordable task, its strings kept through `own` (see own.ts); `agent` and `fw`
 *  are the objects the set keeps. */
export function taskSpec(
  task: MesosTask,
  agent: MesosAgent,
  fw: MesosFramework,
  cfg: RecordsConfig,
  own: Owner,
  key = taskKey(fw.id, task.id),
): TaskSpec {
  const { ips: mine, first } = ownIps(latestRunning(task.statuses), cfg.ipSources);
  const k = own.copy(key);
  const d = task.discovery && task.discovery.name !== '' ? task.discovery : undefined;
  const nPorts = task.ports.length;
  const vals = new Array<string | number>(mine.length + nPorts + (d ? d.ports.length * 3 : 0));
  for (let i = 0; i < mine.length; i++) vals[i] = own.get(mine[i]!);
  for (let i = 0; i < nPorts; i++) vals[mine.length + i] = task.ports[i]!;
  if (d) {
    let at = mine.length + nPorts;
    for (const p of d.ports) {
      vals[at++] = p.number;
      vals[at++] = own.get(p.name);
      vals[at++] = own.get(p.protocol);
    }
  }
  const spec: TaskSpec = {
    key: k,
    // The id is the end of the key (taskKey) unless the key marks a repeated id.
    repeatedId: isRepeatKey(k, fw.id, task.id) ? own.copy(task.id) : undefined,
    hash: taskHashBits(task.id),
    name: own.get(task.name),
    frameworkId: fw.id,
    frameworkName: fw.name,
    agentId: agent.id,
    agentIps: agent.ips,
    vals,
    nIps: mine.length,
    nPorts,
    ipsFirst: first,
    // Every field in the literal, set or not: added later they would go to a separate
    // property array (~40 bytes per task).
    unhealthy: cfg.healthFilter && !isHealthy(task.statuses) ? true : undefined,
    diName: d ? own.get(d.name) : undefined,
  };
  return spec;
}

/** The spec after a TASK_UPDATED whose status is the task's newest (Mesos delivers a task's
 *  status updates in order): a TASK_RUNNING status is then the latest running one, so the task's
 *  own IPs are read from it alone, and a status with `healthy` decides the health check. What a
 *  rebuild reads from the whole status list (latestRunning, isHealthy) is the same as long as
 *  timestamps grow with the updates. */
export function specWithStatus(
  spec: TaskSpec,
  status: MesosStatus | undefined,
  cfg: RecordsConfig,
  own: Owner,
): TaskSpec {
  if (!status) return spec;
  let next = spec;
  if (status.state === 'TASK_RUNNING') {
    const { ips: mine, first } = ownIps(status, cfg.ipSources);
    const vals = new Array<string | number>(mine.length + spec.vals.length - spec.nIps);
    for (let i = 0; i < mine.length; i++) vals[i] = own.get(mine[i]!);
    for (let i = spec.nIps; i < spec.vals.length; i++)
      vals[mine.length + i - spec.nIps] = spec.vals[i]!;
    next = { ...next, vals, nIps: mine.length, ipsFirst: first };
  }
  if (status.healthy !== undefined)
    next = { ...next, unhealthy: cfg.healthFilter && !status.healthy ? true : undefined };
  return next;
}

/** The names of one pass that do not depend on the task instance (shared by every instance of a
 *  job): computed once per (framework, name) and cached, since building and hashing the same long
 *  strings for every task is most of a full build's cost. */
interface PassNames {
  /** The name's labels before the last, joined with '.' and a trailing '.' (or ''). */
  canonPrefix: string;
  lastLabel: string;
  arec: string;
  arecSlave: string;
  srvName: string;
  tcpSlave: string;
  udpSlave: string;
  /** `_name._tcp.fw.D.` and `_name._udp.fw.D.`: only a job without DiscoveryInfo has them, so
   *  they are made on first use (Namer.plainSrv). */
  tcp: string | undefined;
  udp: string | undefined;
  /** Flat 4-tuples protocol, port name, `_name._proto.fw.D.`, `_port._name._proto.fw.D.` (or
   *  ''): a job has a handful, and two Maps per job cost more than the names (66,000 Maps at
   *  50,000 tasks). */
  di: string[];
}

/** The passes of one task name (or DiscoveryInfo name): legacy (raw) first when it applies. */
interface NameGroup {
  legacy: PassNames | undefined;
  main: PassNames | undefined;
}

const CACHE_MAX = 100_000;
/** Floors of the limits relative to the live set (a small cluster keeps a few thousand). */
const GROUPS_MIN = 4096;
const TAILS_MIN = 1024;

/** Per-config naming helpers with caches (framework and job names repeat on every task). */
export class Namer {
  readonly label: LabelFunc;
  /** `.mesos.` */
  readonly tail: string;
  /** IPSources includes `host`. */
  readonly usesHost: boolean;
  private readonly fwCache = new Map<string, string>();
  private readonly protoCache = new Map<string, string>();
  /** framework → [by task name, by DiscoveryInfo name] */
  private readonly groups = new Map<string, [Map<string, NameGroup>, Map<string, NameGroup>]>();
  private groupCount = 0;
  private readonly tails = new Map<string, string>();
  private readonly reverses = new Map<string, string>();

  /** `live`: how many jobs and agents the record set has now. Given, the caches of job names
   *  and agent tails are cleared at twice that (at least GROUPS_MIN / TAILS_MIN) instead of at
   *  CACHE_MAX: under a long churn they filled with names of jobs and agents long gone, ~1 KiB a
   *  job, the heap in use rising ~0.5 MiB/min at 200 changes/s. */
  constructor(
    readonly cfg: RecordsConfig,
    private readonly live?: { jobs(): number; agents(): number },
  ) {
    this.label = cfg.spec === 'RFC952' ? rfc952 : rfc1123;
    this.tail = `.${cfg.domain}.`;
    this.usesHost = cfg.ipSources.includes('host');
  }

  /** DomainFrag of a framework name (may be `""`). */
  fw(name: string): string {
    let f = this.fwCache.get(name);
    if (f === undefined) {
      f = domainFrag(name, this.label);
      this.fwCache.set(name, f);
    }
    return f;
  }

  /** `_tcp`, `_udp`, `_<spec(protocol)>`, shortened to fit a label. */
  proto(protocol: string): string {
    let p = this.protoCache.get(protocol);
    if (p === undefined) {
      p = `_${fitLabel(this.label(protocol), MAX_LABEL - 1)}`;
      this.protoCache.set(protocol, p);
    }
    return p;
  }

  private groupLimit(): number {
    return this.live ? Math.max(GROUPS_MIN, 2 * this.live.jobs()) : CACHE_MAX;
  }

  private tailLimit(): number {
    return this.live ? Math.max(TAILS_MIN, 2 * this.live.agents()) : CACHE_MAX;
  }

  /** How many job names and agent tails are cached (tests). */
  cached(): { groups: number; tails: number } {
    return { groups: this.groupCount, tails: this.tails.size };
  }

  /** The passes for a task named `raw` (its DiscoveryInfo name when `isDI`) in framework `fw`
   *  (already DomainFrag'd). */
  group(fw: string, raw: string, isDI: boolean): NameGroup {
    let byFw = this.groups.get(fw);
    if (!byFw) this.groups.set(fw, (byFw = [new Map(), new Map()]));
    let m = byFw[isDI ? 1 : 0];
    let g = m.get(raw);
    if (g === undefined) {
      if (this.groupCount >= this.groupLimit()) {
        this.groups.clear(); // bounded: a long-running stream sees many job names come and go
        this.groupCount = 0;
        this.groups.set(fw, (byFw = [new Map(), new Map()]));
        m = byFw[isDI ? 1 : 0];
      }
      const legacy = isDI ? legacyLabels(raw) : undefined;
      const main = this.label(raw);
      const lp = legacy ? this.passNames(fw, legacy) : undefined;
      // A raw name that is already a label makes the same names in both passes: one object
      // (emitTask then runs the pass once).
      const same = lp !== undefined && legacy!.length === 1 && legacy![0] === main;
      g = {
        legacy: lp,
        main: main === '' ? undefined : same ? lp : this.passNames(fw, [main]),
      };
      m.set(raw, g);
      this.groupCount++;
    }
    return g;
  }

  private passNames(fw: string, labels: string[]): PassNames {
    const last = labels.length - 1;
    const inner = last > 0 ? labels.slice(1).join('.') : '';
    const name = labels.join('.');
    // Beacon's fix: shorten the name part so `_name` stays within 63 bytes.
    const srvName = flat(`_${fitLabel(labels[0]!, MAX_LABEL - 1)}`, last > 0 ? `.${inner}` : '');
    const D = this.tail;
    const fwD = `.${fw}${D}`;
    const fwSlaveD = `.${fw}.slave${D}`;
    // Flat strings (see flat()): these are owner names the set keeps as keys.
    return {
      canonPrefix: last > 0 ? flat(labels.slice(0, last).join('.'), '.') : '',
      lastLabel: labels[last]!,
      arec: flat(name, fwD),
      arecSlave: flat(name, fwSlaveD),
      srvName,
      tcpSlave: flat(srvName, '._tcp', fwSlaveD),
      udpSlave: flat(srvName, '._udp', fwSlaveD),
      tcp: undefined,
      udp: undefined,
      di: [],
    };
  }

  /** The `-tail` of canonical names for an agent (`-s3`; '' when the tail is empty). */
  agentSuffix(agentId: string): string {
    let t = this.tails.get(agentId);
    if (t === undefined) {
      // The tail is normally `s3`, but it is data: make it a label too.
      let tail = agentTail(agentId);
      if (!/^[a-z0-9]*$/.test(tail)) tail = rfc1123(tail);
      t = tail === '' ? '' : `-${tail}`;
      bounded(this.tails, this.tailLimit()).set(agentId, t);
    }
    return t;
  }

  /** The PTR owner name of an IP (every task on an agent shares the agent's IP). */
  reverse(ip: string): string {
    let r = this.reverses.get(ip);
    if (r === undefined) {
      r = reverseName(ip);
      bounded(this.reverses, REVERSE_MAX).set(ip, r);
    }
    return r;
  }

  /** The names `_name._tcp.fw.D.` and `_name._udp.fw.D.` of a pass (made once). */
  plainSrv(pn: PassNames, fw: string): [string, string] {
    pn.tcp ??= flat(pn.srvName, '._tcp.', fw, this.tail);
    pn.udp ??= flat(pn.srvName, '._udp.', fw, this.tail);
    return [pn.tcp, pn.udp];
  }

  /** Where in `pn.di` the names of a DiscoveryInfo port are: `_name._proto.fw.D.` at +2,
   *  `_port._name._proto.fw.D.` (or '' when the port has no name) at +3. */
  diNames(pn: PassNames, fw: string, protocol: string, portName: string): number {
    const di = pn.di;
    for (let i = 0; i < di.length; i += 4)
      if (di[i] === protocol && di[i + 1] === portName) return i;
    const base = flat(pn.srvName, '.', this.proto(protocol), '.', fw, this.tail);
    const label = portName === '' ? '' : this.label(portName);
    const named = label === '' ? '' : flat('_', fitLabel(label, MAX_LABEL - 1), '.', base);
    di.push(protocol, portName, base, named);
    return di.length - 4;
  }
}

/** The parts as one flat string. A `+` or template literal makes a tree of cons strings that a
 *  Map keeps as it is (hashing does not flatten it): 32 bytes per node per owner name, and every
 *  lookup with a flat query string walks the tree. join() writes one sequential string. */
function flat(...parts: string[]): string {
  return parts.join('');
}

// Caches keyed by data (agents, IPs) are cleared when they grow past a limit: a long-running
// stream sees values come and go; clearing only costs recomputation. Reverse names are cheap to
// make and each new instance brings a new address, so theirs is small (a 50,000-task churn kept
// up to 100,000 dead ones, ~8 MiB).
const REVERSE_MAX = 16_384;
function bounded<V>(m: Map<string, V>, max = CACHE_MAX): Map<string, V> {
  if (m.size >= max) m.clear();
  return m;
}

/** The `-hash-tail` of a task's canonical names (canon = name-hash-tail), cut to fit a label:
 *  two tasks of one job with the same suffix have the same canonical names. */
export function canonSuffix(t: TaskSpec, namer: Namer): string {
  const suffix = `-${hashText(t.hash)}${namer.agentSuffix(t.agentId)}`;
  return suffix.length > MAX_LABEL - 1 ? suffix.slice(0, MAX_LABEL - 1).replace(/-+$/, '') : suffix;
}

/** Which job a task's job-level names belong to: its framework's DomainFrag and its task or
 *  DiscoveryInfo name (every instance of a job makes the same names); '' when it makes none. */
export function jobKey(t: TaskSpec, namer: Namer): string {
  const fw = namer.fw(t.frameworkName);
  if (fw === '') return '';
  return t.diName !== undefined ? `${fw}\u0000d${t.diName}` : `${fw}\u0000t${t.name}`;
}

/** Emits every record of one task (both passes when it has a DiscoveryInfo name): the job-level
 *  names (shared by every instance of a job) through `jobSink`, the task's own (canonical names,
 *  PTR) through `sink`, so an unhealthy task's job-level records can be withheld. */
export function emitTask(t: TaskSpec, namer: Namer, sink: Sink, jobSink: Sink = sink): void {
  const fw = namer.fw(t.frameworkName);
  if (fw === '') return; // Mesos-DNS would make names with an empty label
  const suffix = canonSuffix(t, namer);
  const di = t.diName !== undefined;
  // With a DiscoveryInfo name: Mesos-DNS's "legacy" pass with the raw name (the seed document's
  // names), then the sanitised one. Identical records from both passes are one record.
  const g = namer.group(fw, t.diName ?? t.name, di);
  const host = agentIpsServe(t, namer.usesHost);
  const ips = host ? t.agentIps : t.vals;
  const nIps = host ? t.agentIps.length : t.nIps;
  if (g.legacy && g.legacy !== g.main)
    emitPass(t, ips, nIps, di, g.legacy, fw, suffix, namer, sink, jobSink, false);
  if (g.main) emitPass(t, ips, nIps, di, g.main, fw, suffix, namer, sink, jobSink, true);
}

/** `ips[0..nIps)`: the task's IPs; `di`: it has a DiscoveryInfo name (its ports are the rest of
 *  t.vals after the task's IPs and ports). */
function emitPass(
  t: TaskSpec,
  ips: readonly (string | number)[],
  nIps: number,
  di: boolean,
  pn: PassNames,
  fw: string,
  suffix: string,
  namer: Namer,
  sink: Sink,
  job: Sink,
  ptr: boolean,
): void {
  // Beacon's fix: shorten the name part so `name-hash-tail` stays within 63 bytes.
  const canonName = pn.canonPrefix + fitLabel(pn.lastLabel, MAX_LABEL - suffix.length) + suffix;
  // join() makes flat strings: these are kept as owner names, and a concatenation would keep a
  // cons-string wrapper next to its flattened copy.
  const canon = [canonName, '.', fw, namer.tail].join('');
  const canonSlave = [canonName, '.', fw, '.slave', namer.tail].join('');
  for (let i = 0; i < nIps; i++) {
    const ip = ips[i] as string;
    const k = ip.includes(':') ? AAAA : A;
    job.put(pn.arec, k, ip, 0);
    sink.put(canon, k, ip, 0);
  }
  for (const ip of t.agentIps) {
    const k = ip.includes(':') ? AAAA : A;
    job.put(pn.arecSlave, k, ip, 0);
    sink.put(canonSlave, k, ip, 0);
  }
  const v = t.vals;
  const portsEnd = t.nIps + t.nPorts;
  const plain = di || t.nPorts === 0 ? undefined : namer.plainSrv(pn, fw);
  for (let i = t.nIps; i < portsEnd; i++) {
    const p = v[i] as number;
    job.put(pn.tcpSlave, SRV, canonSlave, p);
    job.put(pn.udpSlave, SRV, canonSlave, p);
    if (plain) {
      job.put(plain[0], SRV, canonSlave, p);
      job.put(plain[1], SRV, canonSlave, p);
    }
  }
  if (di) {
    for (let i = portsEnd; i < v.length; i += 3) {
      const number = v[i] as number;
      const name = v[i + 1] as string;
      const protocol = v[i + 2] as string;
      // (No [protocol] array per port and pass: a build makes 200,000 of them at 50,000 tasks.)
      const both = protocol === '';
      for (let q = 0; q < (both ? 2 : 1); q++) {
        const proto = both ? BOTH[q]! : protocol;
        const at = namer.diNames(pn, fw, proto, name);
        const base = pn.di[at + 2]!;
        const named = pn.di[at + 3]!;
        job.put(base, SRV, canon, number);
        if (named !== '') job.put(named, SRV, canon, number);
      }
    }
  }
  if (ptr && namer.cfg.ptr) {
    for (let i = 0; i < nIps; i++) sink.put(namer.reverse(ips[i] as string), PTR, canon, 0);
  }
}
