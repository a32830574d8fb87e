// The source conformance suite (../source.case.ts) against the v1 event-stream source, following
// a real devcluster master (real task processes). The truth it is held to is the master's own v1
// GET_STATE, the document SUBSCRIBED carries too.
import assert from 'node:assert/strict';
import {
  startDevcluster,
  type Devcluster,
  type DevclusterOptions,
} from '../../../src/cluster/devcluster.js';
import { parseState, type MesosState } from '../../../src/model/mesos-state.js';
import { StreamStateSource } from '../../../src/sources/stream.js';
import { devclusterOptions } from '../../helpers/devcluster.js';
import { waitFor } from '../../helpers/wait.js';
import { sourceConformance, type SourceHarness } from '../source.case.js';

const JOB = 'devcluster/vagrant/test/http_example';

sourceConformance<MesosState>('v1 event stream', async (): Promise<SourceHarness<MesosState>> => {
  const opts: Partial<DevclusterOptions> = await devclusterOptions('beacon-conf-stream-');
  let dc: Devcluster | undefined = await startDevcluster(opts);
  const master = { host: '127.0.0.1', port: opts.masterPort! };
  return {
    kind: 'masters',
    source: new StreamStateSource({
      masters: [master],
      refreshMs: 500,
      timeoutMs: 3000,
      backoff: { baseMs: 50 },
    }),
    checkSnapshot: (snap) => {
      assert.match(snap.from, /\/api\/v1$/);
      assert.ok(snap.state.agents.length >= 1);
    },
    load: (store, snap) => void store.loadState(snap.state, snap.fetchedAt),
    breakIt: async () => {
      await dc?.close();
      dc = undefined;
    },
    failure: /./,
    fixIt: async () => {
      dc = await startDevcluster(opts);
    },
    change: async () => {
      if (!dc) return;
      const cluster = dc;
      await waitFor(
        'both instances running',
        () => cluster.scheduler.status(JOB).instances.every((i) => i.status === 'RUNNING'),
        20000,
      );
      cluster.scheduler.kill(JOB, [1]);
    },
    truth: async () => {
      const res = await fetch(`http://${master.host}:${master.port}/api/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ type: 'GET_STATE' }),
      });
      const { state } = parseState(await res.json());
      // SUBSCRIBED names no leader either: the source takes the master it streams from.
      state.leader = master;
      return { state, warnings: [], fetchedAt: Date.now(), from: 'GET_STATE' };
    },
    cleanup: async () => {
      await dc?.close();
    },
  };
});
