// The ServerSet member model shared by the codecs, the announcer and the watcher: what one member
// node says about one task (its endpoints, status, shard). Pure types and tiny predicates only.

/** A host and TCP port. Port 0 is legal on the wire: Aurora announces it when the primary port
 *  name does not resolve. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Member status names as written on the wire (commons `com.twitter.thrift.Status`). `UNKNOWN` is
 *  never written: readers use it, as Finagle's zk2 does, for a missing or unrecognised status. */
export const Status = {
  DEAD: 'DEAD',
  STARTING: 'STARTING',
  ALIVE: 'ALIVE',
  STOPPING: 'STOPPING',
  STOPPED: 'STOPPED',
  WARNING: 'WARNING',
  UNKNOWN: 'UNKNOWN',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** The statuses a writer may put on the wire (everything but UNKNOWN). */
export type WritableStatus = Exclude<Status, 'UNKNOWN'>;

/** Thrift enum values of the writable statuses (spec/serverset.md). */
export const STATUS_THRIFT_VALUE: Readonly<Record<WritableStatus, number>> = {
  DEAD: 0,
  STARTING: 1,
  ALIVE: 2,
  STOPPING: 3,
  STOPPED: 4,
  WARNING: 5,
};

export interface ServiceInstance {
  serviceEndpoint: Endpoint;
  /** Named endpoints; `{}` when there are none (always written: the Python reader needs it). */
  additionalEndpoints: Record<string, Endpoint>;
  status: Status;
  /** Aurora writes the instance id here. */
  shard?: number;
  /** Finagle-only string metadata; omitted on the wire when empty. */
  metadata?: Record<string, string>;
}

/** Only ALIVE members serve traffic (Finagle and the commons reader both filter on it). */
export function isAlive(instance: ServiceInstance): boolean {
  return instance.status === Status.ALIVE;
}

/** A status name from the wire, or UNKNOWN for anything else (missing, wrong type, new name). */
export function statusFromName(name: unknown): Status {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(Status, name)) {
    return Status[name as keyof typeof Status];
  }
  return Status.UNKNOWN;
}

/** A Thrift enum value from the wire, or UNKNOWN for values this version does not know. */
export function statusFromThrift(value: number): Status {
  for (const [name, v] of Object.entries(STATUS_THRIFT_VALUE)) {
    if (v === value) return name as WritableStatus;
  }
  return Status.UNKNOWN;
}

/** TCP port as it may appear in a member (0 allowed, see Endpoint). */
export function isWirePort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** Thrift's i32 range: the shard is an i32 on the wire, so larger values cannot round-trip. */
export function isInt32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff;
}
