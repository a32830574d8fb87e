// Beacon's one error taxonomy: every error a user can see has a stable code (BEACON_E_*), a class
// per kind, and a message that says what was wrong, where, and what to do.

/** Every code Beacon reports, with the HTTP status an HTTP reply carrying it answers with (see
 *  docs/errors.md). Adding a code: a row here, a class below declaring `name` and `code`, an
 *  entry in `errorFor`'s table (the compiler asks for it) and a row in docs/errors.md. */
export const ErrorRegistry = {
  USAGE: { code: 'BEACON_E_USAGE', status: 400 },
  CONFIG: { code: 'BEACON_E_CONFIG', status: 400 },
  INPUT: { code: 'BEACON_E_INPUT', status: 400 },
  DECODE: { code: 'BEACON_E_DECODE', status: 400 },
  NAME: { code: 'BEACON_E_NAME', status: 400 },
  PORTMAP: { code: 'BEACON_E_PORTMAP', status: 400 },
  ZK_UNREACHABLE: { code: 'BEACON_E_ZK_UNREACHABLE', status: 503 },
  ZK_AUTH: { code: 'BEACON_E_ZK_AUTH', status: 502 },
  ZK: { code: 'BEACON_E_ZK', status: 502 },
  ZK_CLOSED: { code: 'BEACON_E_ZK_CLOSED', status: 503 },
  STATE: { code: 'BEACON_E_STATE', status: 502 },
  PORT_IN_USE: { code: 'BEACON_E_PORT_IN_USE', status: 500 },
  NOT_FOUND: { code: 'BEACON_E_NOT_FOUND', status: 404 },
  TIMEOUT: { code: 'BEACON_E_TIMEOUT', status: 504 },
  JOB: { code: 'BEACON_E_JOB', status: 400 },
  JOB_EXISTS: { code: 'BEACON_E_JOB_EXISTS', status: 409 },
  CHILD: { code: 'BEACON_E_CHILD', status: 500 },
  UNAUTHORIZED: { code: 'BEACON_E_UNAUTHORIZED', status: 401 },
  FORBIDDEN: { code: 'BEACON_E_FORBIDDEN', status: 403 },
  METHOD_NOT_ALLOWED: { code: 'BEACON_E_METHOD_NOT_ALLOWED', status: 405 },
  BODY_TOO_LARGE: { code: 'BEACON_E_BODY_TOO_LARGE', status: 413 },
  MEDIA_TYPE: { code: 'BEACON_E_MEDIA_TYPE', status: 415 },
  NOT_READY: { code: 'BEACON_E_NOT_READY', status: 503 },
  NO_MEMBERS: { code: 'BEACON_E_NO_MEMBERS', status: 503 },
  INTERNAL: { code: 'BEACON_E_INTERNAL', status: 500 },
} as const satisfies Record<string, { code: `BEACON_E_${string}`; status: number }>;

type Registry = typeof ErrorRegistry;
export type ErrorCode = Registry[keyof Registry]['code'];

/** The codes by kind (`ErrorCodes.USAGE === 'BEACON_E_USAGE'`), read from the registry. */
export const ErrorCodes = Object.fromEntries(
  Object.entries(ErrorRegistry).map(([kind, row]) => [kind, row.code]),
) as { readonly [K in keyof Registry]: Registry[K]['code'] };

const STATUS = new Map<string, number>(
  Object.values(ErrorRegistry).map((row) => [row.code, row.status]),
);

/** True for a code of the registry (checks a code that came from elsewhere, e.g. a reply). */
export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && STATUS.has(s);
}

/** Base of every Beacon error. Abstract: a code is only ever made by its class below. */
export abstract class BeaconError extends Error {
  abstract readonly code: ErrorCode;
  /** The HTTP status a reply carrying this error answers with (from the registry). */
  get status(): number {
    return STATUS.get(this.code)!;
  }
}

// Each class declares its `name` (kept when code is bundled or minified) and its `code`; the
// constructor is Error's `(message, { cause })` unless the class builds its message itself.

/** Bad command-line usage (unknown flag value, missing argument, an address that cannot be bound). */
export class UsageError extends BeaconError {
  override readonly name = 'UsageError';
  readonly code = ErrorCodes.USAGE;
}
/** A config file or config value is invalid; the message names the key. */
export class ConfigError extends BeaconError {
  override readonly name = 'ConfigError';
  readonly code = ErrorCodes.CONFIG;
}
/** User-supplied input (a file, a flag value, a spec string, a request body) is malformed. */
export class InputError extends BeaconError {
  override readonly name = 'InputError';
  readonly code = ErrorCodes.INPUT;
}
/** Bytes on the wire or in a node could not be decoded. */
export class DecodeError extends BeaconError {
  override readonly name = 'DecodeError';
  readonly code = ErrorCodes.DECODE;
}
/** A ServerSet name (`zk!…`, `zk2!…`, `/$/com.twitter.serverset/…`) is malformed. */
export class NameError extends BeaconError {
  override readonly name = 'NameError';
  readonly code = ErrorCodes.NAME;
}
/** An announcer portmap cannot be resolved (cycle, unknown name). */
export class PortmapError extends BeaconError {
  override readonly name = 'PortmapError';
  readonly code = ErrorCodes.PORTMAP;
}
/** No ZooKeeper server could be reached within the bound. */
export class ZkUnreachableError extends BeaconError {
  override readonly name = 'ZkUnreachableError';
  readonly code = ErrorCodes.ZK_UNREACHABLE;
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
  override readonly name: string = 'ZkError';
  readonly code: ErrorCode = ErrorCodes.ZK;
  readonly reason: ZkReason;
  constructor(reason: ZkReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
  /** Connection loss / session expiry: the operation may be retried on a (new) session. */
  get retryable(): boolean {
    return this.reason === 'connectionLoss' || this.reason === 'sessionExpired';
  }
}
/** ZooKeeper refused an operation for lack of rights (NoAuth / AuthFailed). */
export class ZkAuthError extends ZkError {
  override readonly name = 'ZkAuthError';
  override readonly code = ErrorCodes.ZK_AUTH;
  constructor(reason: 'noAuth' | 'authFailed', message: string, options?: ErrorOptions) {
    super(reason, message, options);
  }
}
/** The coordination session was closed by its owner; nothing more can be done with it. */
export class ZkClosedError extends ZkError {
  override readonly name = 'ZkClosedError';
  override readonly code = ErrorCodes.ZK_CLOSED;
  constructor(message = 'the coordination session is closed') {
    super('closed', message);
  }
}
/** A Mesos state document is unusable as a whole. */
export class StateError extends BeaconError {
  override readonly name = 'StateError';
  readonly code = ErrorCodes.STATE;
  /** A document arrived and was rejected after it was parsed (not JSON, not a usable state):
   *  what was parsed of it is garbage of a load's size (see service/heap.ts). */
  readonly documentRead: boolean;
  constructor(message: string, options?: ErrorOptions & { documentRead?: boolean }) {
    super(message, options);
    this.documentRead = options?.documentRead ?? false;
  }
}
/** Whether `e` says a state document was read and rejected (StateError.documentRead). */
export function documentWasRead(e: unknown): boolean {
  return e instanceof StateError && e.documentRead;
}
/** A listener could not bind because the port is taken. */
export class PortInUseError extends BeaconError {
  override readonly name = 'PortInUseError';
  readonly code = ErrorCodes.PORT_IN_USE;
  /** With `host` and `port`, names the listener and says what to do; alone, `what` is the whole
   *  message (an error passed on from elsewhere, see errorFor). */
  constructor(what: string, host?: string, port?: number) {
    super(
      host === undefined
        ? what
        : `${what}: ${host}:${port} is already in use; stop whatever listens there or choose another port`,
    );
  }
}
/** What was asked for does not exist (a job, an agent, a name, an endpoint). */
export class NotFoundError extends BeaconError {
  override readonly name = 'NotFoundError';
  readonly code = ErrorCodes.NOT_FOUND;
}
/** Something did not happen within its bound. */
export class TimeoutError extends BeaconError {
  override readonly name = 'TimeoutError';
  readonly code = ErrorCodes.TIMEOUT;
}
/** A job file or job operation is invalid. */
export class JobError extends BeaconError {
  override readonly name = 'JobError';
  readonly code = ErrorCodes.JOB;
}
/** A job is created under a key that already has one (HTTP 409). */
export class JobExistsError extends BeaconError {
  override readonly name = 'JobExistsError';
  readonly code = ErrorCodes.JOB_EXISTS;
}
/** A child process could not be started. */
export class ChildError extends BeaconError {
  override readonly name = 'ChildError';
  readonly code = ErrorCodes.CHILD;
}
/** A request to a protected API lacked the right credentials (HTTP 401). */
export class UnauthorizedError extends BeaconError {
  override readonly name = 'UnauthorizedError';
  readonly code = ErrorCodes.UNAUTHORIZED;
}
/** A request that is understood but refused: a disabled endpoint, a change from another machine. */
export class ForbiddenError extends BeaconError {
  override readonly name = 'ForbiddenError';
  readonly code = ErrorCodes.FORBIDDEN;
}
/** An HTTP method the path does not take; the reply names the allowed ones (`Allow`). */
export class MethodNotAllowedError extends BeaconError {
  override readonly name = 'MethodNotAllowedError';
  readonly code = ErrorCodes.METHOD_NOT_ALLOWED;
}
/** A request body over the reader's size limit. */
export class BodyTooLargeError extends BeaconError {
  override readonly name = 'BodyTooLargeError';
  readonly code = ErrorCodes.BODY_TOO_LARGE;
}
/** A request body in a media type the endpoint does not read (it wants application/json). */
export class MediaTypeError extends BeaconError {
  override readonly name = 'MediaTypeError';
  readonly code = ErrorCodes.MEDIA_TYPE;
}
/** The server cannot answer yet (no state loaded). */
export class NotReadyError extends BeaconError {
  override readonly name = 'NotReadyError';
  readonly code = ErrorCodes.NOT_READY;
}
/** A client request found no ServerSet member to send to within its timeout. */
export class NoMembersError extends BeaconError {
  override readonly name = 'NoMembersError';
  readonly code = ErrorCodes.NO_MEMBERS;
}
/** A failure that is a bug, not a user's mistake: HTTP replies say only this, the log has why. */
export class InternalError extends BeaconError {
  override readonly name = 'InternalError';
  readonly code = ErrorCodes.INTERNAL;
}

type Make = (message: string, options?: ErrorOptions) => BeaconError;
/** One maker per code: the compiler refuses a registry row without a class here. */
const MAKERS: { readonly [C in ErrorCode]: Make } = {
  BEACON_E_USAGE: (m, o) => new UsageError(m, o),
  BEACON_E_CONFIG: (m, o) => new ConfigError(m, o),
  BEACON_E_INPUT: (m, o) => new InputError(m, o),
  BEACON_E_DECODE: (m, o) => new DecodeError(m, o),
  BEACON_E_NAME: (m, o) => new NameError(m, o),
  BEACON_E_PORTMAP: (m, o) => new PortmapError(m, o),
  BEACON_E_ZK_UNREACHABLE: (m, o) => new ZkUnreachableError(m, o),
  BEACON_E_ZK_AUTH: (m, o) => new ZkAuthError('authFailed', m, o),
  BEACON_E_ZK: (m, o) => new ZkError('other', m, o),
  BEACON_E_ZK_CLOSED: (m) => new ZkClosedError(m),
  BEACON_E_STATE: (m, o) => new StateError(m, o),
  BEACON_E_PORT_IN_USE: (m) => new PortInUseError(m),
  BEACON_E_NOT_FOUND: (m, o) => new NotFoundError(m, o),
  BEACON_E_TIMEOUT: (m, o) => new TimeoutError(m, o),
  BEACON_E_JOB: (m, o) => new JobError(m, o),
  BEACON_E_JOB_EXISTS: (m, o) => new JobExistsError(m, o),
  BEACON_E_CHILD: (m, o) => new ChildError(m, o),
  BEACON_E_UNAUTHORIZED: (m, o) => new UnauthorizedError(m, o),
  BEACON_E_FORBIDDEN: (m, o) => new ForbiddenError(m, o),
  BEACON_E_METHOD_NOT_ALLOWED: (m, o) => new MethodNotAllowedError(m, o),
  BEACON_E_BODY_TOO_LARGE: (m, o) => new BodyTooLargeError(m, o),
  BEACON_E_MEDIA_TYPE: (m, o) => new MediaTypeError(m, o),
  BEACON_E_NOT_READY: (m, o) => new NotReadyError(m, o),
  BEACON_E_NO_MEMBERS: (m, o) => new NoMembersError(m, o),
  BEACON_E_INTERNAL: (m, o) => new InternalError(m, o),
};

/** The error of `code`'s class with `message`: for a code that arrived from elsewhere (an HTTP
 *  reply's `code`) or an error given more context. */
export function errorFor(code: ErrorCode, message: string, options?: ErrorOptions): BeaconError {
  return MAKERS[code](message, options);
}

/** `e` with `context: ` before its message, keeping its code (a plain Error would lose it). */
export function withContext(context: string, e: unknown): Error {
  if (e instanceof BeaconError) return errorFor(e.code, `${context}: ${e.message}`, { cause: e });
  return new Error(`${context}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
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
