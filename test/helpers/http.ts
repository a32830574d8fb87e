// HTTP from tests: one request on a fresh connection (no keep-alive: a test that blocks its event
// loop, e.g. in spawnSync, would otherwise find an idle pooled connection closed under it), JSON
// bodies parsed by content type, and JSON POSTs.
import http from 'node:http';

export interface HttpInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface HttpReply {
  status: number;
  text: string;
  headers: Headers;
}

export function request(url: string, init: HttpInit = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, x);
          }
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A request whose body is parsed as JSON when the reply says it is JSON (else left as text). */
export async function getJson<T = unknown>(
  url: string,
  init?: HttpInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await request(url, init);
  const json = (r.headers.get('content-type') ?? '').includes('json');
  return { status: r.status, body: (json ? JSON.parse(r.text) : r.text) as T, headers: r.headers };
}

/** POSTs `body` as JSON. */
export function post(url: string, body: unknown): Promise<HttpReply> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
