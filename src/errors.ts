// Beacon's one error taxonomy: every error a user can see has a stable code (BEACON_E_*), a class
// per kind, and a message that says what was wrong, where, and what to do.

export const ErrorCodes = {
  USAGE: 'BEACON_E_USAGE',
  CONFIG: 'BEACON_E_CONFIG',
  INPUT: 'BEACON_E_INPUT',
  DECODE: 'BEACON_E_DECODE',
  NAME: 'BEACON_E_NAME',
  PORTMAP: 'BEACON_E_PORTMAP',
  ZK_UNREACHABLE: 'BEACON_E_ZK_UNREACHABLE',
  ZK_AUTH: 'BEACON_E_ZK_AUTH',
  ZK: 'BEACON_E_ZK',
  ZK_CLOSED: 'BEACON_E_ZK_CLOSED',
  STATE: 'BEACON_E_STATE',
  PORT_IN_USE: 'BEACON_E_PORT_IN_USE',
  NOT_FOUND: 'BEACON_E_NOT_FOUND',
  TIMEOUT: 'BEACON_E_TIMEOUT',
  JOB: 'BEACON_E_JOB',
  CHILD: 'BEACON_E_CHILD',
  UNAUTHORIZED: 'BEACON_E_UNAUTHORIZED',
  NO_MEMBERS: 'BEACON_E_NO_MEMBERS',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class BeaconError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad command-line usage (unknown flag value, missing argument). */
export class UsageError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
  }
}
/** A config file or config value is invalid; the message names the key. */
export class ConfigError extends BeaconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CONFIG, message, options);
  }
}
/** User-supplied input (a file, a flag value, a spec string) is malformed. */
export class InputError extends BeaconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.INPUT, message, options);
  }
}
/** Bytes on the wire or in a node could not be decoded. */
export class DecodeError extends BeaconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.DECODE, message, options);
  }
}
/** A ServerSet name (`zk!…`, `zk2!…`, `/$/com.twitter.serverset/…`) is malformed. */
export class NameError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.NAME, message);
  }
}
/** An announcer portmap cannot be resolved (cycle, unknown name). */
export class PortmapError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.PORTMAP, message);
  }
}
/** No ZooKeeper server could be reached within the bound. */
export class ZkUnreachableError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.ZK_UNREACHABLE, message);
  }
}
/** Why a ZooKeeper operation failed, independent of the backend (real ZooKeeper or embedded). */
export type ZkReason =
  | 'noNode'
  | 'nodeExists'
  | 'notEmpty'
  | 'badVersion'
  | 'noAuth'
  | 'authFailed'
  | 'invalidAcl'
  | 'badArguments'
  | 'noChildrenForEphemerals'
  | 'connectionLoss'
  | 'sessionExpired'
  | 'closed'
  | 'other';

/** A ZooKeeper operation failed; `reason` says why. Connection-type reasons are retryable. */
export class ZkError extends BeaconError {
  readonly reason: ZkReason;
  constructor(reason: ZkReason, message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? ErrorCodes.ZK, message, options);
    this.reason = reason;
  }
  /** Connection loss / session expiry: the operation may be retried on a (new) session. */
  get retryable(): boolean {
    return this.reason === 'connectionLoss' || this.reason === 'sessionExpired';
  }
}
/** ZooKeeper refused an operation for lack of rights (NoAuth / AuthFailed). */
export class ZkAuthError extends ZkError {
  constructor(reason: 'noAuth' | 'authFailed', message: string, options?: { cause?: unknown }) {
    super(reason, message, { ...options, code: ErrorCodes.ZK_AUTH });
  }
}
/** The coordination session was closed by its owner; nothing more can be done with it. */
export class ZkClosedError extends ZkError {
  constructor(message = 'the coordination session is closed') {
    super('closed', message, { code: ErrorCodes.ZK_CLOSED });
  }
}
/** A Mesos state document is unusable as a whole. */
export class StateError extends BeaconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.STATE, message, options);
  }
}
/** A listener could not bind because the port is taken. */
export class PortInUseError extends BeaconError {
  constructor(what: string, host: string, port: number) {
    super(
      ErrorCodes.PORT_IN_USE,
      `${what}: ${host}:${port} is already in use; stop whatever listens there or choose another port`,
    );
  }
}
export class NotFoundError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.NOT_FOUND, message);
  }
}
export class TimeoutError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.TIMEOUT, message);
  }
}
/** A job file or job operation is invalid. */
export class JobError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.JOB, message);
  }
}
/** A child process could not be started. */
export class ChildError extends BeaconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CHILD, message, options);
  }
}

/** A request to a protected API lacked the right credentials (HTTP 401). */
export class UnauthorizedError extends BeaconError {
  constructor(message: string) {
    super(ErrorCodes.UNAUTHORIZED, message);
  }
}

/** A client request found no ServerSet member to send to within its timeout. */
export class NoMembersError extends BeaconError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.NO_MEMBERS, message, options);
  }
}

export function isBeaconError(e: unknown): e is BeaconError {
  return e instanceof BeaconError;
}

/** One line for a user: `beacon: <message> [CODE]`. */
export function formatError(e: unknown): string {
  if (e instanceof BeaconError) return `${e.message} [${e.code}]`;
  if (e instanceof Error) return e.message;
  return String(e);
}
