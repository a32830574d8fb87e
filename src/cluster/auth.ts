// Who may change the devcluster through the master's HTTP API. Reading state stays open (as on a
// Mesos master: /master/state and the operator stream are what DNS and tools read); changing it
// (jobs create/kill/restart, failing an agent, any other non-GET call) needs either a loopback-only
// listener and a loopback peer, or — when a token is configured — `Authorization: Bearer TOKEN`.
// A master listening beyond loopback without a token is refused before it binds.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, UnauthorizedError, UsageError } from '../errors.js';

/** The environment variable the devcluster and `beacon job` read the token from. */
export const API_TOKEN_ENV = 'BEACON_API_TOKEN';
/** Shorter tokens are refused: the token is the only thing between the network and the scheduler. */
export const MIN_TOKEN_LENGTH = 16;

/** True for addresses that only this machine can reach: 127/8, ::1, IPv4-mapped 127/8, localhost. */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.replace(/^\[|\]$/g, '').toLowerCase();
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice('::ffff:'.length) : a;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The token from the flag, else from the environment; undefined when neither is set. Throws
 *  UsageError for a token that is too short or cannot travel in an HTTP header. */
export function resolveApiToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromFlag = flag !== undefined;
  const token = fromFlag ? flag : env[API_TOKEN_ENV];
  if (token === undefined || (!fromFlag && token === '')) return undefined;
  const where = fromFlag ? '--api-token' : API_TOKEN_ENV;
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError(
      `${where}: the token must be printable ASCII without spaces (it travels in an HTTP header)`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `${where}: the token is ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex 16\`)`,
    );
  }
  return token;
}

/** Refuses (UsageError, naming the flags) a master listener beyond loopback without a token. */
export function assertListenAllowed(
  host: string,
  token: string | undefined,
  what = 'master HTTP (--master-host)',
): void {
  if (token !== undefined || isLoopbackAddress(host)) return;
  throw new UsageError(
    `${what} ${host}: the master's jobs API can change the cluster, so it listens beyond loopback ` +
      `only with a token: pass --api-token TOKEN or set ${API_TOKEN_ENV} (clients send it with ` +
      `the same flag or variable), or use --master-host 127.0.0.1`,
  );
}

/** Constant-time check of an `Authorization` header against `Bearer <token>`: both sides are
 *  hashed first, so neither the content nor the length of the token leaks through timing. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(m ? m[1]! : '')
    .digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}

/** Why a state-changing request is refused (the error's code gives the status), and the headers
 *  the reply carries. */
export interface Refusal {
  error: UnauthorizedError | ForbiddenError;
  headers: Record<string, string>;
}

/** The gate for every state-changing request: with a token, the bearer must match (401
 *  otherwise, whatever the peer); without one, only loopback peers may change anything (403). */
export function refuseMutation(
  req: IncomingMessage,
  token: string | undefined,
): Refusal | undefined {
  if (token !== undefined) {
    if (bearerMatches(req.headers.authorization, token)) return undefined;
    return {
      error: new UnauthorizedError(
        req.headers.authorization
          ? 'the API token does not match; send the one the devcluster was started with'
          : `this master needs an API token to change the cluster: send Authorization: Bearer TOKEN (beacon job: --api-token TOKEN or ${API_TOKEN_ENV})`,
      ),
      headers: { 'www-authenticate': 'Bearer realm="beacon devcluster"' },
    };
  }
  if (isLoopbackAddress(req.socket.remoteAddress)) return undefined;
  return {
    error: new ForbiddenError('the jobs API accepts changes from this machine only'),
    headers: {},
  };
}
