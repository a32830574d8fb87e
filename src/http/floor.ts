// The HTTP floor: how every Beacon server (the DNS HTTP API, the devcluster master with its
// operator API and dashboard, the agents) writes replies and reads request bodies, so statuses,
// headers, HEAD and error bodies agree everywhere. A reply always carries Content-Length; HEAD gets
// the headers GET would and no body (a streamed body is chunked instead: streamReply); an error reply is `{"error": message, "code": "BEACON_E_…"}`
// with the status errors.ts's registry gives the code; a body over the limit is a 413.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { BodyTooLargeError, InputError, InternalError, isBeaconError } from '../errors.js';
import { logger } from '../log.js';

const log = logger('http');

/** The largest request body a reader takes unless told otherwise (a job file is a few kB). */
export const BODY_LIMIT = 1 << 20;

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** GET and HEAD: the methods that only read (HEAD is answered wherever GET is). */
export function isRead(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** A complete reply: status, headers, Content-Length, and the body unless the request is HEAD. */
export function reply(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: OutgoingHttpHeaders = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'content-length': bytes.length });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

/** `value` as JSON with a trailing newline (readable with curl). */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  reply(res, status, `${JSON.stringify(value)}\n`, { 'content-type': JSON_TYPE, ...headers });
}

/** A body too large to build at once (/v1/axfr of a big set): written piece by piece, waiting
 *  for the socket to drain whenever its buffer is full, with chunked transfer encoding instead
 *  of Content-Length (the one exception). Stops when the client goes away. HEAD: headers only. */
export async function streamReply(
  res: ServerResponse,
  status: number,
  pieces: Iterable<string>,
  headers: OutgoingHttpHeaders = {},
): Promise<void> {
  res.writeHead(status, headers);
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  for (const piece of pieces) {
    if (res.destroyed) return;
    if (!res.write(piece)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

/** JSON pieces (see streamReply) as application/json. */
export function streamJson(
  res: ServerResponse,
  status: number,
  pieces: Iterable<string>,
): Promise<void> {
  return streamReply(res, status, pieces, { 'content-type': JSON_TYPE });
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** `text` as it is, as text/plain unless `headers` say otherwise (Prometheus' format does). */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: OutgoingHttpHeaders = {},
): void {
  reply(res, status, text, { 'content-type': TEXT_TYPE, ...headers });
}

/** An error reply: a Beacon error with its registry status, code and message; anything else is
 *  a bug, logged here and answered 500 `internal error` (its message may say more than a client
 *  should see). A reply already under way cannot change its status: the connection is cut. */
export function sendError(
  res: ServerResponse,
  e: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const err = replyError(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, { error: err.message, code: err.code }, headers);
}

/** What an error reply says about `e` (a Beacon error as it is; anything else, logged, as 500). */
export function replyError(e: unknown): { status: number; code: string; message: string } {
  if (isBeaconError(e)) return e;
  log.error({ err: e instanceof Error ? (e.stack ?? e.message) : String(e) }, 'request failed');
  return new InternalError('internal error');
}

/** The request body, or BodyTooLargeError (413) past `limit` bytes — checked against
 *  Content-Length before reading, and while reading. Past the limit the rest is read and dropped,
 *  so the client gets the 413 instead of a reset connection. */
export function readBody(req: IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      req.resume();
      reject(new BodyTooLargeError(`the request body is larger than ${bytes(limit)}`));
    };
    if (Number(req.headers['content-length']) > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) return void chunks.push(c);
      req.off('data', onData);
      chunks.length = 0;
      tooLarge();
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body is its input's problem, not a bug to log as one.
    req.on('close', () => {
      if (!req.complete) reject(new InputError('the request body ended early'));
    });
  });
}

/** The body as a JSON object; an empty body is `{}`. InputError (400) when it is not one. */
export async function readJsonObject(
  req: IncomingMessage,
  limit = BODY_LIMIT,
): Promise<Record<string, unknown>> {
  const text = (await readBody(req, limit)).toString('utf8');
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InputError(`the request body is not a JSON object (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InputError('the request body is not a JSON object (not an object)');
  return v as Record<string, unknown>;
}

/** A percent-encoded part of request path `path`, decoded; InputError (400) when malformed. */
export function decodePathPart(part: string, path = part): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InputError(`bad percent-encoding in ${path}`);
  }
}

function bytes(n: number): string {
  return n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`;
}
