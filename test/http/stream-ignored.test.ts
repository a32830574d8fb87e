// A TASK_UPDATED for a task the record set does not hold changes nothing: the service logs it,
// and neither counts it in beacon_state_changes_total nor emits `changed`; the events around it
// still apply. A minimal v1 operator API on loopback plays the master.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { encodeRecord } from '../../src/model/recordio.js';
import { getJson } from '../helpers/http.js';
import { subscribedWith } from '../helpers/v1-subscribed.js';
import { waitFor } from '../helpers/wait.js';
import { startService } from './fixture.js';

const id = (value: string) => ({ value });

const subscribed = subscribedWith([]);

const events = [
  {
    type: 'TASK_UPDATED',
    task_updated: {
      framework_id: id('F'),
      state: 'TASK_RUNNING',
      status: { task_id: id('nobody'), state: 'TASK_RUNNING' },
    },
  },
  {
    type: 'TASK_ADDED',
    task_added: {
      task: {
        task_id: id('t1'),
        framework_id: id('F'),
        agent_id: id('S0'),
        name: 'web',
        state: 'TASK_RUNNING',
      },
    },
  },
];

test('an update of a task no set holds is not applied, counted or announced', async () => {
  let stream: http.ServerResponse | undefined;
  const master = http.createServer((req, res) => {
    req.resume();
    if (req.url !== '/api/v1') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/recordio' });
    res.write(encodeRecord(subscribed));
    stream = res;
  });
  await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
  const port = (master.address() as AddressInfo).port;
  const s = await startService({
    masters: [],
    config: { masters: [`127.0.0.1:${port}`], stateSource: 'stream' },
  });
  const changed: string[] = [];
  s.service.on('changed', (_c, meta) => changed.push(meta.event));
  try {
    await waitFor('subscribed', () => stream !== undefined);
    stream!.write(events.map(encodeRecord).join(''));
    await waitFor('the added task served', () => s.service.records()?.get('web.aurora.mesos.'));
    assert.deepEqual(changed, ['TASK_ADDED']);
    const metrics = (await getJson(`${s.base}/metrics`)).body as string;
    const counted = metrics.split('\n').filter((l) => l.startsWith('beacon_state_changes_total{'));
    assert.deepEqual(counted, ['beacon_state_changes_total{event="TASK_ADDED"} 1']);
  } finally {
    await s.close();
    master.closeAllConnections();
    master.close();
  }
});
