// Network helpers for tests: free loopback ports and addresses.
import { createServer } from 'node:net';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A first agent address nobody else uses (so devclusters run beside each other and beside a
 *  developer's `npm start`): 127.X.Y.1 with random X, Y. */
export function uniqueAgentIp(): string {
  const r = () => 10 + Math.floor(Math.random() * 240);
  return `127.${r()}.${r()}.1`;
}
