// The master's HTTP endpoints on 127.0.0.1:5050 (like a Mesos master): the state document under
// its four names, health, the v1 operator API, the jobs API used by `beacon job`, and the
// devcluster's own admin calls (fail an agent). Every call other than GET/HEAD (and the read-only
// operator API) passes auth.ts's gate — loopback peers only, or `Bearer TOKEN` when a token is
// configured — and must be `application/json` (a browser cannot send that cross-site without a
// preflight this server never answers), so neither the network nor a web page can drive the
// scheduler. Replies, body reading and error statuses come from the HTTP floor (http/floor.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { JobError, MediaTypeError, MethodNotAllowedError, NotFoundError } from '../errors.js';
import {
  decodePathPart,
  isRead,
  readJsonObject,
  reply,
  sendError,
  sendJson,
} from '../http/floor.js';
import { refuseMutation } from './auth.js';
import type { Master } from './master.js';
import { validateJob } from './job-schema.js';
import { handleOperatorApi, type OperatorApiOptions } from './operator-api.js';
import type { Scheduler } from './scheduler.js';
import { masterStateJson } from './state-json.js';

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
    const read = isRead(method);
    if (read && STATE_PATHS.has(path)) return sendJson(res, 200, masterStateJson(master));
    if (read && (path === '/master/health' || path === '/health')) return reply(res, 200, '');
    if (path === '/api/v1') {
      if (method !== 'POST') {
        const e = new MethodNotAllowedError(`method ${method} not allowed on /api/v1 (use POST)`);
        return sendError(res, e, { allow: 'POST' });
      }
      return handleOperatorApi(master, req, res, o);
    }
    // Everything below that is not a read may change the cluster: gate it before reading a byte.
    if (!read) {
      const refused = refuseMutation(req, o.apiToken);
      if (refused) return sendError(res, refused.error, refused.headers);
    }
    if (read && path === '/jobs') return sendJson(res, 200, { jobs: scheduler.list() });
    if (read && path.startsWith('/jobs/')) {
      return sendJson(res, 200, scheduler.status(decodePathPart(path.slice('/jobs/'.length))));
    }
    if (read && path === '/devcluster/agents') {
      return sendJson(res, 200, {
        agents: master.agents().map((a) => ({ ...a.info, tasks: a.tasks().map((t) => t.taskId) })),
      });
    }
    if (method === 'POST') {
      if (!(req.headers['content-type'] ?? '').includes('application/json')) {
        throw new MediaTypeError('send Content-Type: application/json');
      }
      const body = await readJsonObject(req);
      if (path === '/jobs') {
        const key = typeof body.key === 'string' ? body.key : '';
        const source = typeof body.source === 'string' ? body.source : 'the request';
        const config = validateJob(body.config, source);
        return sendJson(res, 200, scheduler.create(key || config.job, config));
      }
      const m = /^\/jobs\/(.+)\/(kill|restart)$/.exec(path);
      if (m) {
        const key = decodePathPart(m[1]!);
        const instances = instancesOf(body);
        return sendJson(
          res,
          200,
          m[2] === 'kill' ? scheduler.kill(key, instances) : scheduler.restart(key, instances),
        );
      }
      const f = /^\/devcluster\/agents\/([^/]+)\/fail$/.exec(path);
      if (f && o.failAgent) {
        const id = decodePathPart(f[1]!);
        const agent = master
          .agents()
          .find((a) => a.info.id === id || a.info.hostname === id || a.info.ip === id);
        if (!agent) throw new NotFoundError(`no agent ${id}`);
        await o.failAgent(agent.info.id);
        return sendJson(res, 200, { failed: agent.info.id });
      }
    }
    if (o.dashboard?.handle(req, res, path)) return;
    throw new NotFoundError(`no such endpoint: ${method} ${path}`);
  }
}
