// A SUBSCRIBED snapshot that is read and rejected is a document read (StateError.documentRead,
// which tells the service to collect what reading it left behind); a refusal, an HTTP error or a
// stream that breaks after a good snapshot is not. A minimal v1 operator API on loopback plays
// the master, one answer per test.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { StateError } from '../../src/errors.js';
import { encodeRecord, frameRecord } from '../../src/model/recordio.js';
import { StreamStateSource } from '../../src/sources/stream.js';
import type { StateFailure } from '../../src/sources/types.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/** What the master answers the next SUBSCRIBE with, and a poll of /master/state. */
let answer: (res: http.ServerResponse) => void = (res) => res.end();
let polled: (res: http.ServerResponse) => void = (res) => {
  res.writeHead(404);
  res.end();
};

const server = http.createServer((req, res) => {
  req.resume();
  if (req.url === '/master/state') polled(res);
  else if (req.url !== '/api/v1') {
    res.writeHead(404);
    res.end();
  } else answer(res);
});
let port = 0;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const goodSubscribed = {
  type: 'SUBSCRIBED',
  subscribed: {
    heartbeat_interval_seconds: 15,
    get_state: { get_agents: { agents: [] }, get_frameworks: { frameworks: [] } },
  },
};

/** The first failure a stream source reports against the master (`at`: another port). */
async function firstFailure(at = port, streams?: () => void): Promise<StateFailure> {
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port: at }],
    refreshMs: 60_000,
    timeoutMs: 5000,
    backoff: { baseMs: 60_000 },
  });
  const failures: StateFailure[] = [];
  source.on('failure', (f) => failures.push(f));
  source.on('snapshot', () => streams?.());
  try {
    source.start();
    await waitFor('a failure', () => failures.length > 0);
    return failures[0]!;
  } finally {
    await source.close();
  }
}

function streamed(res: http.ServerResponse, body: string, end = false): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  if (end) res.end(body);
  else res.write(body);
}

test('a first record that is not JSON is a snapshot read and rejected', async () => {
  answer = (res) => streamed(res, `12\n{"type":"SUB`);
  const f = await firstFailure();
  assert.ok(f.error instanceof StateError);
  assert.match(f.error.message, /not JSON/);
  assert.equal(f.error.documentRead, true);
});

test('a SUBSCRIBED whose task is not JSON is rejected when that task is read, naming it', async () => {
  // The tasks of a SUBSCRIBED record are parsed one at a time (model/json-deferred.ts): a broken
  // one still rejects the whole snapshot, as a parse of the whole record did.
  const body =
    '{"type":"SUBSCRIBED","subscribed":{"get_state":{"get_tasks":{"tasks":[{"task_id":{"value":"a"}},' +
    '{"task_id":01}]},"get_frameworks":{"frameworks":[]}}}}';
  answer = (res) => streamed(res, frameRecord(body));
  const f = await firstFailure();
  assert.ok(f.error instanceof StateError);
  assert.match(
    f.error.message,
    /unusable SUBSCRIBED snapshot: subscribed\.get_state\.get_tasks\.tasks\[1\] is not JSON \(/,
  );
  assert.equal(f.error.documentRead, true);
});

test('a SUBSCRIBED without a state is a snapshot read and rejected', async () => {
  answer = (res) => streamed(res, encodeRecord({ type: 'SUBSCRIBED', subscribed: {} }));
  const f = await firstFailure();
  assert.ok(f.error instanceof StateError);
  assert.match(f.error.message, /unusable SUBSCRIBED snapshot: .*get_state/);
  assert.equal(f.error.documentRead, true);
  // The URL is named once.
  assert.equal(f.error.message.split(`127.0.0.1:${port}/api/v1`).length, 2, f.error.message);
});

test('a stream that begins with another event is a snapshot read and rejected', async () => {
  answer = (res) => streamed(res, encodeRecord({ type: 'HEARTBEAT' }));
  const f = await firstFailure();
  assert.match(f.error.message, /began with HEARTBEAT, not SUBSCRIBED/);
  assert.equal((f.error as StateError).documentRead, true);
});

test('a SUBSCRIBED record cut off part-way is a snapshot read; a stream ended before any is not', async () => {
  // The master ends the response in the middle of the record.
  answer = (res) => streamed(res, `100000\n{"type":"SUBSCRIBED","subscribed":{`, true);
  const ended = await firstFailure();
  assert.match(ended.error.message, /ended before SUBSCRIBED \(\d+ bytes of its record read\)/);
  assert.equal((ended.error as StateError).documentRead, true);

  // The connection breaks in the middle of the record.
  answer = (res) => {
    streamed(res, `100000\n{"type":"SUBSCRIBED","subscribed":{`);
    setImmediate(() => res.destroy());
  };
  const broken = await firstFailure();
  assert.equal((broken.error as StateError).documentRead, true, broken.error.message);

  // Nothing of a record came.
  answer = (res) => streamed(res, '', true);
  const empty = await firstFailure();
  assert.match(empty.error.message, /ended before SUBSCRIBED$/);
  assert.equal((empty.error as StateError).documentRead, false);
});

test('an HTTP error, a refused connection and a break after a good snapshot read none', async () => {
  answer = (res) => {
    res.writeHead(503);
    res.end();
  };
  const http503 = await firstFailure();
  assert.match(http503.error.message, /HTTP 503/);
  assert.equal((http503.error as StateError).documentRead, false);

  const refused = await firstFailure(await freePort());
  assert.match(refused.error.message, /connection refused/);
  assert.equal((refused.error as StateError).documentRead, false);

  // A good snapshot and the end of the stream in one write: read at once, so a subscription
  // that ends (as before the SUBSCRIBED scan ran in slices; a review found it reported as a
  // failure before SUBSCRIBED that read a document).
  answer = (res) => streamed(res, encodeRecord(goodSubscribed), true);
  const endedBehind = await firstFailure();
  assert.match(endedBehind.error.message, /ended the event stream/);
  assert.equal((endedBehind.error as StateError).documentRead, false);

  // A good snapshot, then the master ends the stream.
  let end: (() => void) | undefined;
  answer = (res) => {
    streamed(res, encodeRecord(goodSubscribed));
    end = () => res.end();
  };
  const lost = await firstFailure(port, () => end?.());
  assert.match(lost.error.message, /ended the event stream/);
  assert.equal((lost.error as StateError).documentRead, false);
});

test('a document the fallback poll reads and rejects is discarded, not a failure of the stream', async () => {
  // No v1 API: the stream fails twice, then polls /master/state, which answers cut short.
  answer = (res) => {
    res.writeHead(503);
    res.end();
  };
  polled = (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"frameworks":[{"id":"f"');
  };
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port }],
    refreshMs: 60_000,
    timeoutMs: 5000,
    backoff: { baseMs: 60_000 },
  });
  const failures: StateFailure[] = [];
  const discarded: StateFailure[] = [];
  source.on('failure', (f) => failures.push(f));
  source.on('discarded', (f) => discarded.push(f));
  try {
    source.start();
    await waitFor('a discarded document', () => discarded.length > 0);
    assert.match(discarded[0]!.error.message, /master\/state: the answer is not JSON.*cut short/);
    assert.equal((discarded[0]!.error as StateError).documentRead, true);
    assert.ok(
      failures.every((f) => /HTTP 503/.test(f.error.message)),
      'failures are the stream',
    );
  } finally {
    await source.close();
    polled = (res) => {
      res.writeHead(404);
      res.end();
    };
  }
});

test('a stream that ends while its SUBSCRIBED record is scanned is a snapshot read, and gives no snapshot', async () => {
  // 120,000 small tasks (~22 MiB): scanning the record takes many slices of the event loop on any
  // machine, so the end of the response (sent right behind the record) is seen during the scan.
  const tasks = Array.from({ length: 120_000 }, (_, i) => ({
    name: `job${i}`,
    task_id: { value: `t${i}` },
    framework_id: { value: 'F' },
    agent_id: { value: 'S0' },
    state: 'TASK_RUNNING',
    statuses: [{ state: 'TASK_RUNNING', timestamp: 1700000000 }],
  }));
  const big = encodeRecord({
    ...goodSubscribed,
    subscribed: { get_state: { get_tasks: { tasks } } },
  });
  answer = (res) => streamed(res, big, true);
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port }],
    refreshMs: 60_000,
    timeoutMs: 10_000,
    backoff: { baseMs: 60_000 },
  });
  const failures: StateFailure[] = [];
  let snapshots = 0;
  source.on('failure', (f) => failures.push(f));
  source.on('snapshot', () => snapshots++);
  try {
    source.start();
    await waitFor('a failure', () => failures.length > 0, 20_000);
    // The scan is dropped with the stream: it never goes live on that record nor gives its
    // snapshot (left to finish, it would within this time: ~0.2 s of scan and 1 s of model).
    for (let t = 0; t < 100; t++) {
      assert.equal(source.status().live, false);
      await new Promise((r) => setTimeout(r, 20));
    }
    const f = failures[0]!;
    assert.match(f.error.message, /ended before SUBSCRIBED \(its record read, not yet parsed\)/);
    assert.equal((f.error as StateError).documentRead, true);
    assert.equal(snapshots, 0);
  } finally {
    await source.close();
  }
});
