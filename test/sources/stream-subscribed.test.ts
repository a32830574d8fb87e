// The stream source parses a big SUBSCRIBED document in slices: the events the master sends right
// behind it (same write) wait, then apply in order, after the snapshot. A burst of events in one
// write (read as many chunks in a row; the source pauses between slow ones) arrives whole and in
// order. A minimal v1 operator API on loopback plays the master.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { encodeRecord } from '../../src/model/recordio.js';
import { DEFAULT_RECORDS_CONFIG, generateRecords, MemRecordSet } from '../../src/records/index.js';
import { applyStateChange, type RecordChange } from '../../src/records/changes.js';
import { StreamStateSource } from '../../src/sources/stream.js';
import { subscribedWith } from '../helpers/v1-subscribed.js';
import { waitFor } from '../helpers/wait.js';

const TASKS = 3000;

function v1Task(i: number, state = 'TASK_RUNNING'): Record<string, unknown> {
  const id = { value: `t${i}` };
  return {
    name: `job${i}`,
    task_id: id,
    framework_id: { value: 'F' },
    agent_id: { value: 'S0' },
    state,
    resources: [
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] } },
    ],
    statuses: [
      {
        task_id: id,
        state: 'TASK_RUNNING',
        timestamp: 1700000000,
        container_status: {
          network_infos: [{ ip_addresses: [{ ip_address: `10.1.${(i >> 8) & 255}.${i & 255}` }] }],
        },
      },
    ],
  };
}

const subscribed = subscribedWith(Array.from({ length: TASKS }, (_, i) => v1Task(i)));

// Sent in the same write as SUBSCRIBED: only a set that already holds t5 can apply the first.
const behind = [
  {
    type: 'TASK_UPDATED',
    task_updated: {
      framework_id: { value: 'F' },
      status: { task_id: { value: 't5' }, state: 'TASK_KILLED', timestamp: 1700000001 },
      state: 'TASK_KILLED',
    },
  },
  { type: 'TASK_ADDED', task_added: { task: v1Task(TASKS) } },
];

let stream: http.ServerResponse | undefined;
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write([subscribed, ...behind].map(encodeRecord).join(''));
  stream = res;
});

/** TASK_UPDATED events giving tasks new addresses (not t5, killed above), one write. */
const BURST = 5000;
const burst = Array.from({ length: BURST }, (_, i) => ({
  type: 'TASK_UPDATED',
  task_updated: {
    framework_id: { value: 'F' },
    state: 'TASK_RUNNING',
    status: {
      task_id: { value: `t${10 + ((i * 7) % (TASKS - 10))}` },
      state: 'TASK_RUNNING',
      timestamp: 1700000100 + i,
      container_status: {
        network_infos: [{ ip_addresses: [{ ip_address: `10.2.${(i >> 8) & 255}.${i & 255}` }] }],
      },
    },
  },
}));
after(() => {
  server.closeAllConnections();
  server.close();
});

/** A stream source on a master at `port` that builds a record set from its snapshot and applies
 *  every change to it; `seen` lists the snapshot and each change (`change ID STATE`) in order. */
function follow(port: number) {
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port }],
    refreshMs: 60000,
    timeoutMs: 10000,
  });
  const seen: string[] = [];
  let rs: MemRecordSet | undefined;
  source.on('snapshot', (s) => {
    seen.push('snapshot');
    rs = generateRecords(s.state, DEFAULT_RECORDS_CONFIG);
  });
  source.on('change', (c: RecordChange) => {
    seen.push(
      `change ${c.type === 'task' ? `${c.task.id} ${c.task.state}` : c.type === 'taskStatus' ? `${c.update.taskId} ${c.update.state}` : c.type}`,
    );
    if (c.type !== 'serverset') applyStateChange(rs!, c);
  });
  return { source, seen, set: () => rs! };
}

test('events right behind a big SUBSCRIBED wait for its snapshot, then apply in order', async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const { source, seen, set } = follow(port);
  let rs: MemRecordSet | undefined;
  try {
    source.start();
    await waitFor('the snapshot and both changes', () => seen.length >= 3, 30000);
    assert.deepEqual(seen, ['snapshot', 'change t5 TASK_KILLED', `change t${TASKS} TASK_RUNNING`]);
    rs = set();
    assert.equal(rs!.get('job5.aurora.mesos.'), undefined, 'the killed task is gone');
    assert.deepEqual(rs!.get(`job${TASKS}.aurora.mesos.`)?.a, [`10.1.11.184`]);
    assert.equal(rs!.taskCount(), TASKS);

    // The burst: every change, in the order sent, and the set equals a rebuild of the state the
    // events describe.
    seen.length = 0;
    stream!.write(burst.map(encodeRecord).join(''));
    await waitFor('the burst applied', () => seen.length >= BURST, 30000);
    assert.deepEqual(
      seen,
      burst.map((e) => `change ${e.task_updated.status.task_id.value} TASK_RUNNING`),
    );
    const last = new Map<string, string>();
    for (const e of burst)
      last.set(
        e.task_updated.status.task_id.value,
        e.task_updated.status.container_status.network_infos[0]!.ip_addresses[0]!.ip_address,
      );
    for (const [id, ip] of last)
      assert.deepEqual(rs!.get(`job${id.slice(1)}.aurora.mesos.`)?.a, [ip]);
  } finally {
    await source.close();
  }
});

test('a big SUBSCRIBED record is read with a young collection every few MiB; events are not', async () => {
  // 9 MiB of SUBSCRIBED (a field Beacon does not read pads it), then 3 bursts of events.
  const big = subscribedWith([v1Task(0)]) as { subscribed: Record<string, unknown> };
  big.subscribed.pad = 'x'.repeat(9 << 20);
  let res: http.ServerResponse | undefined;
  const master = http.createServer((req, r) => {
    req.resume();
    r.writeHead(200, { 'content-type': 'application/json' });
    r.write(encodeRecord(big));
    res = r;
  });
  await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
  let collections = 0;
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port: (master.address() as AddressInfo).port }],
    refreshMs: 60000,
    timeoutMs: 10000,
    collectYoung: () => collections++,
  });
  let snapshots = 0;
  let changes = 0;
  source.on('snapshot', () => snapshots++);
  source.on('change', () => changes++);
  try {
    source.start();
    await waitFor('the snapshot', () => snapshots === 1, 30000);
    // One per 4 MiB read: 9 MiB gives 2 (a chunk may straddle the last boundary).
    assert.equal(collections, 2);
    const bytes = burst.map(encodeRecord).join('');
    for (let i = 0; i < 3; i++) res!.write(bytes);
    await waitFor('the bursts', () => changes === 3 * BURST, 30000);
    assert.equal(collections, 2, 'none while events are read');
  } finally {
    await source.close();
    master.closeAllConnections();
    master.close();
  }
});

test('events behind a SUBSCRIBED record scanned in slices wait for its snapshot, in order', async () => {
  // ~22 MiB: past what is read at once, so the record is scanned in slices; the events in the
  // same write wait behind it, and one written a moment later arrives during the scan or after.
  const n = 60_000;
  const big = subscribedWith(Array.from({ length: n }, (_, i) => v1Task(i)));
  const kill = (id: string, timestamp: number) => ({
    type: 'TASK_UPDATED',
    task_updated: {
      framework_id: { value: 'F' },
      status: { task_id: { value: id }, state: 'TASK_KILLED', timestamp },
      state: 'TASK_KILLED',
    },
  });
  const master = http.createServer((req, r) => {
    req.resume();
    r.writeHead(200, { 'content-type': 'application/json' });
    r.write(
      [big, kill('t5', 1700000001), { type: 'TASK_ADDED', task_added: { task: v1Task(n) } }]
        .map(encodeRecord)
        .join(''),
    );
    setImmediate(() => r.write(encodeRecord(kill('t7', 1700000002))));
  });
  await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
  const { source, seen, set } = follow((master.address() as AddressInfo).port);
  let rs: MemRecordSet | undefined;
  try {
    source.start();
    await waitFor('the snapshot and three changes', () => seen.length >= 4, 60000);
    assert.deepEqual(seen, [
      'snapshot',
      'change t5 TASK_KILLED',
      `change t${n} TASK_RUNNING`,
      'change t7 TASK_KILLED',
    ]);
    rs = set();
    assert.equal(rs!.get('job5.aurora.mesos.'), undefined);
    assert.equal(rs!.get('job7.aurora.mesos.'), undefined);
    assert.ok(rs!.get(`job${n}.aurora.mesos.`));
    assert.equal(rs!.taskCount(), n - 1);
  } finally {
    await source.close();
    master.closeAllConnections();
    master.close();
  }
});
