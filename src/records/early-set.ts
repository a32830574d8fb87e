// Answers for the first state while its full build still runs. A 50,000-task build takes over a
// second after the state is parsed; until it is swapped in, DNS could only answer SERVFAIL. This
// set answers the names of tasks in the meantime, exactly as the full set will, by building only
// what a name needs: the cluster's own records (agents, frameworks, masters) at once, and a job's
// tasks the first time a name that job may make is asked (through MemRecordSet's incremental
// path, which equals a rebuild). A name is answered only once every task that could make it is
// in: a job's names all carry the job's first label first (`label.fw.D.`, `_label._tcp.fw.D.`)
// or second after a `_port` label (`_port._label._proto.fw.D.`), and a canonical name carries its
// task's hash after a '-' in its first label (`label-hash-tail.fw.D.`); an SRV name also needs its
// targets so (their addresses go in Additional). A name with no records is answered (NXDOMAIN, or
// NODATA for an empty non-terminal) once every task that could make a name at or below it is in
// too (settledBelow). A PTR name is answered once the tasks with its address are in and it has
// records (fillReverse). PTR names without records and the names above PTR names, other names
// outside the domain, names above a framework's and `_proto.fw.D.` stay uncovered: the server
// answers those SERVFAIL, as before the first load.
import type { MesosState } from '../model/mesos-state.js';
import { drain } from '../slices.js';
import type { RecordsConfig } from './config.js';
import { hashBitsAt, taskHashBits } from './hash.js';
import { fitLabel, legacyLabels, MAX_LABEL } from './labels.js';
import { type HeldTask, MemRecordSet } from './mem-record-set.js';
import type { RecordCounts } from './record-types.js';
import { inReverseTree, isReverseName } from './reverse.js';
import { Namer, taskAddresses } from './task-records.js';
import type { NameRecords, PartialRecordSet, ZoneInfo } from './types.js';

/** Names whose coverage is remembered (bounded: random names must not grow memory). */
const REMEMBERED_MAX = 65_536;
/** Most tasks added, as a share of the state (at least TASKS_MIN): a client walking every name
 *  while the full set builds would otherwise build a second full set beside it. Names that need
 *  more stay SERVFAIL until the full set is in. */
const TASKS_SHARE = 0.25;
const TASKS_MIN = 1000;

/** Job ids by a key; one id without an array (most keys have one job). */
type Ids<K> = Map<K, number | number[]>;

function addId<K>(m: Ids<K>, k: K, id: number): void {
  const had = m.get(k);
  if (had === undefined) m.set(k, id);
  else if (typeof had === 'number') {
    if (had !== id) m.set(k, [had, id]);
  } else if (had[had.length - 1] !== id) had.push(id); // ids come in ascending order
}

/** True when `name` ends with the labels `labels` and has at least one label before them. */
function endsWithLabels(name: string, labels: string): boolean {
  const at = name.length - labels.length;
  return at > 0 && name.charCodeAt(at - 1) === 0x2e && name.endsWith(labels);
}

export class EarlySet implements PartialRecordSet {
  readonly zone: ZoneInfo;
  private readonly set: MemRecordSet;
  /** The held tasks of each job (the tasks that make the same job-level names). */
  private readonly jobs: HeldTask[][] = [];
  private readonly added: Uint8Array;
  /** Jobs by the first label of each of their job-level names. */
  private readonly byLabel: Ids<string> = new Map();
  /** Jobs by the labels after the first of a DiscoveryInfo name with dots (its legacy pass's
   *  `a.b.c.fw.D.` is below `b.c.fw.D.` and `c.fw.D.`): `b.c` and `c`. */
  private readonly byInner: Ids<string> = new Map();
  /** Jobs by their tasks' hashes (canonical names): made on the first name that needs it. */
  private byHash: Ids<number> | undefined;
  /** Jobs by the PTR names of their tasks' addresses: made on the first PTR name asked. */
  private byReverse: Ids<string> | undefined;
  private readonly namer: Namer;
  /** Covered names (a covered name stays covered: every job it needs is in). */
  private readonly remembered = new Set<string>();
  private readonly tail: string;
  /** The DomainFrags of the frameworks with jobs. */
  private readonly frameworks: string[];
  /** Tasks that may still be added (TASKS_SHARE). */
  private budget = 0;

  /** `serial`: the SOA serial the full set will have when swapped in; `maxTasks`: most tasks
   *  added (default a quarter of the state's, at least 1,000). */
  constructor(state: MesosState, config: RecordsConfig, serial: number, maxTasks?: number) {
    this.set = new MemRecordSet(config);
    this.zone = this.set.zone;
    this.zone.soa.serial = serial;
    this.tail = `.${config.domain}.`;
    const namer = (this.namer = new Namer(config));
    // The job a task's job-level names belong to (task-records.ts jobKey): DomainFrag of its
    // framework → [by task name, by DiscoveryInfo name] → job id (no key string per task).
    const ids = new Map<string, [Map<string, number>, Map<string, number>]>();
    drain(
      this.set.loadSteps(state, (h) => {
        const d = h.task.discovery;
        const isDI = d !== undefined && d.name !== '';
        const fw = namer.fw(h.fw.name);
        if (fw === '') return; // no records at all (emitTask)
        const raw = isDI ? d.name : h.task.name;
        let byFw = ids.get(fw);
        if (!byFw) ids.set(fw, (byFw = [new Map(), new Map()]));
        const byName = byFw[isDI ? 1 : 0];
        let id = byName.get(raw);
        if (id === undefined) {
          id = this.jobs.length;
          byName.set(raw, id);
          this.jobs.push([]);
          // The first label of each pass's names (Namer.group: the legacy pass, with the raw
          // DiscoveryInfo name's labels, and the main one): `L` in `L….fw.D.`, `_L` in SRV
          // names, found by fill() with the '_' taken off, except where `_L` was cut to 63.
          if (isDI) {
            const legacy = legacyLabels(raw);
            this.index(legacy?.[0], id);
            for (let j = 1; j < (legacy?.length ?? 0); j++)
              addId(this.byInner, legacy!.slice(j).join('.'), id);
          }
          this.index(namer.label(raw), id);
        }
        this.jobs[id]!.push(h);
      }),
    );
    this.added = new Uint8Array(this.jobs.length);
    this.frameworks = [...ids.keys()];
    let tasks = 0;
    for (const j of this.jobs) tasks += j.length;
    this.budget = maxTasks ?? Math.max(TASKS_MIN, Math.ceil(tasks * TASKS_SHARE));
  }

  private index(label: string | undefined, id: number): void {
    if (!label) return; // '' makes no pass
    addId(this.byLabel, label, id);
    if (label.length > MAX_LABEL - 1) addId(this.byLabel, `_${fitLabel(label, MAX_LABEL - 1)}`, id);
  }

  /** Tasks added so far (tests). */
  get tasksAdded(): number {
    return this.set.taskCount();
  }

  /** Jobs held back (tests and logs). */
  get jobCount(): number {
    return this.jobs.length;
  }

  /** True when every task that could make `name` is in, so get(name) is the full set's answer
   *  (its records, or undefined for none): the name is in the domain, or a PTR name, and no job
   *  it needs was left out by the budget. */
  settled(name: string): boolean {
    // A reverse name (in the domain or not) is the PTR name of the tasks with that address.
    if (isReverseName(name)) return this.remembered.has(name) || this.fillReverse(name);
    if (!name.endsWith(this.tail)) return false;
    return this.remembered.has(name) || this.fill(name);
  }

  /** True when get(name) and exists(name) are the full set's answers: the name has records and
   *  get() of each of its SRV targets in the domain is the full set's too (the addresses in
   *  Additional), or it has none and every task that could make a name below it is in. */
  covers(name: string): boolean {
    if (this.remembered.has(name)) return true;
    // Only a yes is kept: a name not covered now may be once a later name adds a job it needs.
    // (A yes stays true: jobs are only added, and every job the name needs is in.)
    if (!this.settled(name)) return false;
    const r = this.set.get(name);
    if (r === undefined ? !this.settledBelow(name) : !this.complete(r)) return false;
    if (this.remembered.size >= REMEMBERED_MAX) this.remembered.clear();
    this.remembered.add(name);
    return true;
  }

  /** True when every task that could make a name below `name` (in the domain) is in, so
   *  exists(name) of a settled name without records is the full set's (NXDOMAIN, or NODATA for
   *  an empty non-terminal). A task's names end with `.fw.D.` or `.fw.slave.D.`, except its PTR
   *  name: so a name above a framework's `fw.D.` or `fw.slave.D.` (every task of it below), a
   *  name in the reverse tree (a domain under `arpa.`) and `_proto.fw.D.` (every SRV name of the
   *  framework below) are never settled here. */
  settledBelow(name: string): boolean {
    if (!name.endsWith(this.tail) || inReverseTree(name)) return false;
    const rest = name.slice(0, name.length - this.tail.length);
    let all = true;
    for (const fw of this.frameworks) {
      for (const base of [fw, `${fw}.slave`]) {
        if (rest === base || base.endsWith(`.${rest}`)) return false;
        if (endsWithLabels(rest, base))
          all = this.addBelow(rest.slice(0, rest.length - base.length - 1)) && all;
      }
    }
    return all;
  }

  /** Adds the jobs that may make a name below `P.fw.D.` (or `P.fw.slave.D.`), given that fill()
   *  added those whose names begin with P's first label; false when it cannot tell or the
   *  budget left one out. What a name below is (task-records.ts passNames):
   *  - `a.P`: a DiscoveryInfo name with dots, P its labels after the first (byInner);
   *  - `a.b-hash-tail` below `b-hash-tail`: a canonical name (its hash in P);
   *  - below `X._proto` (P ends with a `_` label): an SRV name `_a.X._proto` (X after the first
   *    of a dotted name's labels: byInner) or `_port.X._proto` (X's first label: fill); the
   *    first two also where a dotted name's later labels start with `_` (`z._a._tcp`). */
  private addBelow(p: string): boolean {
    let all = this.addJobs(this.byInner.get(p));
    for (let i = p.indexOf('-'); i >= 0; i = p.indexOf('-', i + 1)) {
      const bits = hashBitsAt(p, i + 1);
      if (bits >= 0) all = this.addJobs(this.hashIndex().get(bits)) && all;
    }
    const dot = p.lastIndexOf('.');
    if (p.charCodeAt(dot + 1) === 0x5f) {
      if (dot < 0) return false;
      all = this.addJobs(this.byInner.get(p.slice(0, dot))) && all;
    }
    return all;
  }

  /** True when `r`, a settled name's records, is a whole answer: it has records, and each of its
   *  SRV targets in the domain is settled (outside it, the state has no addresses for it). */
  complete(r: NameRecords | undefined): r is NameRecords {
    if (r === undefined) return false;
    for (const s of r.srv)
      if (s.target.endsWith(this.tail) && !this.settled(s.target)) return false;
    return true;
  }

  /** The full set's records of a settled name (also an SRV target's, for Additional); undefined
   *  for a name that is not. Like settled(), it first adds the jobs the name needs (within the
   *  budget). */
  get(name: string): NameRecords | undefined {
    return this.settled(name) ? this.set.get(name) : undefined;
  }

  /** For covered names only (others are unknown, and answered SERVFAIL before this is asked). */
  exists(name: string): boolean {
    // A name with records is in the full set too (it holds every task this one holds).
    return this.set.get(name) !== undefined || (this.covers(name) && this.set.exists(name));
  }

  /** The names answered so far (a partial set: never a zone listing). */
  names(): IterableIterator<string> {
    return this.set.names();
  }

  /** The records of the jobs added so far. */
  counts(): RecordCounts {
    return this.set.counts();
  }

  /** Adds every job that may make `name`; false when the budget left one out. */
  private fill(name: string): boolean {
    // Every name a task makes ends with `.fw.D.` or `.fw.slave.D.` (its framework's DomainFrag),
    // but its PTR name (settled() leaves those out): any other (`slave.D.`, `_slave._tcp.D.`) is
    // the cluster's alone, made at the start.
    if (!this.underFramework(name)) return true;
    const dot = name.indexOf('.');
    let all = this.addLabel(name.slice(0, dot));
    // The second label carries the job only in `_port._L[.…]._proto.fw.D.`: looked up when the
    // first and second labels and a later one start with '_' (else a job named like the
    // framework, or `tcp`, would join every name of it and spend the budget).
    const dot2 = name.indexOf('.', dot + 1);
    if (
      name.charCodeAt(0) === 0x5f &&
      name.charCodeAt(dot + 1) === 0x5f &&
      dot2 > dot + 1 &&
      name.includes('._', dot2)
    )
      all = this.addLabel(name.slice(dot + 1, dot2)) && all;
    // A canonical name: its task's 5-character hash follows a '-' in the first label.
    for (let p = name.indexOf('-'); p >= 0 && p + 6 <= dot; p = name.indexOf('-', p + 1)) {
      const bits = hashBitsAt(name, p + 1);
      if (bits >= 0) all = this.addJobs(this.hashIndex().get(bits)) && all;
    }
    return all;
  }

  private underFramework(name: string): boolean {
    const rest = name.slice(0, name.length - this.tail.length);
    const slave = rest.endsWith('.slave') ? rest.slice(0, -'.slave'.length) : undefined;
    for (const fw of this.frameworks)
      if (endsWithLabels(rest, fw) || (slave !== undefined && endsWithLabels(slave, fw)))
        return true;
    return false;
  }

  /** Adds the jobs whose names may carry `label` (`L`, or `_L` with the `_` taken off). */
  private addLabel(label: string): boolean {
    const all = this.addJobs(this.byLabel.get(label));
    if (label.length > 1 && label.charCodeAt(0) === 0x5f)
      return this.addJobs(this.byLabel.get(label.slice(1))) && all;
    return all;
  }

  /** Adds the jobs of the tasks whose address has the PTR name `name`; false when the budget
   *  left one out. (A PTR name without records is left to the full set: settledBelow.) */
  private fillReverse(name: string): boolean {
    if (!this.namer.cfg.ptr) return true; // only the cluster's, made at the start
    if (!this.byReverse) {
      const m: Ids<string> = new Map();
      for (let id = 0; id < this.jobs.length; id++)
        for (const h of this.jobs[id]!)
          for (const ip of taskAddresses(h.task, h.agent, this.namer))
            addId(m, this.namer.reverse(ip), id);
      this.byReverse = m;
    }
    return this.addJobs(this.byReverse.get(name));
  }

  private hashIndex(): Ids<number> {
    if (!this.byHash) {
      const m: Ids<number> = new Map();
      for (let id = 0; id < this.jobs.length; id++)
        for (const h of this.jobs[id]!) addId(m, taskHashBits(h.task.id), id);
      this.byHash = m;
    }
    return this.byHash;
  }

  private addJobs(ids: number | number[] | undefined): boolean {
    if (ids === undefined) return true;
    if (typeof ids === 'number') return this.addJob(ids);
    let all = true;
    for (const id of ids) all = this.addJob(id) && all;
    return all;
  }

  private addJob(id: number): boolean {
    if (this.added[id]) return true;
    const tasks = this.jobs[id]!;
    if (tasks.length > this.budget) return false;
    this.budget -= tasks.length;
    this.added[id] = 1;
    for (const h of tasks) this.set.addHeld(h);
    return true;
  }
}
