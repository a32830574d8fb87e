// The operator API against a bare master (no processes): FRAMEWORK_ADDED, AGENT_ADDED and
// AGENT_REMOVED reach a subscriber in order, GET_STATE answers, bad calls are refused.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { Agent } from '../../src/cluster/agent.js';
import { Master } from '../../src/cluster/master.js';
import { handleOperatorApi } from '../../src/cluster/operator-api.js';
import { RecordIoDecoder } from '../../src/model/recordio.js';
import { waitFor } from '../helpers/wait.js';

function call(
  port: number,
  body: string,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1',
        method: 'POST',
        agent: false,
        headers: { 'content-type': contentType },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('FRAMEWORK_ADDED, AGENT_ADDED and AGENT_REMOVED reach a subscriber in order', async () => {
  const master = new Master({
    ip: '127.0.0.1',
    port: 5050,
    hostname: '127.0.0.1',
    frameworkName: 'Aurora',
    cluster: 'test',
  });
  const server = http.createServer(
    (req, res) => void handleOperatorApi(master, req, res, { heartbeatSeconds: 15 }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const events: { type: string; [k: string]: unknown }[] = [];
  const decoder = new RecordIoDecoder();
  const req = http.request({
    host: '127.0.0.1',
    port,
    path: '/api/v1',
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json' },
  });
  req.on('response', (res) =>
    res.on('data', (c: Buffer) => decoder.push(c).forEach((r) => events.push(JSON.parse(r)))),
  );
  req.on('error', () => undefined);
  req.end('{"type":"SUBSCRIBE"}');
  try {
    await waitFor('SUBSCRIBED', () => events.length === 1);
    master.registerFramework();
    const agent = new Agent({
      info: {
        id: master.newAgentId(),
        hostname: 'h',
        ip: '127.0.0.1',
        port: 1,
        resources: { cpus: 1, mem: 1, disk: 1, ports: [[1, 2]] },
        registeredAt: 1,
      },
      master,
      workDir: '/nonexistent',
      http: false,
    });
    master.addAgent(agent);
    master.removeAgent(agent.info.id, 'test');
    await waitFor('three events', () => events.length === 4);
    assert.deepEqual(
      events.map((e) => e.type),
      ['SUBSCRIBED', 'FRAMEWORK_ADDED', 'AGENT_ADDED', 'AGENT_REMOVED'],
    );
    assert.deepEqual(
      (events[1]!.framework_added as { framework: { framework_info: { name: string } } }).framework
        .framework_info.name,
      'Aurora',
    );
    assert.deepEqual(
      (events[3]!.agent_removed as { agent_id: { value: string } }).agent_id.value,
      agent.info.id,
    );

    const state = await call(port, '{"type":"GET_STATE"}');
    assert.equal(state.status, 200);
    assert.equal((JSON.parse(state.text) as { type: string }).type, 'GET_STATE');
    assert.equal((await call(port, '{"type":"NOPE"}')).status, 400);
    assert.equal((await call(port, 'not json')).status, 400);
    assert.equal((await call(port, '{}', 'application/x-protobuf')).status, 415);
  } finally {
    req.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
