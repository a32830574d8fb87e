// The executor's HTTP health checker: healthy on the first passing check; unhealthy after
// max_consecutive_failures failures once the initial interval is over; a wrong body is a failure.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { checkOnce, HealthChecker } from '../../src/cluster/health.js';
import { nextEvent } from '../helpers/wait.js';

test('healthy, then unhealthy after consecutive failures', async () => {
  let body = 'ok';
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const hc = new HealthChecker({
    host: '127.0.0.1',
    port,
    path: '/health',
    expected: 'ok',
    intervalMs: 20,
    initialMs: 0,
    maxFailures: 3,
    timeoutMs: 500,
  });
  try {
    const healthy = nextEvent(hc, 'healthy', 5000);
    hc.start();
    await healthy;
    const unhealthy = nextEvent<[string]>(hc, 'unhealthy', 5000);
    body = 'not ok';
    const [reason] = await unhealthy;
    assert.match(
      reason,
      /Failed health check! http:\/\/127\.0\.0\.1:\d+\/health: answered 'not ok', expected 'ok' \(3 times in a row\)/,
    );
  } finally {
    hc.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a refused connection is a failure with its reason', async () => {
  const reason = await checkOnce({
    host: '127.0.0.1',
    port: 1,
    path: '/health',
    expected: 'ok',
    timeoutMs: 500,
  });
  assert.match(reason ?? '', /ECONNREFUSED/);
});
