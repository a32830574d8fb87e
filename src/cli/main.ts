// `beacon` CLI entry: builds the command tree and turns every error into one line + exit code.
// Each command group lives in its own file and registers itself here.
import { Command, CommanderError } from 'commander';
import { formatError } from '../errors.js';
import { setLogLevel } from '../log.js';
import { VERSION } from '../version.js';
type Register = (program: Command) => void;

// Command groups load on demand: `beacon records` should not pay for loading ZooKeeper, the DNS
// server and the devcluster. Only help (or an unknown command) loads them all.
const GROUPS: Record<string, () => Promise<Register>> = {
  records: async () => (await import('./records.js')).registerRecords,
  dns: async () => (await import('./dns.js')).registerDns,
  serverset: async () => (await import('./serverset.js')).registerServerset,
  job: async () => (await import('./job.js')).registerJob,
  devcluster: async () => (await import('./devcluster.js')).registerDevcluster,
};

/** The first argument that is not a global option: the command group asked for. */
function requestedGroup(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('beacon')
    .description('Service discovery for Aurora/Mesos-style clusters')
    .version(VERSION)
    .option('--debug', 'print debug logs and stack traces')
    .showSuggestionAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    if (cmd.opts().debug) setLogLevel('debug');
  });
  const group = requestedGroup(argv);
  const wanted = group && group in GROUPS ? [group] : Object.keys(GROUPS);
  for (const register of await Promise.all(wanted.map((g) => GROUPS[g]!()))) register(program);
  return program;
}

// `beacon … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (usage errors, --help, --version).
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`beacon: ${formatError(e)}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = process.exitCode || 1;
  }
}

await main(process.argv);
