// The in-memory RecordSet Beacon serves: built in full from a state (generateRecords) and kept
// current task by task (applyTask, applyTaskStatus, removeTask) for the v1 event stream. Every
// record carries a reference count, and every task keeps the inputs its records were made from,
// so removing a task regenerates exactly its records and drops one reference each — shared names
// stay while other tasks still make them. All updates are synchronous: a reader never sees half
// an update.
import type {
  HostPort,
  MesosAgent,
  MesosFramework,
  MesosState,
  MesosTask,
} from '../model/mesos-state.js';
import {
  freeTaskKey,
  isRepeatKey,
  isTerminalState,
  taskKey,
  type TaskStatusUpdate,
} from '../model/mesos-events.js';
import { emitAgent, emitFramework, emitMasters, emitSelf } from './cluster-records.js';
import { type RecordsConfig, zoneInfo } from './config.js';
import { Entry, entryMaker } from './entry.js';
import { JobGroup, MixedSlot, SrvCollector } from './job-srv.js';
import { Ancestors } from './ancestors.js';
import { hashAfterDash, PutBuffer } from './own-names.js';
import { MAX_NAME } from './labels.js';
import { Interner, ownString } from './own.js';
import { drain } from '../slices.js';
import { walkStateSteps } from './state-walk.js';
import { A, AAAA, countsOf, type Kind, PTR, type RecordCounts, SRV } from './record-types.js';
import {
  Namer,
  type Sink,
  type TaskSpec,
  canonSuffix,
  emitTask,
  isRecordable,
  jobKey,
  latestHealth,
  latestRunning,
  specId,
  specWithStatus,
  taskSpec,
} from './task-records.js';
import type { FailOpen, NameRecords, RecordSet, ZoneInfo } from './types.js';

/** The Map value of a name: its Entry, or — for the most common name by far, `canon.fw.D.` with
 *  its one A record — just that IP (no Entry object: 400,000 of them in a 100,000-task set); for a
 *  job's SRV name, the job (its records are made when asked: job-srv.ts), or a MixedSlot when
 *  more than one job or other records share the name. */
type Slot = Entry | string | JobGroup | MixedSlot;
/** Withheld names (unhealthy tasks' job-level records): never the inline form. */
type HeldSlot = Entry | JobGroup | MixedSlot;

/** A task a full build would add, as the state walk hands it over (MemRecordSet.loadSteps). */
export interface HeldTask {
  task: MesosTask;
  /** The set's own copies (what the walk's agent and framework steps returned). */
  agent: MesosAgent;
  fw: MesosFramework;
  key: string;
}

/** Built answers of job SRV names kept between asks (bounded: every name once in a listing). */
const BUILT_MAX = 4096;
const NO_SINK: Sink = { put: () => undefined };

export class MemRecordSet implements RecordSet {
  readonly zone: ZoneInfo;
  readonly config: RecordsConfig;
  private readonly namer: Namer;
  private readonly newEntry: () => Entry;
  private readonly map = new Map<string, Slot>();
  /** Copies of the strings the set keeps (see own.ts). */
  private readonly own = new Interner();
  /** Empty non-terminals (ancestors.ts). */
  private readonly ancestors = new Ancestors();
  private readonly totals = [0, 0, 0, 0];
  private readonly agents = new Map<string, MesosAgent>();
  private readonly frameworks = new Map<string, MesosFramework>();
  private readonly tasks = new Map<string, TaskSpec>();
  /** TASK_RUNNING tasks waiting for their agent or framework to be known (a task whose agent went
   *  away is kept as its spec). */
  private readonly parked = new Map<string, MesosTask | TaskSpec>();
  /** Live tasks that are not TASK_RUNNING (staging, starting, killing, unreachable): no records,
   *  but a TASK_UPDATED may make them run. A task that left RUNNING is kept as its spec. */
  private readonly waiting = new Map<string, MesosTask | WaitingSpec>();
  /** Each agent's task keys, made when an agent first changes and kept up to date from then on:
   *  a poll source never asks, and a full build makes no Set per agent and no insert per task. */
  private byAgent: Map<string, Set<string>> | undefined;
  private leader: HostPort | undefined;
  private readonly adder: Sink;
  private readonly remover: Sink;
  /** Job-level records of unhealthy tasks (healthFilter), reference-counted like the served ones:
   *  answered for a name and type only when no healthy task makes one (healthFailOpen). */
  private readonly withheld = new Map<string, HeldSlot>();
  /** Jobs by jobKey: the members behind every job SRV name. */
  private readonly jobs = new Map<string, JobGroup>();
  /** Served SRV records of names whose count is made by building them (MixedSlot, colliding
   *  jobs): name → count, -1 until counted. Every other job SRV name is counted in `totals`. */
  private readonly complex = new Map<string, number>();
  /** Job SRV names and keyless canonical names built for get() (see BUILT_MAX); a change to a
   *  name drops its copy. */
  private readonly built = new Map<string, Entry>();
  private readonly collector = new SrvCollector();
  /** While a member joins or leaves its job: its SRV records go straight into the built answers
   *  of its job's names (a 5,000-member job's name is not rebuilt after every change), and jobSrv
   *  keeps those answers (`tapped`: set only around that member's drain). */
  private readonly builtAdd: Sink = { put: (n, k, v, p) => this.built.get(n)?.add(k, v, p) };
  private readonly builtRemove: Sink = { put: (n, k, v, p) => this.built.get(n)?.remove(k, v, p) };
  private tapped = false;
  /** Tasks by their hash: a canonical name not kept as a key is found through it (own-names.ts). */
  private readonly byHash = new Map<number, TaskSpec | TaskSpec[]>();
  private readonly ownBuf = new PutBuffer();
  /** ownOf's sink: one name's records of one task. */
  private readonly ownPick = new OwnPick();
  private readonly jobBuf = new PutBuffer();
  private readonly withholder: Sink;
  private readonly unwithholder: Sink;
  private unhealthyTasks = 0;
  /** When set, every owner name whose records (served or withheld) change is added to it: the
   *  zone journal then compares only those names (RecordStore.takeTouched). */
  touched: Set<string> | undefined;

  constructor(config: RecordsConfig) {
    this.config = config;
    this.namer = new Namer(config, {
      jobs: () => this.jobs.size,
      agents: () => this.agents.size,
    });
    this.newEntry = entryMaker({ srvWeight: config.srvWeight });
    this.zone = zoneInfo(config);
    this.adder = { put: (n, k, v, p) => this.addRecord(n, k, v, p) };
    this.remover = { put: (n, k, v, p) => this.removeRecord(n, k, v, p) };
    this.withholder = {
      put: (n, k, v, p) => {
        if (n.length > MAX_NAME) return;
        this.touched?.add(n);
        this.heldEntry(n, true)!.add(k, v, p);
      },
    };
    this.unwithholder = {
      put: (n, k, v, p) => {
        this.touched?.add(n);
        const e = this.heldEntry(n, false);
        if (e && e.remove(k, v, p) && e.size === 0) this.heldEmptied(n);
      },
    };
    emitSelf(config, this.adder);
  }

  // ---- RecordSet ----------------------------------------------------------------------------

  get(name: string): NameRecords | undefined {
    const s = this.map.get(name);
    const served =
      s === undefined
        ? this.ownEntry(name)
        : s instanceof Entry
          ? s
          : typeof s === 'string'
            ? { a: [s], aaaa: [], srv: [], ptr: [] }
            : this.builtEntry(name, s);
    if (this.withheld.size === 0 || !this.config.healthFailOpen) return served;
    const h = this.withheld.get(name);
    if (!h) return served;
    const w = h instanceof Entry ? h : this.build(name, h, true);
    // Fail open, per type: a type no healthy task makes is answered with the unhealthy ones, and
    // marked so the readers that answer clients can count it (get() changes no answer; it only
    // caches what it builds).
    let failOpen: FailOpen | undefined;
    const pick = <T>(key: keyof FailOpen, mine: T[], theirs: T[]): T[] => {
      if (mine.length > 0 || theirs.length === 0) return mine;
      (failOpen ??= {})[key] = true;
      return theirs;
    };
    const out: NameRecords = {
      a: pick('a', served?.a ?? [], w.a),
      aaaa: pick('aaaa', served?.aaaa ?? [], w.aaaa),
      srv: pick('srv', served?.srv ?? [], w.srv),
      ptr: served?.ptr ?? [],
    };
    if (!failOpen) return served;
    out.failOpen = failOpen;
    return out;
  }

  exists(name: string): boolean {
    if (this.map.has(name) || this.ownerOf(name)) return true;
    if (this.ancestors.has(name, this.map) || this.aboveOwn(name)) return true;
    if (this.withheld.size === 0 || !this.config.healthFailOpen) return false;
    // Names only unhealthy tasks make (few: a scan beats an index kept for them).
    if (this.withheld.has(name)) return true;
    const tail = `.${name}`;
    for (const n of this.withheld.keys()) if (n.endsWith(tail)) return true;
    return false;
  }

  *names(): IterableIterator<string> {
    yield* this.servedNames();
    if (!this.config.healthFailOpen) return;
    for (const n of this.withheld.keys()) if (!this.map.has(n) && !this.ownerOf(n)) yield n;
  }

  /** Every name of names() with what get() answers, in no order. Job SRV names and keyless
   *  canonical names are built in bulk (each job's members and each task once) rather than name
   *  by name: the zone journal and listings read the whole zone this way. */
  each(f: (name: string, records: NameRecords) => void): void {
    const held = this.withheld.size > 0 && this.config.healthFailOpen;
    const out = (name: string, e: NameRecords): void =>
      f(name, held && this.withheld.has(name) ? this.get(name)! : e);
    for (const [name, s] of this.map) {
      if (s instanceof JobGroup && !s.collides) continue; // below, job by job
      if (typeof s === 'string') out(name, { a: [s], aaaa: [], srv: [], ptr: [] });
      else out(name, s instanceof Entry ? s : this.build(name, s, false));
    }
    for (const g of this.jobs.values()) if (!g.collides) this.eachOfJob(g, out);
    for (const spec of this.tasks.values()) this.eachOwn(spec, out);
    if (held)
      for (const n of this.withheld.keys())
        if (!this.map.has(n) && !this.ownerOf(n)) f(n, this.get(n)!);
  }

  /** The served SRV names job g makes alone, built from one pass over its healthy members. */
  private eachOfJob(g: JobGroup, out: (name: string, e: Entry) => void): void {
    const names: string[] = [];
    for (let i = 0; i < g.t.length; i += 3) {
      const name = g.t[i] as string;
      if (g.count(i, true) > 0 && this.map.get(name) === g) names.push(name);
    }
    if (names.length === 0) return;
    const entries = names.map(() => this.newEntry());
    this.fromMembers([g], names, entries, false);
    for (let i = 0; i < names.length; i++) out(names[i]!, entries[i]!);
  }

  /** Task t's canonical names kept as no key, built from one pass over the task. */
  private eachOwn(t: TaskSpec, out: (name: string, e: Entry) => void): void {
    const entries: Entry[] = [];
    const names = this.ownNamesOf(t, entries);
    for (let i = 0; i < names.length; i++) out(names[i]!, entries[i]!);
  }

  /** Task t's canonical names kept as no key, from one pass over the task; with `entries`, their
   *  records too (parallel to the names). Listing names makes no records. */
  private ownNamesOf(t: TaskSpec, entries?: Entry[]): string[] {
    const names: string[] = [];
    const sink: Sink = {
      put: (n, k, v) => {
        if (k === PTR || n.length > MAX_NAME) return;
        let i = names.indexOf(n);
        if (i < 0) {
          if (this.map.has(n)) return;
          i = names.push(n) - 1;
          entries?.push(this.newEntry());
        }
        entries?.[i]!.add(k, v, 0);
      },
    };
    emitTask(t, this.namer, sink, NO_SINK);
    return names;
  }

  /** Names with served records: the keys, and tasks' canonical names kept as no key. */
  private *servedNames(): IterableIterator<string> {
    yield* this.map.keys();
    for (const spec of this.tasks.values()) yield* this.ownNamesOf(spec);
  }

  /** Tasks whose job-level records are withheld as unhealthy. */
  get unhealthyTaskCount(): number {
    return this.unhealthyTasks;
  }

  counts(): RecordCounts {
    let srv = 0;
    for (const [name, n] of this.complex) {
      if (n >= 0) srv += n;
      else {
        const c = this.countComplex(name);
        this.complex.set(name, c);
        srv += c;
      }
    }
    const t = this.totals;
    return countsOf(srv === 0 ? t : [t[A]!, t[AAAA]!, t[SRV]! + srv, t[PTR]!]);
  }

  // ---- incremental updates -------------------------------------------------------------------

  /** Adds, replaces or (when it is no longer TASK_RUNNING) removes one task. A running task whose
   *  agent or framework is not known yet gets records once they are added; a live task that is
   *  not running is kept for the TASK_UPDATED that makes it run. Returns true when the task has
   *  records afterwards. */
  applyTask(task: MesosTask, key = taskKey(task.frameworkId, task.id)): boolean {
    // A task leaving RUNNING loses its records: that is a change too, so the serial moves and
    // caches keyed by it (the DNS answer cache) drop what they held.
    const dropped = this.dropTask(key);
    if (task.state !== 'TASK_RUNNING') {
      if (!isTerminalState(task.state)) this.waiting.set(key, waitingTask(task));
      if (dropped) this.bump();
      return false;
    }
    const agent = this.agents.get(task.agentId);
    const fw = this.frameworks.get(task.frameworkId);
    if (!isRecordable(task, agent) || !fw) {
      this.parked.set(key, task);
      if (dropped) this.bump();
      return false;
    }
    this.addSpec(taskSpec(task, agent, fw, this.config, this.own, key));
    this.bump();
    return true;
  }

  /** Applies a TASK_UPDATED to the task it names, wherever the set holds it: with records,
   *  parked, or waiting to run. The set keeps no status list: a task it holds as a spec takes the
   *  update's status as its newest (specWithStatus). Returns false when it holds no such task. */
  applyTaskStatus(u: TaskStatusUpdate): boolean {
    const key =
      u.frameworkId !== undefined ? taskKey(u.frameworkId, u.taskId) : this.keyOfId(u.taskId);
    if (key === undefined) return false;
    const held = this.tasks.get(key) ?? this.parked.get(key) ?? this.waiting.get(key);
    if (held === undefined) return false;
    if ('statuses' in held) {
      // Held whole (never ran here, or parked from a state): the full task, one status longer.
      const statuses = u.status ? [...held.statuses, u.status] : held.statuses;
      this.applyTask({ ...held, state: u.state ?? held.state, statuses }, key);
      return true;
    }
    const [spec, was] = 'spec' in held ? [held.spec, held.state] : [held, 'TASK_RUNNING'];
    const state = u.state ?? was;
    const next = specWithStatus(spec, u.status, this.config, this.own);
    const dropped = this.dropTask(key);
    let served = false;
    if (state === 'TASK_RUNNING') {
      const agent = this.agents.get(next.agentId);
      const fw = this.frameworks.get(next.frameworkId);
      if (agent && fw) {
        // A spec that waited (not running) may have missed an agent's or framework's change.
        this.addSpec({ ...next, agentIps: agent.ips, frameworkName: fw.name });
        served = true;
      } else this.parked.set(key, next);
    } else if (!isTerminalState(state)) this.waiting.set(key, { spec: next, state });
    if (dropped || served) this.bump();
    return true;
  }

  /** The key of the first task of this id in any framework (an update without a framework). */
  private keyOfId(taskId: string): string | undefined {
    for (const held of [this.tasks, this.parked, this.waiting])
      for (const [key, h] of held) if (heldId(h) === taskId) return key;
    return undefined;
  }

  /** Removes a task and exactly its records. Returns false when the task was unknown. */
  removeTask(frameworkId: string, taskId: string): boolean {
    const had = this.dropTask(taskKey(frameworkId, taskId));
    if (had) this.bump();
    return had;
  }

  hasTask(frameworkId: string, taskId: string): boolean {
    return this.tasks.has(taskKey(frameworkId, taskId));
  }

  /** Number of tasks with records. */
  taskCount(): number {
    return this.tasks.size;
  }

  /** Adds or replaces an agent; its tasks' records follow (agent IPs, host IP source). */
  applyAgent(given: MesosAgent): void {
    const agent = this.ownAgent(given);
    const old = this.agents.get(agent.id);
    if (old) emitAgent(old, this.namer, this.remover);
    this.agents.set(agent.id, agent);
    emitAgent(agent, this.namer, this.adder);
    for (const key of this.agentTasks(agent.id)) {
      const spec = this.tasks.get(key)!;
      this.removeSpec(spec);
      this.addSpec({ ...spec, agentIps: agent.ips });
    }
    this.unpark((t) => t.agentId === agent.id);
    this.bump();
  }

  /** Removes an agent; its tasks lose their records (Mesos-DNS: only tasks on known agents). */
  removeAgent(agentId: string): void {
    const old = this.agents.get(agentId);
    if (!old) return;
    emitAgent(old, this.namer, this.remover);
    this.agents.delete(agentId);
    for (const key of this.agentTasks(agentId)) {
      const spec = this.tasks.get(key)!;
      this.removeSpec(spec);
      this.parked.set(key, spec);
    }
    this.bump();
  }

  /** Adds or replaces a framework (its `tasks` are ignored: apply them with applyTask). */
  applyFramework(fw: MesosFramework): void {
    const old = this.frameworks.get(fw.id);
    const bare = this.ownFramework(fw);
    if (old) emitFramework(old, this.namer, this.remover);
    this.frameworks.set(bare.id, bare);
    emitFramework(bare, this.namer, this.adder);
    if (old && old.name !== fw.name) {
      for (const spec of [...this.tasks.values()]) {
        if (spec.frameworkId !== fw.id) continue;
        this.removeSpec(spec);
        this.addSpec({ ...spec, frameworkName: bare.name });
      }
    }
    this.unpark((t) => t.frameworkId === fw.id);
    this.bump();
  }

  /** Gives every framework without a pid whose `hostname` is `hostname` these addresses (the
   *  looked-up `hostIps`); true when any framework's records changed. */
  setFrameworkHostIps(hostname: string, ips: readonly string[]): boolean {
    let changed = false;
    for (const fw of [...this.frameworks.values()]) {
      if (fw.pid || fw.hostname.toLowerCase() !== hostname.toLowerCase()) continue;
      const old = fw.hostIps ?? [];
      if (old.length === ips.length && old.every((ip, i) => ip === ips[i])) continue;
      this.applyFramework({ ...fw, hostIps: ips });
      changed = true;
    }
    return changed;
  }

  /** Removes a framework and all its tasks' records. */
  removeFramework(frameworkId: string): void {
    // Tasks held for a framework never announced go too (they were waiting for it).
    for (const [key, t] of this.parked) if (t.frameworkId === frameworkId) this.parked.delete(key);
    for (const [key, w] of this.waiting)
      if (heldTask(w).frameworkId === frameworkId) this.waiting.delete(key);
    const old = this.frameworks.get(frameworkId);
    if (!old) return;
    emitFramework(old, this.namer, this.remover);
    this.frameworks.delete(frameworkId);
    for (const spec of [...this.tasks.values()])
      if (spec.frameworkId === frameworkId) this.removeSpec(spec);
    this.bump();
  }

  /** Sets the leading master (leader/master/masterN records). */
  setLeader(leader: HostPort | undefined): void {
    emitMasters(this.leader, this.config, this.namer, this.remover);
    this.leader = leader;
    emitMasters(leader, this.config, this.namer, this.adder);
    this.bump();
  }

  // ---- enumeration --------------------------------------------------------------------------

  /** The tasks with records, grouped by framework (in framework id order, tasks by id). */
  taskGroups(): { frameworkId: string; frameworkName: string; tasks: TaskSpec[] }[] {
    const groups = new Map<string, TaskSpec[]>();
    for (const spec of this.tasks.values()) {
      let g = groups.get(spec.frameworkId);
      if (!g) groups.set(spec.frameworkId, (g = []));
      g.push(spec);
    }
    const out: { frameworkId: string; frameworkName: string; tasks: TaskSpec[] }[] = [];
    for (const [id, fw] of [...this.frameworks].sort((x, y) => cmp(x[0], y[0]))) {
      const tasks = (groups.get(id) ?? []).sort((x, y) => cmp(specId(x), specId(y)));
      out.push({ frameworkId: id, frameworkName: fw.name, tasks });
    }
    return out;
  }

  /** Calls `sink` with every record one task makes (each once). */
  taskRecords(spec: TaskSpec, sink: Sink): void {
    emitTask(spec, this.namer, sink);
  }

  // ---- building blocks ----------------------------------------------------------------------

  /** Full-build path (generateRecords): no serial bumps, no parked bookkeeping per call. */
  loadState(state: MesosState): void {
    drain(this.loadSteps(state));
  }

  /** loadState one task at a time (it yields after each): for a caller that pauses between.
   *  With `hold`, every running task on a known agent is handed to it instead of added (with the
   *  agent and framework objects this set keeps): the cluster's own records are made, the tasks
   *  come later through addHeld (EarlySet fills a set job by job as names are asked). */
  *loadSteps(state: MesosState, hold?: (task: HeldTask) => void): Generator<void, void> {
    yield* walkStateSteps(state, {
      agent: (given) => {
        const a = this.ownAgent(given);
        this.agents.set(a.id, a);
        emitAgent(a, this.namer, this.adder);
        return a;
      },
      framework: (f) => {
        const bare = this.ownFramework(f);
        this.frameworks.set(bare.id, bare);
        emitFramework(bare, this.namer, this.adder);
        return bare;
      },
      task: hold
        ? (task, agent, fw, key) => hold({ task, agent, fw, key })
        : (t, agent, fw, key) => this.addSpec(taskSpec(t, agent, fw, this.config, this.own, key)),
      parked: (t) => this.parked.set(this.freeKey(t.frameworkId, t.id), t),
      waiting: (t) => this.waiting.set(taskKey(t.frameworkId, t.id), waitingTask(t)),
    });
    this.leader = state.leader;
    emitMasters(state.leader, this.config, this.namer, this.adder);
  }

  /** Adds a task loadSteps held back, as the full build would have (no serial bump: see
   *  EarlySet). Each held task once. */
  addHeld(h: HeldTask): void {
    this.addSpec(taskSpec(h.task, h.agent, h.fw, this.config, this.own, h.key));
  }

  /** Trims every record array to its length (after a full build). */
  compact(): void {
    this.own.clear();
    for (const e of this.map.values()) {
      if (e instanceof Entry) e.compact();
      else if (e instanceof MixedSlot) e.entry?.compact();
    }
    for (const g of this.jobs.values()) g.trim();
  }

  // The set keeps its own copies of agents and frameworks, never the parsed document's objects.
  private ownAgent(a: MesosAgent): MesosAgent {
    const agent: MesosAgent = {
      id: ownString(a.id),
      hostname: ownString(a.hostname),
      ips: this.own.all(a.ips),
    };
    if (a.pid) agent.pid = { host: this.own.get(a.pid.host), port: a.pid.port };
    return agent;
  }

  private ownFramework(f: MesosFramework): MesosFramework {
    const fw: MesosFramework = {
      id: ownString(f.id),
      name: this.own.get(f.name),
      hostname: ownString(f.hostname),
      tasks: [],
    };
    if (f.pid) fw.pid = { host: this.own.get(f.pid.host), port: f.pid.port };
    else if (f.hostIps && f.hostIps.length > 0) fw.hostIps = this.own.all(f.hostIps);
    return fw;
  }

  private inflate(ip: string): Entry {
    const e = this.newEntry();
    e.add(A, ip, 0);
    return e;
  }

  private addSpec(spec: TaskSpec): void {
    this.tasks.set(spec.key, spec);
    if (this.byAgent) indexAgent(this.byAgent, spec);
    if (spec.unhealthy) this.unhealthyTasks++;
    const c = this.collector;
    c.inner = spec.unhealthy ? this.withholder : this.adder;
    // Built answers hold healthy members only.
    const tap = !spec.unhealthy && this.built.size > 0;
    if (tap) c.tap = this.builtAdd;
    const own = this.ownBuf;
    emitTask(spec, this.namer, own, c);
    c.inner = undefined;
    c.tap = undefined;
    // After the job-level records: a canonical name that a job name equals is then a key.
    this.applyOwn(spec, own, true);
    own.clear();
    this.indexHash(spec, true);
    const key = jobKey(spec, this.namer);
    if (key === '') return;
    let g = this.jobs.get(key);
    if (!g) this.jobs.set(key, (g = new JobGroup(key)));
    if (!g.collides && this.sameCanon(g, spec)) this.collide(g);
    g.members.push(spec);
    const served = !spec.unhealthy;
    this.tapped = tap;
    c.drain((name, n) => this.jobSrv(name, g, served, n));
    this.tapped = false;
  }

  private removeSpec(spec: TaskSpec): void {
    if (spec.unhealthy) this.unhealthyTasks--;
    const c = this.collector;
    const own = this.ownBuf;
    const job = this.jobBuf;
    c.inner = job;
    const g = this.jobs.get(jobKey(spec, this.namer));
    const tap = g !== undefined && !spec.unhealthy && this.built.size > 0;
    if (tap) c.tap = this.builtRemove;
    emitTask(spec, this.namer, own, c);
    c.inner = undefined;
    c.tap = undefined;
    // The reverse of addSpec: the task's own names first, while a job name they equal is there.
    this.indexHash(spec, false);
    this.applyOwn(spec, own, false);
    own.clear();
    job.replay(spec.unhealthy ? this.unwithholder : this.remover);
    job.clear();
    if (g) {
      const served = !spec.unhealthy;
      this.tapped = tap;
      c.drain((name, n) => this.jobSrv(name, g, served, -n));
      this.tapped = false;
      const i = g.members.indexOf(spec);
      if (i >= 0) {
        g.members[i] = g.members[g.members.length - 1]!;
        g.members.pop();
      }
      if (g.members.length === 0) this.jobs.delete(g.key);
    } else c.drain(() => undefined);
    this.tasks.delete(spec.key);
    const byAgent = this.byAgent;
    const s = byAgent?.get(spec.agentId);
    if (byAgent && s) {
      s.delete(spec.key);
      if (s.size === 0) byAgent.delete(spec.agentId);
    }
  }

  /** The keys of agent `agentId`'s tasks (a copy: the caller changes them). */
  private agentTasks(agentId: string): string[] {
    if (!this.byAgent) {
      this.byAgent = new Map();
      for (const spec of this.tasks.values()) indexAgent(this.byAgent, spec);
    }
    return [...(this.byAgent.get(agentId) ?? [])];
  }

  /** Forgets a task wherever it is held; true when it had records or was parked. */
  private dropTask(key: string): boolean {
    this.waiting.delete(key);
    const parked = this.parked.delete(key);
    const spec = this.tasks.get(key);
    if (!spec) return parked;
    this.removeSpec(spec);
    return true;
  }

  private unpark(match: (t: MesosTask | TaskSpec) => boolean): void {
    for (const [parkedKey, t] of [...this.parked]) {
      if (!match(t)) continue;
      const agent = this.agents.get(t.agentId);
      const fw = this.frameworks.get(t.frameworkId);
      if (!agent || !fw) continue;
      this.parked.delete(parkedKey);
      // A repeated id: a task with the same key may have records already (parked while its twin
      // ran); taking its key would orphan that task's records.
      const id = 'statuses' in t ? t.id : specId(t);
      const key = this.tasks.has(parkedKey) ? this.freeKey(t.frameworkId, id) : parkedKey;
      if ('statuses' in t) this.addSpec(taskSpec(t, agent, fw, this.config, this.own, key));
      else
        this.addSpec({
          ...t,
          key,
          repeatedId: isRepeatKey(key, t.frameworkId, id) ? id : undefined,
          agentId: agent.id,
          agentIps: agent.ips,
          frameworkName: fw.name,
        });
    }
  }

  /** A key for the task no task or parked task holds (freeTaskKey). */
  private freeKey(frameworkId: string, taskId: string): string {
    return freeTaskKey(frameworkId, taskId, (k) => this.tasks.has(k) || this.parked.has(k));
  }

  private bump(): void {
    this.zone.soa.serial = (this.zone.soa.serial + 1) >>> 0 || 1;
  }

  private addRecord(name: string, kind: Kind, value: string, port: number, check = true): void {
    if (name.length > MAX_NAME) return;
    this.touched?.add(name);
    let s = this.map.get(name);
    if (s === undefined && check && this.byHash.size > 0 && this.keyFor(name))
      s = this.map.get(name);
    let e: Entry;
    if (s === undefined) {
      this.ancestors.key(name, 1);
      if (kind === A) {
        this.map.set(name, value);
        this.totals[A]!++;
        return;
      }
      e = this.newEntry();
      this.map.set(name, e);
    } else if (typeof s === 'string') {
      e = this.inflate(s);
      this.map.set(name, e);
    } else if (s instanceof Entry) e = s;
    else e = this.mixedEntry(this.map, name, s, true);
    if (e.add(kind, value, port)) this.totals[kind]!++;
  }

  private removeRecord(name: string, kind: Kind, value: string, port: number): void {
    const s = this.map.get(name);
    if (s === undefined) return;
    this.touched?.add(name);
    if (typeof s === 'string') {
      if (kind !== A || s !== value) return;
      this.map.delete(name);
      this.totals[A]!--;
      this.ancestors.key(name, -1);
      return;
    }
    if (s instanceof JobGroup) return; // no materialised records
    const e = s instanceof Entry ? s : s.entry;
    if (!e?.remove(kind, value, port)) return;
    if (s instanceof MixedSlot) this.changedSrv(name, true);
    this.totals[kind]!--;
    if (e.size > 0) return;
    if (s instanceof Entry) {
      this.map.delete(name);
      this.ancestors.key(name, -1);
    } else this.mixedEmptied(this.map, name, s, true);
  }

  // ---- job SRV names (job-srv.ts) ------------------------------------------------------------

  /** The materialised part of a name shared with jobs (made a MixedSlot when it was a job's). */
  private mixedEntry(
    map: Map<string, Slot>,
    name: string,
    s: JobGroup | MixedSlot,
    served: boolean,
  ): Entry {
    this.changedSrv(name, served);
    if (s instanceof MixedSlot) return (s.entry ??= this.newEntry());
    const e = this.newEntry();
    if (served) this.leaveTotals(name, s);
    map.set(name, new MixedSlot([s], e));
    if (served) this.complex.set(name, -1);
    return e;
  }

  /** A MixedSlot's materialised records are gone: with one job left it is that job's again. */
  private mixedEmptied(map: Map<string, Slot>, name: string, s: MixedSlot, served: boolean): void {
    s.entry = undefined;
    this.changedSrv(name, served);
    if (s.groups.length !== 1) return;
    const g = s.groups[0]!;
    map.set(name, g);
    if (served) {
      this.complex.delete(name);
      this.enterTotals(name, g);
    }
  }

  /** The withheld Entry of a name (made when `create`), whatever form its slot has. */
  private heldEntry(name: string, create: boolean): Entry | undefined {
    const h = this.withheld.get(name);
    if (h instanceof Entry) return h;
    if (h === undefined) {
      if (!create) return undefined;
      const e = this.newEntry();
      this.withheld.set(name, e);
      return e;
    }
    if (!create && (h instanceof JobGroup || !h.entry)) return undefined;
    return this.mixedEntry(this.withheld, name, h, false);
  }

  private heldEmptied(name: string): void {
    const h = this.withheld.get(name);
    if (h instanceof MixedSlot) this.mixedEmptied(this.withheld, name, h, false);
    else this.withheld.delete(name);
  }

  /** `n` more (or, negative, fewer) distinct SRV records of `name` from healthy (`served`) or
   *  unhealthy members of job `g`. */
  private jobSrv(name: string, g: JobGroup, served: boolean, n: number): void {
    if (name.length > MAX_NAME) return;
    this.touched?.add(name);
    this.changedSrv(name, served, !this.tapped);
    let i = g.indexOf(name);
    if (i < 0) {
      if (n <= 0) return;
      i = g.t.length;
      g.t.push(name, 0, 0);
    }
    const col = served ? i + 1 : i + 2;
    const before = g.t[col] as number;
    const after = before + n;
    g.t[col] = after;
    const map: Map<string, Slot> = served ? this.map : this.withheld;
    if (before === 0 && after > 0) this.attach(map, name, g, served);
    else if (after === 0 && before > 0) this.detach(map, name, g, served, before);
    else if (served && map.get(name) === g && !g.collides) this.totals[SRV]! += n;
    if (g.t[i + 1] === 0 && g.t[i + 2] === 0) {
      const last = g.t.length - 3;
      if (i !== last) for (let k = 0; k < 3; k++) g.t[i + k] = g.t[last + k]!;
      g.t.length = last;
    }
  }

  /** Job `g` now makes records of `name` (on the served or withheld side). */
  private attach(map: Map<string, Slot>, name: string, g: JobGroup, served: boolean): void {
    let s = map.get(name);
    if (s === undefined && served && this.keyFor(name)) s = map.get(name);
    // A built answer is kept (and tapped) only while the name stays made by jobs.
    if (served && !(s instanceof JobGroup || s instanceof MixedSlot)) this.built.delete(name);
    if (s === undefined) {
      map.set(name, g);
      if (served) {
        this.ancestors.key(name, 1);
        this.enterTotals(name, g);
      }
      return;
    }
    if (s instanceof MixedSlot) s.groups.push(g);
    else if (s instanceof JobGroup) {
      if (served) this.leaveTotals(name, s);
      map.set(name, new MixedSlot([s, g], undefined));
    } else map.set(name, new MixedSlot([g], typeof s === 'string' ? this.inflate(s) : s));
    if (served) this.complex.set(name, -1);
  }

  /** Job `g` no longer makes records of `name`; it made `before` (served side: counted). */
  private detach(
    map: Map<string, Slot>,
    name: string,
    g: JobGroup,
    served: boolean,
    before: number,
  ): void {
    const s = map.get(name);
    if (s === g) {
      map.delete(name);
      if (!served) return;
      this.built.delete(name);
      this.ancestors.key(name, -1);
      if (g.collides) this.complex.delete(name);
      else this.totals[SRV]! -= before;
      return;
    }
    if (!(s instanceof MixedSlot)) return;
    const at = s.groups.indexOf(g);
    if (at >= 0) s.groups.splice(at, 1);
    if (s.groups.length === 0 || (s.groups.length === 1 && !s.entry)) {
      // One job left: its answer is the built one; otherwise the name is no job's any more.
      if (s.groups.length === 1) map.set(name, s.groups[0]!);
      else {
        if (served) this.built.delete(name);
        if (s.entry) map.set(name, s.entry);
        else {
          map.delete(name);
          if (served) this.ancestors.key(name, -1);
        }
      }
      if (served) {
        this.complex.delete(name);
        if (s.groups.length === 1) this.enterTotals(name, s.groups[0]!);
      }
    } else if (served) this.complex.set(name, -1);
  }

  /** `name` became job g's alone: its records count in totals (or by building, if g collides). */
  private enterTotals(name: string, g: JobGroup): void {
    if (g.collides) this.complex.set(name, -1);
    else this.totals[SRV]! += g.count(g.indexOf(name), true);
  }

  /** `name` stops being job g's alone: take its records out of totals. */
  private leaveTotals(name: string, g: JobGroup): void {
    if (!g.collides) this.totals[SRV]! -= g.count(g.indexOf(name), true);
  }

  /** Records of a name changed: forget its built copy (unless the change went into it) and (if
   *  counted by building) its count. */
  private changedSrv(name: string, served: boolean, forget = true): void {
    if (!served) return;
    if (forget) this.built.delete(name);
    if (this.complex.has(name)) this.complex.set(name, -1);
  }

  /** True when a member of g has the canonical names `spec` will have. */
  private sameCanon(g: JobGroup, spec: TaskSpec): boolean {
    if (g.members.length === 0) return false;
    const mine = canonSuffix(spec, this.namer);
    for (const m of g.members)
      if (m.hash === spec.hash && canonSuffix(m, this.namer) === mine) return true;
    return false;
  }

  /** Job g's names are counted by building from now on (its members' records coincide). */
  private collide(g: JobGroup): void {
    for (let i = 0; i < g.t.length; i += 3) {
      const name = g.t[i] as string;
      if (this.map.get(name) !== g) continue;
      this.totals[SRV]! -= g.count(i, true);
      this.complex.set(name, -1);
    }
    g.collides = true;
  }

  /** Served SRV records of a name counted by building (its virtual part, beyond its Entry). */
  private countComplex(name: string): number {
    const s = this.map.get(name);
    if (!(s instanceof JobGroup || s instanceof MixedSlot)) return 0;
    const e = this.build(name, s, false);
    const own = s instanceof MixedSlot && s.entry ? s.entry.count(SRV) : 0;
    return e.count(SRV) - own;
  }

  private builtEntry(name: string, s: JobGroup | MixedSlot): Entry {
    let e = this.built.get(name);
    if (e === undefined) this.remember(name, (e = this.build(name, s, false)));
    return e;
  }

  private remember(name: string, e: Entry): void {
    if (this.built.size >= BUILT_MAX) this.built.clear();
    this.built.set(name, e);
  }

  /** The records of a job SRV name, made from the jobs' healthy (or unhealthy) members. */
  private build(name: string, s: JobGroup | MixedSlot, unhealthy: boolean): Entry {
    const e = this.newEntry();
    let groups: readonly JobGroup[] = [s as JobGroup];
    if (s instanceof MixedSlot) {
      groups = s.groups;
      if (s.entry) e.addAll(s.entry);
    }
    this.fromMembers(groups, [name], [e], unhealthy);
    return e;
  }

  /** Adds to `entries[i]` the SRV records of `names[i]` that the healthy (or unhealthy) members
   *  of `groups` make. */
  private fromMembers(
    groups: readonly JobGroup[],
    names: readonly string[],
    entries: readonly Entry[],
    unhealthy: boolean,
  ): void {
    const sink: Sink = {
      put: (n, k, v, p) => {
        if (k !== SRV) return;
        const i = names.indexOf(n);
        if (i >= 0) entries[i]!.add(k, v, p);
      },
    };
    for (const g of groups)
      for (const m of g.members)
        if ((m.unhealthy === true) === unhealthy) emitTask(m, this.namer, NO_SINK, sink);
  }

  /** True when `name` is an ancestor of a keyless canonical name below its counted parent: it
   *  holds the task's hash label, so the task is found as ownerOf finds it. */
  private aboveOwn(name: string): boolean {
    if (this.byHash.size === 0) return false;
    for (let i = name.indexOf('-'); i >= 0; i = name.indexOf('-', i + 1)) {
      const h = hashAfterDash(name, i);
      const c = h < 0 ? undefined : this.byHash.get(h);
      if (c === undefined) continue;
      const below = `.${name}`;
      for (const t of Array.isArray(c) ? c : [c])
        for (const n of this.ownNamesOf(t)) if (n.endsWith(below)) return true;
    }
    return false;
  }

  // ---- tasks' canonical names kept as no key (own-names.ts) --------------------------------
  // A canonical name is kept as no key while exactly one task makes it and nothing else does:
  // the first other source (another task, any record) turns it into an ordinary entry.

  /** Adds (or takes back) a task's own records: canonical names, PTR. Adding runs after its
   *  job-level records and removing before them, so a job name equal to a canonical name is there
   *  both times. */
  private applyOwn(spec: TaskSpec, buf: PutBuffer, add: boolean): void {
    const put = add ? this.adder : this.remover;
    const names: string[] = [];
    const keyless: boolean[] = [];
    for (let i = 0; i < buf.length; i++) {
      const n = buf.names[i]!;
      const k = buf.kinds[i]!;
      if (k === PTR || n.length > MAX_NAME) {
        put.put(n, k, buf.values[i]!, buf.ports[i]!);
        continue;
      }
      let j = names.indexOf(n);
      if (j < 0) {
        let alone = !this.map.has(n);
        if (alone && add) {
          // Another task's keyless name: both become an entry.
          const u = this.ownerOf(n, spec);
          if (u) {
            this.keep(u, n);
            alone = false;
          }
        }
        j = names.push(n) - 1;
        keyless.push(alone);
        if (alone) {
          this.touched?.add(n);
          this.built.delete(n);
          this.ancestors.keyless(n, spec.hash, add ? 1 : -1);
        }
      }
      if (!keyless[j]) put.put(n, k, buf.values[i]!, buf.ports[i]!);
      else if (!repeated(buf, i)) this.totals[k]! += add ? 1 : -1;
    }
  }

  /** Before `name` (not a key) becomes a key: a task's canonical name kept as no key becomes an
   *  entry. True when it did. */
  private keyFor(name: string): boolean {
    const u = this.ownerOf(name);
    if (u) this.keep(u, name);
    return u !== undefined;
  }

  /** Task u's records of its canonical name `name` become an entry (one reference per time the
   *  task makes each, as applyOwn takes them back). */
  private keep(u: TaskSpec, name: string): void {
    const buf = this.ownOf(u, name);
    this.built.delete(name);
    this.ancestors.keyless(name, u.hash, -1);
    for (let i = 0; i < buf.length; i++) {
      if (!repeated(buf, i)) this.totals[buf.kinds[i]!]!--;
      this.addRecord(name, buf.kinds[i]!, buf.values[i]!, 0, false);
    }
  }

  /** The task (other than `except`) whose canonical name `name` is, kept as no key. Written
   *  without closures: a build asks this for every canonical name of every task. */
  private ownerOf(name: string, except?: TaskSpec): TaskSpec | undefined {
    // A name past the limit is in no set (addRecord drops it too).
    if (this.byHash.size === 0 || name.length > MAX_NAME) return undefined;
    for (let i = name.indexOf('-'); i >= 0; i = name.indexOf('-', i + 1)) {
      const h = hashAfterDash(name, i);
      const c = h < 0 ? undefined : this.byHash.get(h);
      if (c === undefined) continue;
      if (!Array.isArray(c)) {
        if (this.makesOwn(c, name, except)) return c;
      } else {
        for (const t of c) if (this.makesOwn(t, name, except)) return t;
      }
    }
    return undefined;
  }

  private makesOwn(t: TaskSpec, name: string, except: TaskSpec | undefined): boolean {
    return t !== except && this.ownOf(t, name).length > 0;
  }

  /** Task t's records of its own (non-PTR) name `name`, as emitted (repeats included), in a
   *  buffer reused by the next call: read it before asking again. */
  private ownOf(t: TaskSpec, name: string): PutBuffer {
    const pick = this.ownPick;
    pick.buf.clear();
    pick.name = name;
    emitTask(t, this.namer, pick, NO_SINK);
    return pick.buf;
  }

  /** The records of a canonical name kept as no key (undefined: no task's); kept in `built`
   *  until the task changes (applyOwn). Made from what ownerOf's match emitted (one pass). */
  private ownEntry(name: string): Entry | undefined {
    let e = this.built.get(name);
    if (e !== undefined) return e;
    if (!this.ownerOf(name)) return undefined;
    const buf = this.ownPick.buf;
    e = this.newEntry();
    for (let i = 0; i < buf.length; i++) e.add(buf.kinds[i]!, buf.values[i]!, 0);
    this.remember(name, e);
    return e;
  }

  private indexHash(spec: TaskSpec, add: boolean): void {
    const h = spec.hash;
    const c = this.byHash.get(h);
    if (add) {
      if (c === undefined) this.byHash.set(h, spec);
      else if (Array.isArray(c)) c.push(spec);
      else this.byHash.set(h, [c, spec]);
      return;
    }
    if (c === spec) this.byHash.delete(h);
    else if (Array.isArray(c)) {
      const i = c.indexOf(spec);
      if (i >= 0) c.splice(i, 1);
      if (c.length === 1) this.byHash.set(h, c[0]!);
    }
  }
}

/** True when record i of `buf` repeats an earlier one (same name, kind and value). */
function repeated(buf: PutBuffer, i: number): boolean {
  for (let j = 0; j < i; j++)
    if (
      buf.values[j] === buf.values[i] &&
      buf.kinds[j] === buf.kinds[i] &&
      buf.names[j] === buf.names[i]
    )
      return true;
  return false;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keeps the non-PTR records of one name (ownOf). */
class OwnPick implements Sink {
  readonly buf = new PutBuffer();
  name = '';

  put(name: string, kind: Kind, value: string, port: number): void {
    if (name === this.name && kind !== PTR) this.buf.put(name, kind, value, port);
  }
}

function indexAgent(byAgent: Map<string, Set<string>>, spec: TaskSpec): void {
  let s = byAgent.get(spec.agentId);
  if (!s) byAgent.set(spec.agentId, (s = new Set()));
  s.add(spec.key);
}

/** A live task that is not running, as the set keeps it: only the statuses records can still read
 *  (latestRunning's and isHealthy's, in their order: after more statuses are appended each still
 *  picks what it would from the whole list), and no task labels (records read none). Every full
 *  build keeps these, not only a stream's. */
function waitingTask(t: MesosTask): MesosTask {
  const run = latestRunning(t.statuses);
  const health = latestHealth(t.statuses);
  const statuses = t.statuses.filter((s) => s === run || s === health);
  return statuses.length === t.statuses.length && t.labels.length === 0
    ? t
    : { ...t, statuses, labels: [] };
}

/** A task that left TASK_RUNNING but is still live, kept as the spec it ran with. */
interface WaitingSpec {
  spec: TaskSpec;
  state: string;
}

/** What the set holds of a task, served, parked or waiting: the whole task or its spec. */
function heldTask(h: MesosTask | TaskSpec | WaitingSpec): MesosTask | TaskSpec {
  return 'spec' in h ? h.spec : h;
}

/** The task id of what the set holds of a task. */
function heldId(h: MesosTask | TaskSpec | WaitingSpec): string {
  const t = heldTask(h);
  return 'statuses' in t ? t.id : specId(t);
}
