// The SRV names of a job (`_name._tcp.fw.D.`, `_port._name._proto.fw.D.`, …) are most of a big
// set's records (800,000 of 1.25 million at 50,000 tasks) and each instance of the job adds one
// record per port to each of them. Instead of keeping those records, a record set keeps the job's
// members and, per name, how many distinct records they make (for counts and for knowing when the
// name is gone); the records themselves are made from the members when the name is asked for
// (MemRecordSet.get), with the same emitters as everything else.
import type { Entry } from './entry.js';
import { SRV, type Kind } from './record-types.js';
import type { Sink, TaskSpec } from './task-records.js';

/** The instances of one job (jobKey) and the SRV names they make. */
export class JobGroup {
  members: TaskSpec[] = [];
  /** Per SRV name the members make: name, distinct records of healthy members, of unhealthy
   *  members (withheld), … — one flat array: a job has a handful of names. */
  t: (string | number)[] = [];
  /** Two members have the same canonical names (a task id repeated in a framework, or a hash
   *  collision): their records coincide, so counts are made by building (sticky while the job
   *  exists). */
  collides = false;

  constructor(readonly key: string) {}

  /** Drops the spare slots push left in the arrays (after a full build). */
  trim(): void {
    this.t = this.t.slice();
    this.members = this.members.slice();
  }

  /** Index of `name` in `t` (-1 when absent). */
  indexOf(name: string): number {
    const t = this.t;
    for (let i = 0; i < t.length; i += 3) if (t[i] === name) return i;
    return -1;
  }

  /** Distinct records of healthy (`served`) or unhealthy members for the name at index i. */
  count(i: number, served: boolean): number {
    return this.t[served ? i + 1 : i + 2] as number;
  }
}

/** A name made by more than one job, or by a job and something else (materialised records kept
 *  in `entry`, e.g. `_framework._tcp.fw.D.` when a task is named "framework"). */
export class MixedSlot {
  constructor(
    public groups: JobGroup[],
    public entry: Entry | undefined,
  ) {}
}

/**
 * Collects one task's job-level SRV records (passing every other record on to `inner`) and
 * counts them per name without repeats: a port listed twice, or two passes with the same names
 * (a DiscoveryInfo name that is already a valid label), make one record each.
 */
export class SrvCollector implements Sink {
  // Reused from task to task (new arrays per task were ~35 MB of garbage in a 50,000-task build);
  // entries past `len` are stale.
  private readonly names: string[] = [];
  private readonly targets: string[] = [];
  private readonly ports: number[] = [];
  private len = 0;
  inner: Sink | undefined;
  /** Sees every SRV record as emitted, repeats included (the record set's built answers count a
   *  reference per emission, as building them from the members does). */
  tap: Sink | undefined;

  put(name: string, kind: Kind, value: string, port: number): void {
    if (kind !== SRV) {
      this.inner?.put(name, kind, value, port);
      return;
    }
    this.tap?.put(name, kind, value, port);
    const n = this.names;
    for (let i = 0; i < this.len; i++)
      if (this.ports[i] === port && n[i] === name && this.targets[i] === value) return;
    const i = this.len++;
    if (i === n.length) {
      n.push(name);
      this.targets.push(value);
      this.ports.push(port);
    } else {
      n[i] = name;
      this.targets[i] = value;
      this.ports[i] = port;
    }
  }

  /** Calls `each` with every name and its number of distinct records, then forgets them. */
  drain(each: (name: string, n: number) => void): void {
    const n = this.names;
    for (let i = 0; i < this.len; i++) {
      const name = n[i]!;
      if (name === '') continue;
      let c = 1;
      for (let j = i + 1; j < this.len; j++)
        if (n[j] === name) {
          c++;
          n[j] = '';
        }
      each(name, c);
    }
    this.len = 0;
  }
}
