// The DNS names of each job, read from a record set the record generator built (the DNS service's
// live set): Mesos-DNS's /v1/enumerate view lists every task's records, and the names are only
// sorted into groups here by how the records relate — no name is made up on this side, so the
// dashboard can never show a name the DNS server does not answer.
import { enumerate, type MemRecordSet } from '../../records/index.js';

export interface JobDnsNames {
  /** A/AAAA names of the job as a whole (every instance's address). */
  a: string[];
  /** SRV names of the job (`_job…._tcp.fw.domain`), every port of every instance. */
  srv: string[];
  /** SRV names of one named port each (`_http._job…`), aliases included. */
  namedSrv: string[];
  /** Per-instance names (the targets of the SRV records), by task id. */
  byTask: Record<string, string[]>;
}

const strip = (name: string) => name.replace(/\.$/, '');
const sorted = (s: Set<string>) => [...s].map(strip).sort();

/** Names per job key. `jobOfTask` maps a task id to its job (undefined: not a devcluster task). */
export function jobDnsNames(
  rs: MemRecordSet,
  jobOfTask: (taskId: string) => string | undefined,
): Map<string, JobDnsNames> {
  const groups = new Map<
    string,
    { a: Set<string>; srv: Set<string>; targets: Set<string>; byTask: Map<string, Set<string>> }
  >();
  for (const fw of enumerate(rs).frameworks) {
    for (const task of fw.tasks) {
      const job = jobOfTask(task.id);
      if (job === undefined) continue;
      let g = groups.get(job);
      if (!g) {
        g = { a: new Set(), srv: new Set(), targets: new Set(), byTask: new Map() };
        groups.set(job, g);
      }
      const own = new Set<string>();
      for (const r of task.records) {
        if (r.rtype === 'SRV') {
          g.srv.add(r.name);
          const target = r.host.slice(0, r.host.lastIndexOf(':'));
          g.targets.add(target);
          own.add(target);
        } else g.a.add(r.name);
      }
      g.byTask.set(task.id, own);
    }
  }
  const out = new Map<string, JobDnsNames>();
  for (const [job, g] of groups) {
    // An instance's own name is what SRV records point at; the rest of the A names are the job's.
    const a = new Set([...g.a].filter((n) => !g.targets.has(n)));
    // `_port.<an SRV name>` is the SRV name of that named port.
    const named = new Set<string>();
    for (const n of g.srv) {
      const dot = n.indexOf('.');
      if (n.startsWith('_') && dot > 0 && g.srv.has(n.slice(dot + 1))) named.add(n);
    }
    const srv = new Set([...g.srv].filter((n) => !named.has(n)));
    const byTask: Record<string, string[]> = {};
    for (const [id, names] of g.byTask) byTask[id] = sorted(names);
    out.set(job, { a: sorted(a), srv: sorted(srv), namedSrv: sorted(named), byTask });
  }
  return out;
}
