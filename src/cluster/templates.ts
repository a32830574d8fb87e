// Thermos/Mesos templates in process command lines: `{{thermos.ports[NAME]}}`, `{{mesos.instance}}`,
// `{{mesos.hostname}}`, `{{thermos.task_id}}`. Which ports a job needs is read from them (plus the
// announcer's primary port and portmap targets, as Aurora's client computes them).
import { JobError } from '../errors.js';

/** The subset of a job these functions read (kept structural so it does not import the schema). */
export interface TemplatedJob {
  processes: { name: string; cmdline: string }[];
  announce?: { primary_port: string; portmap?: Record<string, string | number> };
}

export interface TemplateContext {
  ports: Record<string, number>;
  instance: number;
  hostname: string;
  taskId: string;
}

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PORT = /^thermos\.ports\[([A-Za-z0-9_][A-Za-z0-9_.-]*)\]$/;
const KNOWN = new Set(['mesos.instance', 'mesos.hostname', 'thermos.task_id']);

/** Problems with templates, one line per bad template, naming the field. */
export function checkTemplates(job: TemplatedJob): string[] {
  const out: string[] = [];
  job.processes.forEach((p, i) => {
    for (const m of p.cmdline.matchAll(TEMPLATE)) {
      const expr = m[1]!;
      if (!PORT.test(expr) && !KNOWN.has(expr)) {
        out.push(
          `processes[${i}].cmdline: unknown template '{{${expr}}}' (expected {{thermos.ports[NAME]}}, {{mesos.instance}}, {{mesos.hostname}} or {{thermos.task_id}})`,
        );
      }
    }
  });
  return out;
}

/** Port names referenced by `{{thermos.ports[NAME]}}` in the processes, sorted. */
export function referencedPorts(job: TemplatedJob): string[] {
  const names = new Set<string>();
  for (const p of job.processes) {
    for (const m of p.cmdline.matchAll(TEMPLATE)) {
      const port = PORT.exec(m[1]!);
      if (port) names.add(port[1]!);
    }
  }
  return [...names].sort();
}

/** The ports the scheduler assigns: those the processes reference, the announcer's primary port,
 *  and portmap targets that are port names, minus names that are themselves portmap aliases
 *  (those resolve through the map, never get a port of their own). */
export function requestedPorts(job: TemplatedJob): string[] {
  const names = new Set(referencedPorts(job));
  if (job.announce) {
    const portmap = job.announce.portmap ?? { aurora: job.announce.primary_port };
    const aliases = new Set(Object.keys(portmap));
    if (!aliases.has(job.announce.primary_port)) names.add(job.announce.primary_port);
    for (const target of Object.values(portmap)) {
      if (typeof target === 'string' && !/^\d+$/.test(target) && !aliases.has(target))
        names.add(target);
    }
    for (const alias of aliases) names.delete(alias);
  }
  return [...names].sort();
}

/** Fills the templates of one command line for one task. */
export function renderTemplates(cmdline: string, ctx: TemplateContext): string {
  return cmdline.replace(TEMPLATE, (_all, expr: string) => {
    const port = PORT.exec(expr);
    if (port) {
      const n = ctx.ports[port[1]!];
      if (n === undefined)
        throw new JobError(`no port '${port[1]}' was assigned to task ${ctx.taskId}`);
      return String(n);
    }
    if (expr === 'mesos.instance') return String(ctx.instance);
    if (expr === 'mesos.hostname') return ctx.hostname;
    if (expr === 'thermos.task_id') return ctx.taskId;
    throw new JobError(`unknown template '{{${expr}}}'`);
  });
}
