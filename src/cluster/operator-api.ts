// The master's v1 operator API, `POST /api/v1` with JSON bodies: GET_STATE (and its parts,
// GET_HEALTH, GET_VERSION) and SUBSCRIBE — a chunked RecordIO stream (`<length>\n<json>`) starting
// with SUBSCRIBED (a state snapshot) and then, in order, TASK_ADDED, TASK_UPDATED, AGENT_ADDED,
// AGENT_REMOVED, FRAMEWORK_ADDED and periodic HEARTBEATs. The snapshot and the subscription are
// taken in the same tick, so no event falls between them. Errors are answered as a Mesos master
// does, in plain text, with the status errors.ts's registry gives their code.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeRecord } from '../model/recordio.js';
import { InputError, MediaTypeError } from '../errors.js';
import { readBody, replyError, sendJson, sendText } from '../http/floor.js';
import type { Master } from './master.js';
import { MESOS_VERSION } from './state-json.js';
import type { AgentInfo, ClusterTask, TaskStatusRecord } from './types.js';
import { v1Agent, v1Framework, v1State, v1Status, v1Task } from './v1-json.js';

type Json = Record<string, unknown>;

export interface OperatorApiOptions {
  /** HEARTBEAT interval, seconds (Mesos: 15). */
  heartbeatSeconds: number;
}

export async function handleOperatorApi(
  master: Master,
  req: IncomingMessage,
  res: ServerResponse,
  options: OperatorApiOptions,
): Promise<void> {
  try {
    await answer(master, req, res, options);
  } catch (e) {
    const err = replyError(e);
    sendText(res, err.status, `${err.message}\n`);
  }
}

async function readCall(req: IncomingMessage): Promise<{ type?: unknown }> {
  const ctype = req.headers['content-type'] ?? '';
  if (!ctype.includes('application/json')) {
    throw new MediaTypeError(
      `Expecting 'Content-Type' of application/json (protobuf is not supported by the devcluster)`,
    );
  }
  const text = (await readBody(req)).toString('utf8');
  try {
    return JSON.parse(text) as { type?: unknown };
  } catch (e) {
    throw new InputError(`Failed to parse body into JSON: ${(e as Error).message}`);
  }
}

async function answer(
  master: Master,
  req: IncomingMessage,
  res: ServerResponse,
  options: OperatorApiOptions,
): Promise<void> {
  const call = await readCall(req);
  const state = () => v1State(master);
  switch (call.type) {
    case 'GET_STATE':
      return sendJson(res, 200, { type: 'GET_STATE', get_state: state() });
    case 'GET_TASKS':
      return sendJson(res, 200, { type: 'GET_TASKS', get_tasks: state().get_tasks });
    case 'GET_AGENTS':
      return sendJson(res, 200, { type: 'GET_AGENTS', get_agents: state().get_agents });
    case 'GET_FRAMEWORKS':
      return sendJson(res, 200, { type: 'GET_FRAMEWORKS', get_frameworks: state().get_frameworks });
    case 'GET_EXECUTORS':
      return sendJson(res, 200, { type: 'GET_EXECUTORS', get_executors: state().get_executors });
    case 'GET_HEALTH':
      return sendJson(res, 200, { type: 'GET_HEALTH', get_health: { healthy: true } });
    case 'GET_VERSION':
      return sendJson(res, 200, {
        type: 'GET_VERSION',
        get_version: { version_info: { version: MESOS_VERSION } },
      });
    case 'SUBSCRIBE':
      return subscribe(master, req, res, options);
    default:
      throw new InputError(`Unsupported call type ${JSON.stringify(call.type)}`);
  }
}

function subscribe(
  master: Master,
  req: IncomingMessage,
  res: ServerResponse,
  options: OperatorApiOptions,
): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-cache');
  const ipOf = (agentId: string) => master.agent(agentId)?.info.ip;
  const send = (event: Json) => {
    if (!res.writableEnded && !res.destroyed) res.write(encodeRecord(event));
  };
  const onTaskAdded = (task: ClusterTask) =>
    send({ type: 'TASK_ADDED', task_added: { task: v1Task(task, ipOf(task.agentId)) } });
  const onTaskUpdated = (task: ClusterTask, status: TaskStatusRecord) =>
    send({
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: { value: task.frameworkId },
        status: v1Status(task, status, ipOf(task.agentId)),
        state: status.state,
      },
    });
  const onAgentAdded = (agent: AgentInfo) =>
    send({ type: 'AGENT_ADDED', agent_added: { agent: v1Agent(agent) } });
  const onAgentRemoved = (agentId: string) =>
    send({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: agentId } } });
  const onFrameworkAdded = () => {
    const fw = v1Framework(master);
    if (fw) send({ type: 'FRAMEWORK_ADDED', framework_added: { framework: fw } });
  };
  // Snapshot and subscription in the same tick: nothing is lost or duplicated between them.
  send({
    type: 'SUBSCRIBED',
    subscribed: {
      get_state: v1State(master),
      heartbeat_interval_seconds: options.heartbeatSeconds,
    },
  });
  master.on('taskAdded', onTaskAdded);
  master.on('taskUpdated', onTaskUpdated);
  master.on('agentAdded', onAgentAdded);
  master.on('agentRemoved', onAgentRemoved);
  master.on('frameworkAdded', onFrameworkAdded);
  const heartbeat = setInterval(() => send({ type: 'HEARTBEAT' }), options.heartbeatSeconds * 1000);
  heartbeat.unref();
  const cleanup = () => {
    clearInterval(heartbeat);
    master.off('taskAdded', onTaskAdded);
    master.off('taskUpdated', onTaskUpdated);
    master.off('agentAdded', onAgentAdded);
    master.off('agentRemoved', onAgentRemoved);
    master.off('frameworkAdded', onFrameworkAdded);
  };
  // The response closes when the subscriber goes away (or the server shuts down).
  res.on('close', cleanup);
  req.socket.setKeepAlive(true);
  req.socket.setNoDelay(true);
}
