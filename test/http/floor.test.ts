// The HTTP floor every Beacon server answers through: JSON and text replies with Content-Length,
// HEAD with the headers and no body, error replies with the registry's status and code (500 and
// nothing more for what has no code), and a body reader whose limit is a 413 with a coded error.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { errorFor, ErrorRegistry, NotFoundError } from '../../src/errors.js';
import {
  isRead,
  readBody,
  readJsonObject,
  sendError,
  sendJson,
  sendText,
} from '../../src/http/floor.js';

const LIMIT = 64;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request (node:http, so HEAD bodies and chunked uploads are what was on the wire). */
function request(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer[],
  headers: http.OutgoingHttpHeaders = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    // An array is sent as separate writes without Content-Length (chunked).
    if (Array.isArray(body)) {
      for (const c of body) req.write(c);
      req.end();
    } else req.end(body);
  });
}

describe('HTTP floor', () => {
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      const run = async () => {
        if (path === '/json') return sendJson(res, 201, { a: 1, s: 'é' }, { 'x-extra': 'yes' });
        if (path === '/text') return sendText(res, 200, 'hello\n');
        if (path === '/prom') return sendText(res, 200, 'm 1\n', { 'content-type': 'text/x-prom' });
        if (path === '/bug') throw new TypeError('a secret detail');
        if (path.startsWith('/error/')) {
          const code = path.slice('/error/'.length) as keyof typeof ErrorRegistry;
          return sendError(res, errorFor(ErrorRegistry[code].code, `made ${code}`), {
            allow: 'GET',
          });
        }
        if (path === '/json-body') return sendJson(res, 200, await readJsonObject(req, LIMIT));
        if (path === '/raw-body')
          return sendText(res, 200, `${(await readBody(req, LIMIT)).length}`);
        if (path === '/late') {
          res.writeHead(200);
          res.write('partial');
          return sendError(res, new NotFoundError('too late for a status'));
        }
        throw new NotFoundError(`no such endpoint: ${path}`);
      };
      run().catch((e: unknown) => sendError(res, e));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('JSON replies: status, UTF-8 JSON type, Content-Length, a trailing newline, extra headers', async () => {
    const r = await request(port, 'GET', '/json');
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['x-extra'], 'yes');
    assert.equal(r.body, '{"a":1,"s":"é"}\n');
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
  });

  test('text replies: text/plain unless the caller names a type', async () => {
    const t = await request(port, 'GET', '/text');
    assert.equal(t.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(t.body, 'hello\n');
    assert.equal(t.headers['content-length'], '6');
    const p = await request(port, 'GET', '/prom');
    assert.equal(p.headers['content-type'], 'text/x-prom');
  });

  test('HEAD: the headers GET has, Content-Length included, and no body', async () => {
    for (const path of ['/json', '/text', '/error/NOT_FOUND']) {
      const get = await request(port, 'GET', path);
      const head = await request(port, 'HEAD', path);
      assert.equal(head.status, get.status, path);
      assert.equal(head.body, '', path);
      assert.equal(head.headers['content-length'], get.headers['content-length'], path);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
    }
    assert.ok(isRead('GET') && isRead('HEAD'));
    assert.ok(!isRead('POST') && !isRead(undefined));
  });

  test('error replies carry the registry status, the code and the message for every code', async () => {
    for (const [kind, { code, status }] of Object.entries(ErrorRegistry)) {
      const r = await request(port, 'GET', `/error/${kind}`);
      assert.equal(r.status, status, code);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(r.headers.allow, 'GET', 'caller headers go out');
      assert.deepEqual(JSON.parse(r.body), { error: `made ${kind}`, code });
    }
  });

  test('what has no code is a 500 BEACON_E_INTERNAL that says nothing more', async () => {
    const r = await request(port, 'GET', '/bug');
    assert.equal(r.status, 500);
    assert.deepEqual(JSON.parse(r.body), { error: 'internal error', code: 'BEACON_E_INTERNAL' });
  });

  test('an error after the reply started cuts the connection instead of changing the status', async () => {
    await assert.rejects(request(port, 'GET', '/late'));
  });

  test('a body past the limit is a 413 with a coded error, whether Content-Length says so or not', async () => {
    const big = 'x'.repeat(LIMIT + 1);
    const json = { 'content-type': 'application/json' };
    for (const [path, body] of [
      ['/raw-body', big],
      ['/json-body', `"${big}"`],
      ['/raw-body', ['x'.repeat(40), 'x'.repeat(40)]],
      ['/raw-body', Array.from({ length: 200 }, () => Buffer.alloc(1000, 120))],
    ] as const) {
      const r = await request(port, 'POST', path, body as string | Buffer[], json);
      assert.equal(r.status, 413, `${path} ${String(body).length}`);
      assert.deepEqual(JSON.parse(r.body), {
        error: `the request body is larger than ${LIMIT} bytes`,
        code: 'BEACON_E_BODY_TOO_LARGE',
      });
    }
    const at = await request(port, 'POST', '/raw-body', 'x'.repeat(LIMIT));
    assert.equal(at.status, 200);
    assert.equal(at.body, String(LIMIT));
  });

  test('a JSON body: an object, {} when empty, 400 BEACON_E_INPUT when not an object', async () => {
    const ok = await request(port, 'POST', '/json-body', '{"k":[1,2]}');
    assert.deepEqual(JSON.parse(ok.body), { k: [1, 2] });
    const empty = await request(port, 'POST', '/json-body', '');
    assert.deepEqual(JSON.parse(empty.body), {});
    for (const bad of ['nope', '[1]', 'null', '"s"']) {
      const r = await request(port, 'POST', '/json-body', bad);
      assert.equal(r.status, 400, bad);
      const e = JSON.parse(r.body) as { error: string; code: string };
      assert.equal(e.code, 'BEACON_E_INPUT', bad);
      assert.match(e.error, /not a JSON object/);
    }
  });
});
