// One GET of a master's state document, bounded in time and size: the timeout aborts a master that
// accepts the connection and then hangs (stateTimeoutSeconds), and the caller's signal aborts it on
// shutdown. Uses node:http/https (not fetch) so a custom CA and client certificate can be given.
import http from 'node:http';
import https from 'node:https';
import { StateError, TimeoutError } from '../errors.js';

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
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes)
          finish(new StateError(`${url}: state document larger than ${maxBytes} bytes`));
        else chunks.push(c);
      });
      res.on('error', (e) => finish(new StateError(`${url}: ${e.message}`, { cause: e })));
      res.on('aborted', () => finish(new StateError(`${url}: connection closed mid-document`)));
      res.on('end', () => {
        if (settled) return;
        let value: unknown;
        try {
          value = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
        } catch (e) {
          finish(
            new StateError(`${url}: the answer is not JSON (${(e as Error).message})`, {
              cause: e,
            }),
          );
          return;
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          finish(new StateError(`${url}: the answer is not a JSON object`));
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
