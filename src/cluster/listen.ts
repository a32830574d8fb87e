// Binding a devcluster listener: a port already in use is reported by name and number
// (PortInUseError), an address that cannot be bound says which flag to change.
import type { Server } from 'node:http';
import { PortInUseError, UsageError } from '../errors.js';

export function listen(server: Server, what: string, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new PortInUseError(what, host, port));
      else if (e.code === 'EADDRNOTAVAIL')
        reject(
          new UsageError(
            `${what}: cannot bind ${host}:${port}: the address is not on this machine`,
          ),
        );
      else reject(new UsageError(`${what}: cannot bind ${host}:${port}: ${e.message}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** Closes a server and every open connection (long-lived streams included). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
