// The masters poll source against real HTTP fake masters: fallback, leader following, timeouts,
// garbage, down-at-start with backoff, basic auth, and prompt close.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StateError, TimeoutError } from '../../src/errors.js';
import { parseMasterAddress } from '../../src/sources/master-address.js';
import { MasterPollSource, type MasterPollOptions } from '../../src/sources/master-poll.js';
import type { StateFailure, StateSnapshot } from '../../src/sources/types.js';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { parseDoc, type Doc } from '../helpers/state-doc.js';

const parse = parseDoc();

const masters: FakeMaster[] = [];
const sources: MasterPollSource<Doc>[] = [];
after(async () => {
  for (const s of sources) await s.close();
  for (const m of masters) await m.stop();
});

async function master(opts: { down?: boolean } = {}): Promise<FakeMaster> {
  const m = await FakeMaster.start(opts);
  masters.push(m);
  return m;
}

function source(
  list: FakeMaster[],
  extra: Partial<MasterPollOptions<Doc>> = {},
): MasterPollSource<Doc> {
  const s = new MasterPollSource<Doc>({
    masters: list.map((m) => parseMasterAddress(m.address)),
    parse,
    refreshMs: 60000,
    timeoutMs: 5000,
    backoff: { baseMs: 20, capMs: 100 },
    ...extra,
  });
  sources.push(s);
  return s;
}

describe('master poll source', () => {
  it('loads the state of the first master', async () => {
    const m = await master();
    const s = source([m]);
    const got = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    const [snap] = await got;
    assert.equal(snap.from, `http://${m.address}/master/state`);
    assert.equal((snap.state.frameworks as unknown[]).length, 1);
    assert.deepEqual(snap.warnings, []);
    assert.equal(s.status().leader, m.address);
    assert.equal(s.status().consecutiveFailures, 0);
    await s.close();
  });

  it('falls back to the second master when the first is down', async () => {
    const dead = await master({ down: true });
    const m2 = await master();
    const s = source([dead, m2]);
    const got = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    const [snap] = await got;
    assert.equal(snap.from, `http://${m2.address}/master/state`);
    await s.close();
  });

  it("follows the document's leader field to the leading master", async () => {
    const follower = await master();
    const leader = await master();
    follower.setLeader(leader.pid);
    leader.setState({ ...sampleState({ port: leader.port }), id: 'the-leader' });
    const s = source([follower]);
    const got = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    const [snap] = await got;
    assert.equal(snap.from, `http://${leader.address}/master/state`);
    assert.equal(snap.state.id, 'the-leader');
    assert.equal(follower.requests, 1);
    assert.equal(leader.requests, 1);
    assert.equal(s.status().leader, leader.address);
    await s.close();
  });

  it('skips a master whose document names no leader', async () => {
    const unelected = await master();
    unelected.setLeader(null);
    const m2 = await master();
    const s = source([unelected, m2]);
    const got = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    const [snap] = await got;
    assert.equal(snap.from, `http://${m2.address}/master/state`);
    await s.close();
  });

  it('cuts off a hung master with the timeout, then recovers', async () => {
    const m = await master();
    m.setMode('hang');
    const s = source([m], { timeoutMs: 200 });
    const failed = nextEvent<[StateFailure]>(s, 'failure');
    s.start();
    const [f] = await failed;
    assert.ok(f.error.message.includes('no complete answer within 200 ms'), f.error.message);
    assert.ok(f.error.message.includes('stateTimeoutSeconds'));
    m.setMode('ok');
    const [snap] = await nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    assert.equal(snap.from, `http://${m.address}/master/state`);
    await s.close();
  });

  it('counts garbage as a failed refresh and keeps retrying', async () => {
    const m = await master();
    m.setMode('garbage');
    const s = source([m]);
    const failures: StateFailure[] = [];
    s.on('failure', (f) => failures.push(f));
    s.start();
    await waitFor('two failures', () => failures.length >= 2);
    assert.match(failures[0]!.error.message, /not JSON/);
    // A document was read and rejected: the service collects what was parsed of it.
    assert.equal((failures[0]!.error as StateError).documentRead, true);
    assert.equal(failures[1]!.consecutive, 2);
    assert.equal(s.status().consecutiveFailures >= 2, true);
    assert.match(s.status().lastFailure!.message, /not JSON/);
    m.setMode('ok');
    await nextEvent(s, 'snapshot');
    assert.equal(s.status().consecutiveFailures, 0);
    await s.close();
  });

  it('reports an HTTP error status', async () => {
    const m = await master();
    m.setMode('error');
    const s = source([m]);
    const failed = nextEvent<[StateFailure]>(s, 'failure');
    s.start();
    const [f] = await failed;
    assert.match(f.error.message, /HTTP 503/);
    assert.equal((f.error as StateError).documentRead, false, 'no document was read');
    await s.close();
  });

  it('retries a master that is down at start and loads once it comes up', async () => {
    const m = await master({ down: true });
    const s = source([m]);
    const failures: StateFailure[] = [];
    s.on('failure', (f) => failures.push(f));
    s.start();
    await waitFor('three failed attempts', () => failures.length >= 3);
    assert.match(failures[0]!.error.message, /connection refused/);
    assert.equal((failures[0]!.error as StateError).documentRead, false, 'nothing was read');
    // Each failure plans the next attempt (backoff), never more than the cap away.
    for (const f of failures) {
      assert.ok(
        f.nextAttemptAt !== undefined && f.nextAttemptAt - f.at <= 100,
        'next attempt within the cap',
      );
    }
    const got = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    await m.up();
    const [snap] = await got;
    assert.equal(snap.from, `http://${m.address}/master/state`);
    await s.close();
  });

  it('polls again every refresh interval', async () => {
    const m = await master();
    const s = source([m], { refreshMs: 30 });
    let n = 0;
    s.on('snapshot', () => n++);
    s.start();
    await waitFor('three snapshots', () => n >= 3);
    await s.close();
  });

  it('sends basic auth when configured', async () => {
    const m = await master();
    const s = source([m], { basicAuth: { principal: 'beacon', secret: 's3cret' } });
    const got = nextEvent(s, 'snapshot');
    s.start();
    await got;
    assert.equal(m.lastAuthorization, `Basic ${Buffer.from('beacon:s3cret').toString('base64')}`);
    await s.close();
  });

  it('tries the leader hint before the configured masters', async () => {
    const listed = await master();
    const hinted = await master();
    const s = source([listed], { leaderHint: () => parseMasterAddress(hinted.address) });
    const got = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    const [snap] = await got;
    assert.equal(snap.from, `http://${hinted.address}/master/state`);
    assert.equal(listed.requests, 0);
    await s.close();
  });

  it('close() aborts a request in flight and emits nothing after', async () => {
    const m = await master();
    m.setMode('hang');
    const s = source([m], { timeoutMs: 60000 });
    let events = 0;
    s.on('snapshot', () => events++);
    s.on('failure', () => events++);
    s.start();
    await waitFor('the request to arrive', () => m.requests >= 1);
    await s.close();
    assert.equal(events, 0);
  });

  it('a timeout error is a TimeoutError in the failure chain', async () => {
    const m = await master();
    m.setMode('hang');
    const s = source([m], { timeoutMs: 50 });
    const failed = nextEvent<[StateFailure]>(s, 'failure');
    s.start();
    const [f] = await failed;
    // The per-master error is summarised in a StateError naming every master tried.
    assert.ok(f.error instanceof StateError);
    assert.ok(!(f.error instanceof TimeoutError));
    assert.match(f.error.message, new RegExp(m.address.replace(/\./g, '\\.')));
    await s.close();
  });
});
