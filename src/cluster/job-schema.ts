// The job file: an Aurora-like job description (YAML or JSON, one zod schema). Parsing turns every
// problem into a JobError naming the file, the field and what was expected. Unknown keys are
// rejected rather than warned about: a misspelt `instance:` silently running the default would be
// worse than a clear error (pystachio, Aurora's config language, rejects unknown attributes too).
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { JobError } from '../errors.js';
import { checkTemplates, requestedPorts } from './templates.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** `cluster/role/environment/name`, e.g. `devcluster/vagrant/test/http_example`. */
export const jobKeySchema = z
  .string()
  .refine((s) => s.split('/').length === 4 && s.split('/').every((p) => NAME.test(p)), {
    message:
      'expected a job key cluster/role/environment/name, e.g. devcluster/vagrant/test/http_example',
  });

/** Sizes in MB: a number, or a string with a unit (`64MB`, `1GB`, `512 MiB`). */
const sizeMb = z.union(
  [
    z.number().positive('expected a positive size in MB'),
    z
      .string()
      .regex(
        /^\s*\d+(\.\d+)?\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)\s*$/i,
        'expected a size such as 64MB or 1GB',
      )
      .transform((s) => {
        const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(s)!;
        const unit = m[2]!.toUpperCase().replace('I', '');
        const factor: Record<string, number> = {
          B: 1 / 2 ** 20,
          KB: 1 / 1024,
          MB: 1,
          GB: 1024,
          TB: 1024 * 1024,
        };
        return Number(m[1]) * factor[unit]!;
      }),
  ],
  { error: 'expected a size in MB (a number) or with a unit, such as 64MB or 1GB' },
);

const processSchema = z.strictObject({
  /** Process name (Thermos process), used for its log files. */
  name: z.string().regex(NAME, 'expected a process name of letters, digits, "_", "-", "."'),
  /** Shell command line; may use {{thermos.ports[NAME]}}, {{mesos.instance}}, {{mesos.hostname}},
   *  {{thermos.task_id}}. Run with `sh -c` in the task's sandbox. */
  cmdline: z.string().min(1, 'expected a non-empty command line'),
});

const resourcesSchema = z.strictObject({
  /** CPUs per instance. Default 0.1. */
  cpu: z.number().positive('expected a positive number of CPUs').default(0.1),
  /** RAM per instance, MB. Default 64. */
  ram: sizeMb.default(64),
  /** Disk per instance, MB. Default 64. */
  disk: sizeMb.default(64),
});

const portRef = z.union(
  [
    z.string().regex(NAME, 'expected a port name or a port number'),
    z.number().int().min(1).max(65535),
  ],
  { error: 'expected a port name or a port number from 1 to 65535' },
);

const announceSchema = z.strictObject({
  /** Port name for `serviceEndpoint`. Default `http`. */
  primary_port: z.string().regex(NAME, 'expected a port name').default('http'),
  /** Aliases: name → another port name or a static port number. Replaces the default
   *  `{aurora: <primary_port>}` when given (no merge), as Aurora does. */
  portmap: z.record(z.string().regex(NAME, 'expected a port name'), portRef).optional(),
  /** Custom ServerSet path (honoured only when the devcluster allows custom paths). */
  zk_path: z.string().startsWith('/', 'expected an absolute ZooKeeper path').optional(),
});

const healthCheckSchema = z.strictObject({
  /** Named port the check connects to. Default `health`. */
  port: z.string().regex(NAME, 'expected a port name').default('health'),
  /** HTTP path. Default `/health`. */
  path: z.string().startsWith('/', 'expected a path starting with "/"').default('/health'),
  /** Body the endpoint must answer (trimmed). Default `ok`. */
  expected_response: z.string().default('ok'),
  /** Seconds between checks. Default 1. */
  interval_secs: z.number().positive('expected a positive number of seconds').default(1),
  /** Seconds after start before failures count. Default 5. */
  initial_interval_secs: z.number().min(0, 'expected seconds ≥ 0').default(5),
  /** Consecutive failures (after the initial interval) that fail the task. Default 3. */
  max_consecutive_failures: z.number().int().min(1, 'expected an integer ≥ 1').default(3),
  /** Bound of one check, seconds. Default 1. */
  timeout_secs: z.number().positive('expected a positive number of seconds').default(1),
});

const restartSchema = z.strictObject({
  /** `always` (an Aurora service: restart whatever the exit), `on_failure`, or `never`. Default `always`. */
  mode: z.enum(['always', 'on_failure', 'never']).default('always'),
  /** First restart delay after a failure, seconds. Default 1. */
  initial_backoff_secs: z.number().min(0, 'expected seconds ≥ 0').default(1),
  /** Cap of the doubling restart delay, seconds. Default 30. */
  max_backoff_secs: z.number().min(0, 'expected seconds ≥ 0').default(30),
  /** A task that ran at least this long resets the backoff. Default 30. */
  reset_after_secs: z.number().min(0, 'expected seconds ≥ 0').default(30),
});

export const jobSchema = z.strictObject({
  /** `cluster/role/environment/name`. */
  job: jobKeySchema,
  /** Number of instances. Default 1. */
  instances: z
    .number()
    .int()
    .min(1, 'expected an integer ≥ 1')
    .max(1000, 'expected at most 1000')
    .default(1),
  /** Aurora tier, published as the label `org.apache.aurora.tier`. Default `preemptible`. */
  tier: z.string().regex(NAME, 'expected a tier name').default('preemptible'),
  /** Free-form metadata, published as labels `org.apache.aurora.metadata.<key>`. */
  metadata: z.record(z.string(), z.string()).default({}),
  /** Environment variables added to every process. */
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
      z.string(),
    )
    .default({}),
  resources: resourcesSchema.default({ cpu: 0.1, ram: 64, disk: 64 }),
  processes: z.array(processSchema).min(1, 'expected at least one process'),
  announce: announceSchema.optional(),
  health_check: healthCheckSchema.optional(),
  restart_policy: restartSchema.default({
    mode: 'always',
    initial_backoff_secs: 1,
    max_backoff_secs: 30,
    reset_after_secs: 30,
  }),
  /** Seconds between SIGTERM and SIGKILL when a task is killed. Default 5. */
  kill_grace_secs: z.number().min(0, 'expected seconds ≥ 0').default(5),
  /** Directory the job file came from; processes see it as $BEACON_JOB_DIR. Set by the CLI. */
  job_dir: z.string().optional(),
});

/** A validated job, every default filled in. */
export type JobConfig = z.output<typeof jobSchema>;
/** What a job file may contain (defaults optional). */
export type JobInput = z.input<typeof jobSchema>;

export interface JobKey {
  cluster: string;
  role: string;
  environment: string;
  name: string;
}

export function parseJobKey(key: string): JobKey {
  const r = jobKeySchema.safeParse(key);
  if (!r.success) throw new JobError(`job key '${key}': ${r.error.issues[0]!.message}`);
  const [cluster, role, environment, name] = key.split('/') as [string, string, string, string];
  return { cluster, role, environment, name };
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v} ${String(v)}`;
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = doc;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Validates an already-decoded job document. `source` names where it came from (file name). */
export function validateJob(doc: unknown, source: string): JobConfig {
  const r = jobSchema.safeParse(doc);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 5).map((issue) => {
      const field = fieldPath(issue.path);
      if (issue.code === 'unrecognized_keys') {
        const where = issue.path.length ? `${fieldPath(issue.path)}: ` : '';
        return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      }
      const got = valueAt(doc, issue.path);
      if (issue.code === 'invalid_type') {
        const what =
          issue.expected === 'object'
            ? 'a mapping'
            : issue.expected === 'array'
              ? 'a list'
              : `a ${issue.expected}`;
        return `${field}: expected ${what} (${got === undefined ? 'it is missing' : `got ${describe(got)}`})`;
      }
      const gotText = got === undefined ? 'it is missing' : `got ${describe(got)}`;
      return `${field}: ${issue.message} (${gotText})`;
    });
    const more = r.error.issues.length > 5 ? ` (and ${r.error.issues.length - 5} more)` : '';
    throw new JobError(`${source}: ${lines.join('; ')}${more}`);
  }
  const job = r.data;
  const problems = checkTemplates(job);
  if (problems.length) throw new JobError(`${source}: ${problems.join('; ')}`);
  const ports = [...requestedPorts(job), ...Object.keys(job.announce?.portmap ?? {})];
  if (job.health_check && !ports.includes(job.health_check.port)) {
    throw new JobError(
      `${source}: health_check.port: port '${job.health_check.port}' is not used by any process; reference it as {{thermos.ports[${job.health_check.port}]}} or name another port`,
    );
  }
  return job;
}

/** Decodes job text (YAML, of which JSON is a subset) and validates it. */
export function parseJobText(text: string, source: string): JobConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw new JobError(
      `${source}: not valid ${/\.json$/i.test(source) ? 'JSON' : 'YAML'}${at}: ${e.message.split('\n')[0]}`,
    );
  }
  let value: unknown;
  try {
    // toJS resolves aliases: an alias bomb or an alias to no anchor throws here (found by the job
    // file fuzzer, test/cluster/jobfile-fuzz.test.ts) and must be a JobError like any bad file.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new JobError(
      `${source}: not usable ${/\.json$/i.test(source) ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  return validateJob(value, source);
}

/** Reads and validates a job file (`.yaml`, `.yml` or `.json`). */
export function loadJobFile(path: string): JobConfig {
  const ext = extname(path).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new JobError(`${path}: expected a job file ending in .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new JobError(
      `${path}: cannot read the job file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return parseJobText(text, path);
}
