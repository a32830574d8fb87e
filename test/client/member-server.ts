// A ServerSet member for the client tests and bench, run as its own process: an HTTP server on
// 127.0.0.1 that answers every request with its id (optionally after a delay, or by resetting the
// connection mid-request), reports each request on stdout (`hit METHOD PATH PORT EPOCH_MS`), and — in
// announcer mode — announces itself with Beacon's Announcer once it listens. In sidecar mode the
// `beacon serverset announce` sidecar runs it and announces it.
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { Announcer } from '../../src/serverset/announcer.js';
import { ZkSession } from '../../src/zk/session.js';

export interface MemberConfig {
  id: string;
  port: number;
  /** Extra port answering the same way (an `admin` endpoint), or none. */
  extraPort?: number;
  delayMs?: number;
  /** Reset the connection (TCP RST) after reading each request's head, before any response. */
  reset?: boolean;
  /** Print a `hit` line per request (off for the bench's rps run). */
  report?: boolean;
  /** Announce with the library Announcer (instead of being run by the sidecar). */
  announce?: { zk: string; path: string; sessionTimeoutMs?: number; shard?: number };
}

const config = JSON.parse(process.argv[2] ?? '{}') as MemberConfig;
const report = config.report ?? true;
const body = Buffer.from(config.id);

function serve(port: number): Promise<void> {
  const server = createServer((req, res) => {
    if (report)
      process.stdout.write(
        `hit ${req.method} ${req.url} ${port} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`,
      );
    if (config.reset) {
      (req.socket as Socket).resetAndDestroy();
      return;
    }
    req.resume();
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    };
    if (config.delayMs) setTimeout(answer, config.delayMs);
    else answer();
  });
  server.keepAliveTimeout = 60000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

await serve(config.port);
if (config.extraPort) await serve(config.extraPort);
process.stdout.write(`listening ${config.port}\n`);

if (config.announce) {
  const session = new ZkSession(config.announce.zk, {
    sessionTimeoutMs: config.announce.sessionTimeoutMs ?? 10000,
  });
  await session.waitConnected(30000);
  const endpoint = { host: '127.0.0.1', port: config.port };
  const announcer = new Announcer({
    session,
    path: config.announce.path,
    instance: {
      serviceEndpoint: endpoint,
      additionalEndpoints: { http: endpoint },
      status: 'ALIVE',
      ...(config.announce.shard !== undefined ? { shard: config.announce.shard } : {}),
    },
  });
  const path = await announcer.join();
  process.stdout.write(`announced ${path}\n`);
}
