// The master's HTTP endpoints on 127.0.0.1:5050 (like a Mesos master): the state document under
// its four names, health, the v1 operator API, the jobs API used by `beacon job`, and the
// devcluster's own admin calls (fail an agent). Every call other than GET/HEAD (and the read-only
// operator API) passes auth.ts's gate — loopback peers only, or `Bearer TOKEN` when a token is
// configured — and must be `application/json` (a browser cannot send that cross-site without a
// preflight this server never answers), so neither the network nor a web page can drive the
// scheduler.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isBeaconError, ErrorCodes, JobError } from '../errors.js';
import { logger } from '../log.js';
import { refuseMutation } from './auth.js';
import type { Master } from './master.js';
import { validateJob } from './job-schema.js';
import { handleOperatorApi, type OperatorApiOptions } from './operator-api.js';
import type { Scheduler } from './scheduler.js';
import { masterStateJson } from './state-json.js';

const log = logger('master-http');

const STATE_PATHS = new Set(['/master/state', '/state', '/state.json', '/master/state.json']);

export interface MasterHttpOptions extends OperatorApiOptions {
  master: Master;
  scheduler: Scheduler;
  /** Fails an agent on purpose (tests, demos); undefined when not allowed. */
  failAgent?: (agentId: string) => Promise<void>;
  /** When set, state-changing calls need `Authorization: Bearer <apiToken>` (401 otherwise). */
  apiToken?: string;
  /** The web dashboard (`/`, `/dashboard/…`; GET and HEAD only, see dashboard/index.ts). */
  dashboard?: { handle(req: IncomingMessage, res: ServerResponse, path: string): boolean };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (isBeaconError(e)) {
    const status =
      e.code === ErrorCodes.NOT_FOUND
        ? 404
        : e.code === ErrorCodes.JOB && /already exists/.test(e.message)
          ? 409
          : 400;
    sendJson(res, status, { error: e.message, code: e.code });
  } else {
    log.error({ err: (e as Error).message }, 'request failed');
    sendJson(res, 500, { error: (e as Error).message ?? String(e), code: 'BEACON_E_INTERNAL' });
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 4 << 20) throw new JobError('request body larger than 4 MiB');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new JobError(`the request body is not a JSON object (${(e as Error).message})`);
  }
}

function instancesOf(body: Record<string, unknown>): number[] | undefined {
  const v = body.instances;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((n) => Number.isInteger(n) && (n as number) >= 0)) {
    throw new JobError('instances: expected a list of instance ids (integers ≥ 0)');
  }
  return v as number[];
}

export function createMasterServer(o: MasterHttpOptions): Server {
  const { master, scheduler } = o;
  const server = createServer((req, res) => {
    void route(req, res).catch((e: unknown) => sendError(res, e));
  });
  // Longer than clients' pools keep idle connections, so a request never lands on a connection
  // the server is closing (the Node default, 5 s, races undici's 4 s reuse window).
  server.keepAliveTimeout = 65000;
  return server;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://master');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'GET' && STATE_PATHS.has(path))
      return sendJson(res, 200, masterStateJson(master));
    if (method === 'GET' && (path === '/master/health' || path === '/health')) {
      res.statusCode = 200;
      return void res.end();
    }
    if (path === '/api/v1') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
      return handleOperatorApi(master, req, res, o);
    }
    // Everything below that is not a read may change the cluster: gate it before reading a byte.
    if (method !== 'GET' && method !== 'HEAD') {
      const refused = refuseMutation(req, o.apiToken);
      if (refused) {
        for (const [k, v] of Object.entries(refused.headers)) res.setHeader(k, v);
        return sendJson(res, refused.status, refused.body);
      }
    }
    if (method === 'GET' && path === '/jobs') return sendJson(res, 200, { jobs: scheduler.list() });
    if (method === 'GET' && path.startsWith('/jobs/')) {
      return sendJson(res, 200, scheduler.status(decodeURIComponent(path.slice('/jobs/'.length))));
    }
    if (method === 'GET' && path === '/devcluster/agents') {
      return sendJson(res, 200, {
        agents: master.agents().map((a) => ({ ...a.info, tasks: a.tasks().map((t) => t.taskId) })),
      });
    }
    if (method === 'POST') {
      if (!(req.headers['content-type'] ?? '').includes('application/json')) {
        return sendJson(res, 415, {
          error: 'send Content-Type: application/json',
          code: ErrorCodes.USAGE,
        });
      }
      const body = await readJson(req);
      if (path === '/jobs') {
        const key = typeof body.key === 'string' ? body.key : '';
        const source = typeof body.source === 'string' ? body.source : 'the request';
        const config = validateJob(body.config, source);
        return sendJson(res, 200, scheduler.create(key || config.job, config));
      }
      const m = /^\/jobs\/(.+)\/(kill|restart)$/.exec(path);
      if (m) {
        const key = decodeURIComponent(m[1]!);
        const instances = instancesOf(body);
        return sendJson(
          res,
          200,
          m[2] === 'kill' ? scheduler.kill(key, instances) : scheduler.restart(key, instances),
        );
      }
      const f = /^\/devcluster\/agents\/([^/]+)\/fail$/.exec(path);
      if (f && o.failAgent) {
        const id = decodeURIComponent(f[1]!);
        const agent = master
          .agents()
          .find((a) => a.info.id === id || a.info.hostname === id || a.info.ip === id);
        if (!agent)
          return sendJson(res, 404, { error: `no agent ${id}`, code: ErrorCodes.NOT_FOUND });
        await o.failAgent(agent.info.id);
        return sendJson(res, 200, { failed: agent.info.id });
      }
    }
    if (o.dashboard?.handle(req, res, path)) return;
    sendJson(res, 404, {
      error: `no such endpoint: ${method} ${path}`,
      code: ErrorCodes.NOT_FOUND,
    });
  }
}
