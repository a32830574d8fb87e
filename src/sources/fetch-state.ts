// One GET of a master's state document, bounded in time and size: the timeout aborts a master that
// accepts the connection and then hangs (stateTimeoutSeconds), and the caller's signal aborts it on
// shutdown. Uses node:http/https (not fetch) so a custom CA and client certificate can be given.
import http from 'node:http';
import https from 'node:https';
import { StateError, TimeoutError } from '../errors.js';
import { isJsonSpace } from '../model/json-text.js';

export interface FetchOptions {
  /** Whole-request bound (connect, headers and body), ms. */
  timeoutMs: number;
  /** Basic auth (MesosAuthentication "basic" with MesosCredentials). */
  basicAuth?: { principal: string; secret: string };
  /** TLS material for https:// URLs (CACertFile, CertFile, KeyFile contents). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Largest body accepted, bytes. Default 1 GiB (a 100,000-task state is ~80 MB). */
  maxBytes?: number;
  /** Aborts the request (shutdown). */
  signal?: AbortSignal;
}

/** GETs `url` and returns the decoded JSON value. Rejects with StateError (bad status, not JSON,
 *  connection refused) or TimeoutError (no complete answer within timeoutMs). */
export function fetchStateJson(url: string, options: FetchOptions): Promise<unknown> {
  const maxBytes = options.maxBytes ?? 1 << 30;
  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const parsed = new URL(url);
    const isHttps = parsed.protocol === 'https:';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.basicAuth) {
      const token = Buffer.from(
        `${options.basicAuth.principal}:${options.basicAuth.secret}`,
      ).toString('base64');
      headers.authorization = `Basic ${token}`;
    }
    const reqOptions: https.RequestOptions = { method: 'GET', headers };
    if (isHttps && options.tls) {
      if (options.tls.ca) reqOptions.ca = options.tls.ca;
      if (options.tls.cert) reqOptions.cert = options.tls.cert;
      if (options.tls.key) reqOptions.key = options.tls.key;
    }
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(
          new TimeoutError(
            `${url}: no complete answer within ${options.timeoutMs} ms (stateTimeoutSeconds)`,
          ),
        ),
      options.timeoutMs,
    );
    const onAbort = () => finish(new StateError(`${url}: request aborted`));
    const req = (isHttps ? https : http).request(parsed, reqOptions, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        const hint = status === 401 ? ' (check MesosAuthentication / MesosCredentials)' : '';
        finish(new StateError(`${url}: HTTP ${status}${hint}`));
        return;
      }
      // The body goes straight into one buffer of the announced size (no list of chunks and
      // concatenated copy side by side); without a Content-Length, chunks are collected.
      const announced = Number(res.headers['content-length']);
      let body: Buffer | undefined =
        Number.isSafeInteger(announced) && announced > 0 && announced <= maxBytes
          ? Buffer.allocUnsafe(announced)
          : undefined;
      let chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (settled) return;
        if (size + c.length > maxBytes) {
          finish(new StateError(`${url}: state document larger than ${maxBytes} bytes`));
          return;
        }
        if (body && size + c.length <= body.length) c.copy(body, size);
        else {
          // More than announced: fall back to collecting what came so far.
          if (body) chunks.push(body.subarray(0, size));
          body = undefined;
          chunks.push(c);
        }
        size += c.length;
      });
      res.on('error', (e) => finish(new StateError(`${url}: ${e.message}`, { cause: e })));
      res.on('aborted', () => finish(new StateError(`${url}: connection closed mid-document`)));
      res.on('end', () => {
        if (settled) return;
        let bytes: Buffer | undefined = body ? body.subarray(0, size) : Buffer.concat(chunks, size);
        body = undefined;
        chunks = [];
        // A document cut short is told from its last byte, before decoding and parsing it: at
        // 200,000 tasks the parse of half a document took the process to ~0.8 GB for an answer
        // that fails.
        const cut = cutShort(bytes);
        if (cut) {
          releaseBody(bytes);
          finish(
            new StateError(`${url}: the answer is not JSON (${cut}; ${size} bytes received)`, {
              documentRead: true,
            }),
          );
          return;
        }
        let text: string | undefined = bytes.toString('utf8');
        // Only the text is needed now: the bytes are let go before the parse allocates the
        // document (at 200,000 tasks each is ~160 MB).
        bytes = undefined;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          finish(
            new StateError(
              `${url}: the answer is not JSON (${(e as Error).message}; ${size} bytes received)`,
              { cause: e, documentRead: true },
            ),
          );
          return;
        } finally {
          text = undefined;
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          finish(new StateError(`${url}: the answer is not a JSON object`, { documentRead: true }));
          return;
        }
        finish(undefined, value);
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const what = e.code === 'ECONNREFUSED' ? 'connection refused (is the master up?)' : e.message;
      finish(new StateError(`${url}: ${what}`, { cause: e }));
    });
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

/** Why `bytes` cannot be JSON although it begins like an object: it does not end with the `}`
 *  an object ends with (a document cut short). Undefined when it may be JSON (JSON.parse says). */
export function cutShort(bytes: Uint8Array): string | undefined {
  let first = 0;
  while (first < bytes.length && isJsonSpace(bytes[first]!)) first++;
  if (bytes[first] !== 0x7b) return undefined; // not an object: the parse tells what it is
  let last = bytes.length - 1;
  while (last > first && isJsonSpace(bytes[last]!)) last--;
  if (last > first && bytes[last] === 0x7d) return undefined;
  if (last <= first) return 'it is a lone "{": cut short?';
  const b = bytes[last]!;
  const end =
    b >= 0x20 && b < 0x7f ? JSON.stringify(String.fromCharCode(b)) : `0x${b.toString(16)}`;
  return `it begins a JSON object but ends with ${end} at byte ${last + 1}, not "}": cut short?`;
}

/**
 * Lets a body's memory go at V8's next young collection. The body's buffer object has usually
 * aged into the old generation while it was read, so its ~80 MB (at 200,000 tasks, outside the
 * heap) would stay until a major collection; moved to a new, unreferenced ArrayBuffer, a young
 * collection frees it (the service runs one after a failed read). Only a buffer that is the
 * whole of its ArrayBuffer: small bodies share Node's pool, and a view may share a bigger one.
 */
export function releaseBody(bytes: Buffer): void {
  const ab = bytes.buffer;
  const own = bytes.byteOffset === 0 && bytes.byteLength === ab.byteLength;
  if (!own || ab.byteLength < 1 << 20 || !(ab instanceof ArrayBuffer)) return;
  structuredClone(ab, { transfer: [ab] });
}
