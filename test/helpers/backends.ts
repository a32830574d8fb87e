// The two coordination backends as test fixtures: the embedded store and a real ZooKeeper
// server started for the test file. Suites that claim ZooKeeper behaviour run against both.
import { EmbeddedStore, type EmbeddedSession } from '../../src/zk/embedded.js';
import { ZkSession } from '../../src/zk/session.js';
import type { Acl, AuthInfo, Coordination } from '../../src/zk/types.js';
import { startZkWireServer, type ZkWireServer } from '../../src/zk/wire-server.js';
import { expireSession, ZkServer } from './zookeeper.js';

export interface Backend {
  connect(opts?: { auth?: AuthInfo[]; defaultAcl?: Acl[] }): Promise<Coordination>;
  /** Expires the session on purpose and resolves once the session noticed. */
  expire(c: Coordination): Promise<void>;
  /** Stops the server(s) and starts them again on the same address, keeping the data. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
  /** The ZooKeeper server, for the real backend. */
  server?: ZkServer;
  /** Connect string for clients made outside connect() (not for the in-process store). */
  connectString?: string;
}

export async function embeddedBackend(): Promise<Backend> {
  const store = new EmbeddedStore();
  return {
    async connect(opts) {
      const s = store.connect(opts);
      await s.waitConnected(1000);
      return s;
    },
    async expire(c: Coordination) {
      (c as EmbeddedSession).expire();
    },
    async restart() {
      store.stop();
      await new Promise((r) => setTimeout(r, 5));
      store.start();
    },
    async cleanup() {},
  };
}

export async function zookeeperBackend(): Promise<Backend> {
  const server = await ZkServer.start();
  return {
    server,
    connectString: server.connectString,
    async connect(opts) {
      // Long enough that a server restart on a loaded machine (JVM start-up) does not expire
      // the session; expiry is tested on purpose with expire().
      const s = new ZkSession(server.connectString, { ...opts, sessionTimeoutMs: 10000 });
      await s.waitConnected(15000);
      return s;
    },
    async expire(c: Coordination) {
      const creds = (c as ZkSession).credentials();
      if (!creds) throw new Error('session not connected');
      const before = c.sessionId;
      let sawExpired = false;
      c.once('expired', () => (sawExpired = true));
      await expireSession(
        server.connectString,
        creds.id,
        creds.password,
        () => sawExpired || c.sessionId !== before,
        // The victim's client races the clone for the session; on a loaded machine it can take
        // several rounds.
        45000,
      );
    },
    async restart() {
      await server.kill();
      await server.resume();
    },
    async cleanup() {
      await server.stop();
    },
  };
}

/** The embedded store served over the ZooKeeper wire protocol (src/zk/wire-server.ts), with
 *  Beacon's real ZkSession (node-zookeeper-client) as the client. Expiry is done on the server
 *  side with `store.expire(sessionId)` — the session id the client sees is the store's — which is
 *  what the server's own timeout sweep does; the clone-and-close route is covered separately in
 *  wire-protocol.test.ts. Restart closes the server and starts a new one on the same port and
 *  store; sessions live with the store, so clients resume them. */
export async function wireBackend(): Promise<Backend> {
  const store = new EmbeddedStore();
  const serverOptions = { store, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 60000 };
  let server: ZkWireServer = await startZkWireServer(serverOptions);
  const port = server.port;
  return {
    connectString: `127.0.0.1:${port}`,
    async connect(opts) {
      const s = new ZkSession(server.connectString, {
        ...opts,
        sessionTimeoutMs: 4000,
        spinDelayMs: 50,
      });
      await s.waitConnected(15000);
      return s;
    },
    async expire(c: Coordination) {
      const before = c.sessionId;
      const noticed = new Promise<void>((resolve) => c.once('expired', () => resolve()));
      store.expire(before);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        noticed,
        new Promise((_, reject) => {
          t = setTimeout(
            () => reject(new Error(`session ${before} did not see its expiry within 20 s`)),
            20000,
          );
        }),
      ]).finally(() => clearTimeout(t));
    },
    async restart() {
      await server.close();
      server = await startZkWireServer({ ...serverOptions, port });
    },
    async cleanup() {
      await server.close();
    },
  };
}
