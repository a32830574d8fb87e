// The master's v1 operator stream, end to end: a raw SUBSCRIBE sees SUBSCRIBED first, then each
// task's TASK_ADDED → STARTING → RUNNING in order, HEARTBEATs, TASK_LOST before AGENT_REMOVED when
// an agent fails, KILLING → KILLED on kill; and the stream source resubscribes when the
// devcluster process is restarted on the same ports.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { RecordIoDecoder } from '../../src/model/recordio.js';
import { StreamStateSource } from '../../src/sources/stream.js';
import { waitFor } from '../helpers/wait.js';
import { beacon } from '../helpers/cli.js';
import { post } from '../helpers/http.js';
import { EXAMPLE_KEY, startDevclusterProc, waitRunning } from './devcluster-proc.js';

interface Ev {
  type: string;
  [k: string]: unknown;
}

function subscribe(masterUrl: string): { events: Ev[]; close(): void } {
  const events: Ev[] = [];
  const decoder = new RecordIoDecoder();
  const req = http.request(`${masterUrl}/api/v1`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
  });
  req.on('response', (res) => {
    assert.equal(res.statusCode, 200);
    res.on('data', (c: Buffer) => {
      for (const r of decoder.push(c)) events.push(JSON.parse(r) as Ev);
    });
  });
  req.on('error', () => undefined);
  req.end(JSON.stringify({ type: 'SUBSCRIBE' }));
  return { events, close: () => req.destroy() };
}

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    o,
  );

/** `TYPE:task:state` lines, per task. */
function taskTimeline(events: Ev[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    let id: string | undefined;
    let state: string | undefined;
    if (e.type === 'TASK_ADDED') {
      id = get(e, 'task_added', 'task', 'task_id', 'value') as string;
      state = get(e, 'task_added', 'task', 'state') as string;
    } else if (e.type === 'TASK_UPDATED') {
      id = get(e, 'task_updated', 'status', 'task_id', 'value') as string;
      state = get(e, 'task_updated', 'state') as string;
    } else continue;
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push(`${e.type}:${state}`);
  }
  return out;
}

test('the operator stream delivers events in order', async () => {
  const dc = await startDevclusterProc({ extra: ['--no-example', '--heartbeat', '1'] });
  const sub = subscribe(dc.masterUrl);
  try {
    await waitFor('SUBSCRIBED', () => sub.events.length > 0);
    const first = sub.events[0]!;
    assert.equal(first.type, 'SUBSCRIBED');
    assert.equal(get(first, 'subscribed', 'heartbeat_interval_seconds'), 1);
    assert.equal(
      (get(first, 'subscribed', 'get_state', 'get_agents', 'agents') as unknown[]).length,
      2,
    );
    assert.equal(
      (get(first, 'subscribed', 'get_state', 'get_frameworks', 'frameworks') as unknown[]).length,
      1,
    );

    const r = beacon([
      'job',
      'create',
      EXAMPLE_KEY,
      'examples/http_example.yaml',
      '--master',
      dc.masterUrl,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const running = await waitRunning(dc.masterUrl, 2);
    await waitFor(
      'both RUNNING updates',
      () =>
        [...taskTimeline(sub.events).values()].filter((t) =>
          t.includes('TASK_UPDATED:TASK_RUNNING'),
        ).length === 2,
    );
    for (const i of running) {
      assert.deepEqual(taskTimeline(sub.events).get(i.taskId!), [
        'TASK_ADDED:TASK_STAGING',
        'TASK_UPDATED:TASK_STARTING',
        'TASK_UPDATED:TASK_RUNNING',
      ]);
    }
    // A TASK_ADDED carries DiscoveryInfo in the v1 shape.
    const added = sub.events.find((e) => e.type === 'TASK_ADDED')!;
    assert.equal(
      get(added, 'task_added', 'task', 'discovery', 'name'),
      'http_example.test.vagrant',
    );
    assert.equal(get(added, 'task_added', 'task', 'agent_id', 'value') !== undefined, true);
    await waitFor('a HEARTBEAT', () => sub.events.some((e) => e.type === 'HEARTBEAT'), 5000);

    // Agent failure: the task's LOST comes before AGENT_REMOVED, the replacement after.
    const victim = running.find((i) => i.host === dc.agentIp)!;
    const res = await post(`${dc.masterUrl}/devcluster/agents/${dc.agentIp}/fail`, {});
    assert.equal(res.status, 200, res.text);
    await waitRunning(dc.masterUrl, 2);
    const idx = (pred: (e: Ev) => boolean) => sub.events.findIndex(pred);
    const lostAt = idx(
      (e) =>
        e.type === 'TASK_UPDATED' &&
        get(e, 'task_updated', 'status', 'task_id', 'value') === victim.taskId &&
        get(e, 'task_updated', 'state') === 'TASK_LOST',
    );
    const removedAt = idx((e) => e.type === 'AGENT_REMOVED');
    assert.ok(lostAt > 0 && removedAt > lostAt, `LOST at ${lostAt}, AGENT_REMOVED at ${removedAt}`);
    assert.equal(
      get(sub.events[lostAt], 'task_updated', 'status', 'reason'),
      'REASON_AGENT_REMOVED',
    );
    const replacementAt = idx(
      (e) =>
        e.type === 'TASK_ADDED' &&
        (get(e, 'task_added', 'task', 'task_id', 'value') as string).includes(
          `-${victim.instance}-`,
        ) &&
        sub.events.indexOf(e) > removedAt,
    );
    assert.ok(replacementAt > removedAt);

    // Kill: KILLING then KILLED for each task.
    const before = await waitRunning(dc.masterUrl, 2);
    assert.equal(beacon(['job', 'kill', EXAMPLE_KEY, '--master', dc.masterUrl]).status, 0);
    await waitFor('both KILLED', () =>
      before.every(
        (i) => taskTimeline(sub.events).get(i.taskId!)?.at(-1) === 'TASK_UPDATED:TASK_KILLED',
      ),
    );
    for (const i of before) {
      const t = taskTimeline(sub.events).get(i.taskId!)!;
      assert.deepEqual(t.slice(-2), ['TASK_UPDATED:TASK_KILLING', 'TASK_UPDATED:TASK_KILLED']);
    }
  } finally {
    sub.close();
    await dc.stop();
  }
});

test('the stream source resubscribes when the devcluster restarts on the same ports', async () => {
  const first = await startDevclusterProc({ extra: ['--heartbeat', '1'] });
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port: first.masterPort }],
    refreshMs: 500,
    timeoutMs: 3000,
    backoff: { baseMs: 50 },
  });
  const subscribed: number[] = [];
  let failures = 0;
  source.on('snapshot', (s) => s.from.endsWith('/api/v1') && subscribed.push(Date.now()));
  source.on('failure', () => failures++);
  let second: Awaited<ReturnType<typeof startDevclusterProc>> | undefined;
  try {
    source.start();
    await waitFor('subscribed', () => subscribed.length === 1);
    assert.equal(await first.stop(), 0);
    await waitFor('the loss reported', () => failures > 0);
    second = await startDevclusterProc({
      dataDir: first.dataDir,
      masterPort: first.masterPort,
      agentIp: first.agentIp,
      agentPort: first.agentPort,
      extra: ['--heartbeat', '1'],
    });
    await waitFor('subscribed again', () => subscribed.length === 2, 15000);
    assert.ok(source.isStreaming);
  } finally {
    await source.close();
    await second?.stop();
    await first.stop();
  }
});
