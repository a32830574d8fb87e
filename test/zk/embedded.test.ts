// The coordination contract against the embedded in-process store.
import { EmbeddedStore, type EmbeddedSession } from '../../src/zk/embedded.js';
import type { Coordination } from '../../src/zk/types.js';
import { coordinationContract } from './contract.js';

coordinationContract('embedded store', async () => {
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
      await new Promise((r) => setImmediate(r));
      store.start();
    },
    async cleanup() {},
  };
});
