// `beacon records --state FILE|URL [--config config.json] [--format zone|json]`: prints the
// records Beacon (and Mesos-DNS) would serve for a state document, sorted, one per line. How
// operators preview names, and what the golden tests read.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { type Config, defaultConfig, loadConfig, recordsConfig } from '../config/mesos-dns.js';
import { InputError, StateError, UsageError } from '../errors.js';
import {
  type MesosState,
  type StateParseResult,
  formatWarning,
  parseState,
} from '../model/mesos-state.js';
import { listRecords, recordLines, writeZoneLines, zoneInfo } from '../records/index.js';
import { fetchStateJson } from '../sources/fetch-state.js';

interface RecordsFlags {
  state: string;
  config?: string;
  format: 'zone' | 'json';
  timeout: string;
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** A master address given as a bare URL (`http://m1:5050`) means its /master/state. */
function stateUrl(text: string): string {
  const u = new URL(text);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/master/state';
  return u.toString();
}

async function readStateDoc(where: string, config: Config, timeoutMs: number): Promise<unknown> {
  if (isUrl(where)) {
    const opts: Parameters<typeof fetchStateJson>[1] = { timeoutMs };
    if (config.MesosAuthentication === 'basic') {
      opts.basicAuth = {
        principal: config.MesosCredentials.Principal,
        secret: config.MesosCredentials.Secret,
      };
    }
    return fetchStateJson(stateUrl(where), opts);
  }
  let text: string;
  try {
    text = readFileSync(where, 'utf8');
  } catch (e) {
    throw new InputError(
      `--state ${where}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`--state ${where}: not JSON (${(e as Error).message})`);
  }
}

// stdout is written synchronously for files and pipes on POSIX, so chunks go out as they are made
// (nothing accumulates); elsewhere the stream buffers them and flushes before exit.
function writeOut(chunk: string): void {
  process.stdout.write(chunk);
}

/** Parses and warns; a separate function so the raw document is garbage once it returns (a
 *  100,000-task document is hundreds of MB of objects). */
function parseAndWarn(doc: unknown, where: string, warn: (line: string) => void): MesosState {
  let parsed: StateParseResult;
  try {
    parsed = parseState(doc);
  } catch (e) {
    if (e instanceof StateError) throw new StateError(`--state ${where}: ${e.message}`);
    throw e;
  }
  for (const w of parsed.warnings) warn(formatWarning(w));
  if (parsed.warnings.length > 0) {
    process.stderr.write(
      `beacon records: ${parsed.warnings.length} state item(s) skipped or doubtful (see above)\n`,
    );
  }
  return parsed.state;
}

export async function runRecords(flags: RecordsFlags): Promise<void> {
  const timeoutS = Number(flags.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    throw new UsageError(`--timeout "${flags.timeout}": expected a positive number of seconds`);
  }
  let config = defaultConfig();
  const warn = (line: string) => process.stderr.write(`beacon records: warning: ${line}\n`);
  if (flags.config) {
    const r = await loadConfig(flags.config);
    config = r.config;
    r.warnings.forEach(warn);
  }
  const state = parseAndWarn(
    await readStateDoc(flags.state, config, Math.round(timeoutS * 1000)),
    flags.state,
    warn,
  );
  // A one-shot listing: no refcounted, incrementally updatable set (see records/one-shot.ts).
  const cfg = recordsConfig(config);
  const records = listRecords(state, cfg);
  if (flags.format === 'json') {
    const body = { zone: zoneInfo(cfg), records: recordLines(records, cfg.ttl, cfg.srvWeight) };
    writeOut(`${JSON.stringify(body)}\n`);
    return;
  }
  // Small chunks: fewer live cons-strings per chunk makes the young-generation GC cheaper.
  writeZoneLines(records, cfg.ttl, cfg.srvWeight, writeOut, 64 << 10);
}

export function registerRecords(program: Command): void {
  program
    .command('records')
    .description('print the DNS records (Mesos-DNS names) generated from a Mesos state document')
    .requiredOption(
      '--state <file|url>',
      'state JSON file (/master/state or v1 GET_STATE), or a master URL',
    )
    .option(
      '--config <config.json>',
      'Mesos-DNS config.json (domain, ttl, IPSources, EnforceRFC952, masters …)',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['zone', 'json']).default('zone'),
    )
    .option('--timeout <seconds>', 'bound for fetching a URL', '30')
    .action(async (flags: RecordsFlags) => {
      await runRecords(flags);
    });
}
