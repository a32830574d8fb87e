// Picks and builds the state source a config asks for: `--state FILE`, else ZooKeeper leader
// detection (`zk`, with `masters` as fallbacks; always polled), else the `masters` poll — or their
// v1 event stream with `"stateSource": "stream"`. Reads TLS material and
// credentials here so a bad file or value fails at start with the key's name.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/mesos-dns.js';
import { ConfigError } from '../errors.js';
import type { MesosState } from '../model/mesos-state.js';
import { stateParserSliced } from '../sources/sliced-parser.js';
import type { BackoffOptions } from '../sources/backoff.js';
import type { FetchOptions } from '../sources/fetch-state.js';
import { FileStateSource } from '../sources/file-source.js';
import type { SourceStats } from '../sources/source-stats.js';
import { parseMasterAddress, type MasterAddress } from '../sources/master-address.js';
import { MasterPollSource } from '../sources/master-poll.js';
import { StreamStateSource } from '../sources/stream.js';
import type { StateSource } from '../sources/types.js';
import { ZkStateSource } from '../sources/zk-source.js';
import { parseZkUrl } from '../sources/zk-url.js';
import { collectYoungNow } from './heap.js';
import type { Coordination } from '../zk/types.js';
import { zkParts } from './zk-parts.js';

export interface SourceChoice {
  /** `--state FILE`: serve this document instead of asking masters. */
  statePath?: string;
  /** Re-read the state file on SIGHUP. Default false. */
  reloadOnSighup?: boolean;
  /** Use this session for `zk` instead of opening one from the URL (tests: the embedded store). */
  coordination?: Coordination;
  backoff?: BackoffOptions;
  /** Millisecond overrides of refreshSeconds / stateTimeoutSeconds / zkDetectionTimeout (tests). */
  timing?: { refreshMs?: number; stateTimeoutMs?: number; zkDetectionTimeoutMs?: number };
  /** Where the sources count ZooKeeper session and event-stream figures for /metrics. */
  stats?: SourceStats;
  /** Makes the state source instead (tests: a scripted source that emits snapshots and changes
   *  when told). Called for the first config and for every reload that rebuilds the sources. */
  makeSource?: (config: Config) => StateSource<MesosState>;
}

function readKeyFile(
  config: Config,
  key: 'CACertFile' | 'CertFile' | 'KeyFile',
): Buffer | undefined {
  const path = config[key];
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(
      `"${key}": cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      {
        cause: e,
      },
    );
  }
}

function masters(config: Config): MasterAddress[] {
  return config.masters.map((m, i) => parseMasterAddress(m, `"masters"[${i}]`));
}

/** The configured source, not started. Throws ConfigError when none is configured. */
export function makeStateSource(
  config: Config,
  choice: SourceChoice = {},
): StateSource<MesosState> {
  if (choice.makeSource) return choice.makeSource(config);
  if (choice.statePath) {
    return new FileStateSource<MesosState>({
      path: choice.statePath,
      parse: stateParserSliced,
      reloadOnSighup: choice.reloadOnSighup ?? false,
    });
  }
  const fetch: { basicAuth?: FetchOptions['basicAuth']; tls?: FetchOptions['tls'] } = {};
  if (config.MesosAuthentication === 'basic') {
    fetch.basicAuth = {
      principal: config.MesosCredentials.Principal,
      secret: config.MesosCredentials.Secret,
    };
  }
  if (config.MesosHTTPSOn) {
    fetch.tls = {
      ca: readKeyFile(config, 'CACertFile'),
      cert: readKeyFile(config, 'CertFile'),
      key: readKeyFile(config, 'KeyFile'),
    };
  }
  const poll = {
    masters: masters(config),
    parse: stateParserSliced,
    refreshMs: choice.timing?.refreshMs ?? config.refreshSeconds * 1000,
    timeoutMs: choice.timing?.stateTimeoutMs ?? config.stateTimeoutSeconds * 1000,
    https: config.MesosHTTPSOn,
    backoff: choice.backoff,
    ...fetch,
  };
  if (config.zk) {
    const url = parseZkUrl(config.zk, '"zk"');
    const coordination =
      choice.coordination ??
      zkParts().openCoordination(
        url.connectString,
        url.digest ? { auth: [{ scheme: 'digest', auth: url.digest }] } : {},
      );
    return new ZkStateSource<MesosState>({
      ...poll,
      coordination,
      ownsCoordination: choice.coordination === undefined,
      path: url.path,
      url: config.zk,
      detectionTimeoutMs: choice.timing?.zkDetectionTimeoutMs ?? config.zkDetectionTimeout * 1000,
      stats: choice.stats,
    });
  }
  if (poll.masters.length > 0) {
    if (config.stateSource === 'stream') {
      // The v1 operator event stream; it polls /master/state by itself while the stream is down.
      return new StreamStateSource({
        masters: poll.masters,
        refreshMs: poll.refreshMs,
        timeoutMs: poll.timeoutMs,
        https: poll.https,
        backoff: poll.backoff,
        stats: choice.stats,
        collectYoung: collectYoungNow,
        ...fetch,
      });
    }
    return new MasterPollSource<MesosState>(poll);
  }
  throw new ConfigError(
    'no state source: set "zk" or "masters" in the config, or pass --state FILE',
  );
}
