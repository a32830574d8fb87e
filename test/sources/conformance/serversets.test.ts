// The source conformance suite (../source.case.ts) against the ServerSet source, on the embedded
// store served over the ZooKeeper wire protocol.
import assert from 'node:assert/strict';
import { Announcer } from '../../../src/serverset/announcer.js';
import { ServersetSource, type ServersetRecords } from '../../../src/sources/serversets.js';
import type { Coordination } from '../../../src/zk/types.js';
import { wireBackend } from '../../helpers/backends.js';
import { nextEvent } from '../../helpers/wait.js';
import { sourceConformance, type SourceHarness } from '../source.case.js';

function member(host: string, port: number) {
  return {
    serviceEndpoint: { host, port },
    additionalEndpoints: { http: { host, port } },
    status: 'ALIVE' as const,
    shard: 0,
  };
}

sourceConformance<ServersetRecords>(
  'ServerSets',
  async (): Promise<SourceHarness<ServersetRecords>> => {
    const backend = await wireBackend();
    const writer: Coordination = await backend.connect();
    const announcers: Announcer[] = [];
    const announce = async (host: string, port: number) => {
      const a = new Announcer({
        session: writer,
        path: '/aurora/www/prod/frontend',
        instance: member(host, port),
      });
      await a.join();
      announcers.push(a);
    };
    await announce('127.0.0.5', 8080);
    const make = () =>
      new ServersetSource({
        configs: [{ zk: backend.connectString!, root: '/aurora' }],
        domain: 'mesos',
        connectTimeoutMs: 5000,
      });
    return {
      kind: 'serversets',
      source: make(),
      checkSnapshot: (snap) => {
        assert.equal(snap.state.size, 1);
        const [records] = [...snap.state.values()];
        assert.ok(records!.some((r) => r.type === 'A' && r.value === '127.0.0.5'));
      },
      load: (store, snap) => store.loadServersets(snap.state),
      change: () => announce('127.0.0.6', 8081),
      truth: async () => {
        const fresh = make();
        try {
          const got = nextEvent<[Parameters<SourceHarness<ServersetRecords>['load']>[1]]>(
            fresh,
            'snapshot',
          );
          fresh.start();
          return (await got)[0];
        } finally {
          await fresh.close();
        }
      },
      cleanup: async () => {
        for (const a of announcers) await a.leave().catch(() => {});
        await writer.close();
        await backend.cleanup();
      },
    };
  },
  {
    failure:
      'an ensemble unreachable at start is a start-up error of `beacon dns`; after the first read the watches serve the last members through outages and never fail',
  },
);
