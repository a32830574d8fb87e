// `beacon` CLI entry: builds the command tree and turns every error into one line + exit code.
// Each command group lives in its own file and registers itself here.
import { Command, CommanderError } from 'commander';
import { formatError } from '../errors.js';
import { setLogLevel } from '../log.js';
import { VERSION } from '../version.js';
import { registerServerset } from './serverset.js';
import { registerRecords } from './records.js';
import { registerDns } from './dns.js';
import { registerJob } from './job.js';
import { registerDevcluster } from './devcluster.js';

export function buildProgram(): Command {
  const program = new Command('beacon')
    .description('Service discovery for Aurora/Mesos-style clusters')
    .version(VERSION)
    .option('--debug', 'print debug logs and stack traces')
    .showSuggestionAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    if (cmd.opts().debug) setLogLevel('debug');
  });
  registerRecords(program);
  registerDns(program);
  registerServerset(program);
  registerJob(program);
  registerDevcluster(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
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
