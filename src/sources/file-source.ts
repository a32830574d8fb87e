// A static state document from a file (`beacon dns --state FILE`): read at start and again on
// SIGHUP when asked, so an operator can preview or pin records without a master.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { logger } from '../log.js';
import { RefreshHealth } from './common.js';
import type {
  SourceStatus,
  StateParser,
  StateSnapshot,
  StateSource,
  StateSourceEvents,
} from './types.js';

const log = logger('source');

export interface FileSourceOptions<S> {
  path: string;
  parse: StateParser<S>;
  /** Re-read the file when the process receives SIGHUP. Default false. */
  reloadOnSighup?: boolean;
}

/** Reads and parses a state file; throws InputError naming the file when it cannot be used. */
export async function readStateFile<S>(
  path: string,
  parse: StateParser<S>,
): Promise<StateSnapshot<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(
      `--state ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      {
        cause: e,
      },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`--state ${path}: not JSON (${(e as Error).message})`, { cause: e });
  }
  text = ''; // not kept alive while the model is built (in slices, over many event-loop turns)
  let parsed: { state: S; warnings: string[] };
  try {
    parsed = await parse(doc);
  } catch (e) {
    throw new InputError(`--state ${path}: unusable state document: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return {
    state: parsed.state,
    warnings: parsed.warnings,
    fetchedAt: Date.now(),
    from: `file:${resolve(path)}`,
  };
}

export class FileStateSource<S>
  extends EventEmitter<StateSourceEvents<S>>
  implements StateSource<S>
{
  private readonly opts: FileSourceOptions<S>;
  private closed = false;
  private started = false;
  private readonly health = new RefreshHealth();
  private loading: Promise<void> | undefined;
  private readonly onHup = () => this.reload();

  constructor(options: FileSourceOptions<S>) {
    super();
    this.opts = options;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.opts.reloadOnSighup) process.on('SIGHUP', this.onHup);
    this.reload();
  }

  refresh(): void {
    this.reload();
  }

  /** Reads the file again; a failure keeps the previous snapshot in use. */
  reload(): void {
    if (this.closed) return;
    const run = this.load();
    this.loading = run.finally(() => {
      if (this.loading === run) this.loading = undefined;
    });
  }

  status(): SourceStatus {
    return {
      kind: 'file',
      target: this.opts.path,
      ...this.health.status(),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    process.off('SIGHUP', this.onHup);
    await this.loading;
  }

  private async load(): Promise<void> {
    try {
      const snap = await readStateFile(this.opts.path, this.opts.parse);
      if (this.closed) return;
      this.health.succeeded(snap.from, snap.fetchedAt);
      this.emit('snapshot', snap);
    } catch (e) {
      if (this.closed) return;
      const error = e instanceof Error ? e : new Error(String(e));
      const at = this.health.failed(error);
      // At start the caller reports it (one line); a failed reload is worth a warning here.
      if (this.health.lastSuccessAt !== undefined)
        log.warn({ err: error.message }, 'state file reload failed; keeping the last good state');
      this.emit('failure', { error, at, consecutive: this.health.consecutive });
    }
  }
}
