#!/usr/bin/env node
// The example job's process (examples/http_example.yaml): answers on its `http` port with its
// instance id, on its `health` port (and `/health` on `http`) with `ok`, and on its `tcp` port with
// one line naming the instance. `GET /health/fail` on the health port makes its health check fail
// until `GET /health/pass` (to watch DNS leave an unhealthy instance out). No dependencies. Exits
// cleanly on SIGTERM.
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp } from 'node:net';

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  process.stderr.write(`http_example_server: missing --${name}\n`);
  process.exit(2);
}

const host = flag('host', '127.0.0.1');
const instance = flag('instance');
const taskId = flag('task-id', '');
const ports = {
  http: Number(flag('http')),
  tcp: Number(flag('tcp')),
  health: Number(flag('health')),
};

const servers = [];
function listen(name, server) {
  servers.push(server);
  server.on('error', (e) => {
    process.stderr.write(`http_example_server: ${name} ${host}:${ports[name]}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(ports[name], host, () =>
    process.stdout.write(`${name} listening on ${host}:${ports[name]}\n`),
  );
}

listen(
  'http',
  createHttp((req, res) => {
    if (req.url === '/health') return void res.end('ok');
    res.setHeader('content-type', 'text/plain');
    res.end(`Hello from instance ${instance} (task ${taskId}) at ${host}:${ports.http}\n`);
  }),
);
let failing = false;
listen(
  'health',
  createHttp((req, res) => {
    if (req.url === '/health/fail' || req.url === '/health/pass') {
      failing = req.url === '/health/fail';
      return void res.end(failing ? 'failing\n' : 'passing\n');
    }
    if (req.url === '/health') {
      if (failing) res.statusCode = 503;
      return void res.end(failing ? 'failing' : 'ok');
    }
    res.statusCode = 404;
    res.end('not found\n');
  }),
);
listen(
  'tcp',
  createTcp((sock) => sock.end(`instance ${instance}\n`)),
);

function stop(sig) {
  process.stdout.write(`got ${sig}, stopping\n`);
  let open = servers.length;
  for (const s of servers) s.close(() => --open === 0 && process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
