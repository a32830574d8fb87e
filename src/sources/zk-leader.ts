// Mesos leader detection through ZooKeeper: masters register as sequential children
// `json.info_NNNNNNNNNN` of a group path; the lowest sequence number is the leader and its data is
// a JSON MasterInfo. Watches the children and re-detects on every change, on reconnect and on a
// renewed session (whose watches were lost).
import { EventEmitter } from 'node:events';
import { ZkError } from '../errors.js';
import { logger } from '../log.js';
import type { Coordination } from '../zk/types.js';
import type { MasterAddress } from './master-address.js';
import { parsePid } from './master-address.js';

const log = logger('zk-leader');

const JSON_CHILD = /^json\.info_(\d+)$/;
const PROTOBUF_CHILD = /^info_(\d+)$/;

export interface LeaderInfo {
  address: MasterAddress;
  /** The child node it was read from, e.g. `json.info_0000000003`. */
  node: string;
  hostname?: string;
}

export interface LeaderDetectorEvents {
  /** A new leader, or undefined when the group has none. Emitted on change only. */
  leader: [LeaderInfo | undefined];
  /** A detection attempt failed (kept going: retried on the next watch or reconnect). */
  problem: [Error];
}

/** The address of a MasterInfo JSON document: `address.ip`, else `pid`, else `hostname`, with
 *  `address.port` / `port` (a hostname may not resolve where Beacon runs; the IP does). */
export function masterInfoAddress(
  info: unknown,
): { address: MasterAddress; hostname?: string } | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const o = info as Record<string, unknown>;
  const addr = (typeof o.address === 'object' && o.address !== null ? o.address : {}) as Record<
    string,
    unknown
  >;
  const hostname =
    typeof addr.hostname === 'string'
      ? addr.hostname
      : typeof o.hostname === 'string'
        ? o.hostname
        : undefined;
  const portRaw = addr.port ?? o.port;
  const port =
    typeof portRaw === 'number' && Number.isInteger(portRaw) && portRaw > 0 && portRaw < 65536
      ? portRaw
      : undefined;
  if (typeof addr.ip === 'string' && addr.ip !== '' && port) {
    return { address: { host: addr.ip, port }, hostname };
  }
  const fromPid = parsePid(o.pid);
  if (fromPid) return { address: fromPid, hostname };
  if (hostname && port) return { address: { host: hostname, port }, hostname };
  return undefined;
}

export class LeaderDetector extends EventEmitter<LeaderDetectorEvents> {
  private readonly coord: Coordination;
  private readonly path: string;
  private current: LeaderInfo | undefined;
  private detected = false;
  private running: Promise<void> | undefined;
  private busy = false;
  private again = false;
  private closed = false;
  private childWatchArmed = false;
  private existsWatchArmed = false;
  private readonly onChildWatch = () => {
    this.childWatchArmed = false;
    this.request();
  };
  private readonly onExistsWatch = () => {
    this.existsWatchArmed = false;
    this.request();
  };
  private readonly onConnected = () => this.request();
  private readonly onRenewed = () => {
    // A new session has none of the old session's watches.
    this.childWatchArmed = false;
    this.existsWatchArmed = false;
    this.request();
  };

  constructor(coord: Coordination, path: string) {
    super();
    this.coord = coord;
    this.path = path;
  }

  /** The leader as last detected. */
  leader(): LeaderInfo | undefined {
    return this.current;
  }

  /** True once a detection has completed (with or without a leader). */
  hasDetected(): boolean {
    return this.detected;
  }

  /** Resolves when no detection is running or queued (tests: "the watches are armed now"). */
  async whenIdle(): Promise<void> {
    while (this.busy && this.running && !this.closed) await this.running;
  }

  start(): void {
    this.coord.on('connected', this.onConnected);
    this.coord.on('sessionRenewed', this.onRenewed);
    this.request();
  }

  /** Stops reacting to watches and session events. Does not wait for an operation in flight:
   *  with ZooKeeper unreachable it may only end when the session is closed. */
  async close(): Promise<void> {
    this.closed = true;
    this.coord.off('connected', this.onConnected);
    this.coord.off('sessionRenewed', this.onRenewed);
  }

  /** Runs one detection, coalescing requests that arrive while one runs. */
  private request(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.detectOnce();
      } while (this.again && !this.closed);
    } finally {
      // Cleared synchronously with the last check of `again`, so no request falls in between.
      this.busy = false;
    }
  }

  private async detectOnce(): Promise<void> {
    try {
      // Flags are set before the call: the watch may fire before the call's continuation runs.
      const armChild = !this.childWatchArmed;
      this.childWatchArmed = true;
      let children: string[];
      try {
        children = await this.coord.getChildren(
          this.path,
          armChild ? this.onChildWatch : undefined,
        );
      } catch (e) {
        if (armChild) this.childWatchArmed = false;
        throw e;
      }
      if (this.closed) return;
      const candidates = children
        .map((c) => ({ c, m: JSON_CHILD.exec(c) }))
        .filter((x): x is { c: string; m: RegExpExecArray } => x.m !== null)
        .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
      if (candidates.length === 0) {
        if (children.some((c) => PROTOBUF_CHILD.test(c))) {
          this.emit(
            'problem',
            new ZkError(
              'other',
              `${this.path}: only protobuf info_* leader nodes found; Beacon reads json.info_* (Mesos ≥ 0.24)`,
            ),
          );
        }
        this.setLeader(undefined);
        return;
      }
      // The lowest child may vanish between the listing and the read (leader change); the
      // children watch then fires and this runs again, so reading the next one is not needed.
      const node = candidates[0]!.c;
      const { data } = await this.coord.getData(`${this.path}/${node}`);
      let info: unknown;
      try {
        info = JSON.parse(data.toString('utf8'));
      } catch {
        throw new ZkError('other', `${this.path}/${node}: leader data is not JSON MasterInfo`);
      }
      const addr = masterInfoAddress(info);
      if (!addr)
        throw new ZkError('other', `${this.path}/${node}: MasterInfo has no usable address`);
      this.setLeader({ address: addr.address, node, hostname: addr.hostname });
    } catch (e) {
      if (this.closed) return;
      const err = e instanceof Error ? e : new Error(String(e));
      if (err instanceof ZkError && err.reason === 'noNode') {
        // The group path itself is missing (no master ever ran) or the leader node just went:
        // watch for the path to appear and start over then.
        const arm = !this.existsWatchArmed;
        this.existsWatchArmed = true;
        let stat;
        try {
          stat = await this.coord.exists(this.path, arm ? this.onExistsWatch : undefined);
        } catch (e2) {
          if (arm) this.existsWatchArmed = false;
          this.emit('problem', e2 instanceof Error ? e2 : new Error(String(e2)));
          return;
        }
        if (stat === null) {
          this.childWatchArmed = false;
          this.setLeader(undefined);
        } else {
          this.again = true;
        }
        return;
      }
      // Connection loss and the like: the session's 'connected' / 'sessionRenewed' brings us back.
      log.debug({ err: err.message }, 'leader detection failed');
      this.emit('problem', err);
    }
  }

  private setLeader(next: LeaderInfo | undefined): void {
    if (this.closed) return;
    const first = !this.detected;
    this.detected = true;
    const same =
      (next === undefined && this.current === undefined) ||
      (next !== undefined &&
        this.current !== undefined &&
        next.node === this.current.node &&
        next.address.host === this.current.address.host &&
        next.address.port === this.current.address.port);
    this.current = next;
    if (!same || first) {
      log.info(
        { leader: next ? `${next.address.host}:${next.address.port}` : null },
        'Mesos leader',
      );
      this.emit('leader', next);
    }
  }
}
