// The coordination contract against a real ZooKeeper 3.8 server started for this file.
import { ZkSession } from '../../src/zk/session.js';
import type { Coordination } from '../../src/zk/types.js';
import { expireSession, ZkServer } from '../helpers/zookeeper.js';
import { coordinationContract } from './contract.js';

coordinationContract('ZooKeeper', async () => {
  const server = await ZkServer.start();
  return {
    async connect(opts) {
      const s = new ZkSession(server.connectString, { ...opts, sessionTimeoutMs: 4000 });
      await s.waitConnected(15000);
      return s;
    },
    async expire(c: Coordination) {
      const creds = (c as ZkSession).credentials();
      if (!creds) throw new Error('session not connected');
      const before = c.sessionId;
      let sawExpired = false;
      c.once('expired', () => (sawExpired = true));
      await expireSession(server.connectString, creds.id, creds.password, () => sawExpired || c.sessionId !== before);
    },
    async restart() {
      await server.kill();
      await server.resume();
    },
    async cleanup() {
      await server.stop();
    },
  };
});
