// `beacon job create|kill|restart|status|list`: Aurora-style job commands against the devcluster
// master's jobs API (`--master URL`, default http://127.0.0.1:5050; `--api-token TOKEN` or
// $BEACON_API_TOKEN when the master was started with a token).
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { API_TOKEN_ENV, resolveApiToken } from '../cluster/auth.js';
import { JobsClient } from '../cluster/jobs-client.js';
import { loadJobFile, parseJobKey } from '../cluster/job-schema.js';
import type { JobView } from '../cluster/scheduler.js';

const DEFAULT_MASTER = 'http://127.0.0.1:5050';

function parseInstances(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`--instances ${text}: expected ids such as 0,2 or 0-3`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`--instances ${text}: range ${part} runs backwards`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** One write per command: output piped into `head` stays whole and never half-written. */
function printView(v: JobView, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    return;
  }
  const lines = [`${v.key}: ${v.instances.length} instance(s)`];
  for (const i of v.instances) {
    const where = i.host ? ` ${i.host}` : '';
    const ports = i.ports
      ? ` ${Object.entries(i.ports)
          .map(([n, p]) => `${n}=${p}`)
          .join(' ')}`
      : '';
    const msg = i.message ? `  (${i.message})` : '';
    lines.push(`  ${i.instance}  ${i.status.padEnd(9)}${where}${ports}${msg}`);
    if (i.taskId) lines.push(`     task ${i.taskId}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerJob(program: Command): void {
  const job = program
    .command('job')
    .description('create, kill, restart and inspect jobs on the devcluster');
  const client = (cmd: Command) => {
    const o = cmd.optsWithGlobals() as { master?: string; apiToken?: string };
    return new JobsClient(o.master ?? DEFAULT_MASTER, resolveApiToken(o.apiToken));
  };
  const tokenOpt = [
    '--api-token <token>',
    `token of a master started with one (default: $${API_TOKEN_ENV})`,
  ] as const;
  const masterOpt = [
    '--master <url>',
    `the devcluster master (default ${DEFAULT_MASTER})`,
  ] as const;

  /** The options every job command takes after its own: --master, --api-token, --json. */
  const withCommonOptions = (c: Command): Command =>
    c
      .option(...masterOpt)
      .option(...tokenOpt)
      .option('--json', 'print the result as JSON');

  withCommonOptions(
    job
      .command('create')
      .description('submit a job file (YAML or JSON) under KEY (cluster/role/env/name)')
      .argument('<key>', 'job key, e.g. devcluster/vagrant/test/http_example')
      .argument('<file>', 'job file, e.g. examples/http_example.yaml'),
  ).action(async (key: string, file: string, opts: { json?: boolean }, cmd: Command) => {
    parseJobKey(key);
    const config = loadJobFile(file);
    config.job_dir ??= dirname(resolve(file));
    const v = await client(cmd).create(key, config, file);
    printView(v, opts.json ?? false);
  });

  // kill and restart differ only in what the master is asked to do.
  const instancesCommand = (
    name: string,
    description: string,
    act: (c: JobsClient, key: string, ids: number[] | undefined) => Promise<JobView>,
  ): void => {
    withCommonOptions(
      job
        .command(name)
        .description(description)
        .argument('<key>', 'job key')
        .option('--instances <ids>', 'instance ids, e.g. 0,2 or 0-3 (default: all)'),
    ).action(async (key: string, opts: { instances?: string; json?: boolean }, cmd: Command) => {
      parseJobKey(key);
      printView(await act(client(cmd), key, parseInstances(opts.instances)), opts.json ?? false);
    });
  };
  instancesCommand('kill', 'kill a job, or some of its instances', (c, key, ids) =>
    c.kill(key, ids),
  );
  instancesCommand(
    'restart',
    "restart a job's instances (their tasks are replaced)",
    (c, key, ids) => c.restart(key, ids),
  );

  const status = job
    .command('status')
    .description("a job's instances: status, host, ports, task id, and why it is pending")
    .argument('<key>', 'job key');
  withCommonOptions(status).action(async (key: string, opts: { json?: boolean }, cmd: Command) => {
    parseJobKey(key);
    printView(await client(cmd).status(key), opts.json ?? false);
  });

  withCommonOptions(job.command('list').description('the jobs on the devcluster')).action(
    async (opts: { json?: boolean }, cmd: Command) => {
      const jobs = await client(cmd).list();
      if (opts.json) return void process.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
      if (!jobs.length) return void process.stdout.write('no jobs\n');
      for (const j of jobs) {
        process.stdout.write(
          `${j.key}  instances=${j.instances} running=${j.running} pending=${j.pending}\n`,
        );
      }
    },
  );
}
