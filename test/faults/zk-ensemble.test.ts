// Fault suite, ZooKeeper side, against a real 3-server ensemble on loopback: the leader killed
// under 100 announcers and 10 watchers, a frozen server, and a full outage longer than the
// session timeout. Each scenario prints what it checked and its figures. `npm test` runs one
// round; `npm run faults` (BEACON_FAULTS_FULL=1) runs more rounds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Announcer } from '../../src/serverset/announcer.js';
import { ServersetWatcher } from '../../src/serverset/watcher.js';
import { ZkSession } from '../../src/zk/session.js';
import { waitFor } from '../helpers/wait.js';
import { ZkEnsemble } from '../helpers/zookeeper.js';
import { report } from '../helpers/report.js';

const FULL = process.env.BEACON_FAULTS_FULL === '1';
const ANNOUNCERS = 100;
const WATCHERS = 10;
const ROUNDS = FULL ? 3 : 1;
const SESSION_MS = 4000;

describe('ZooKeeper ensemble faults', () => {
  let ens: ZkEnsemble;
  const sessions: ZkSession[] = [];
  const open = async (connect: string, opts: ConstructorParameters<typeof ZkSession>[1] = {}) => {
    const s = new ZkSession(connect, { sessionTimeoutMs: SESSION_MS, ...opts });
    sessions.push(s);
    await s.waitConnected(30000);
    return s;
  };
  before(async () => {
    ens = await ZkEnsemble.start(3);
  });
  after(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await ens.stop();
  });

  test(`leader killed under ${ANNOUNCERS} announcers and ${WATCHERS} watchers: every member exactly once, watchers converge, never empty`, async () => {
    const path = '/aurora/faults/prod/leader';
    // Announcers spread over 10 sessions (10 executor processes), watchers on their own.
    const writerSessions = await Promise.all(
      Array.from({ length: 10 }, () => open(ens.connectString)),
    );
    const announcers = Array.from(
      { length: ANNOUNCERS },
      (_, i) =>
        new Announcer({
          session: writerSessions[i % writerSessions.length]!,
          path,
          instance: {
            serviceEndpoint: { host: '127.0.0.1', port: 20000 + i },
            additionalEndpoints: { http: { host: '127.0.0.1', port: 20000 + i } },
            status: 'ALIVE',
            shard: i,
          },
        }),
    );
    await Promise.all(announcers.map((a) => a.join()));
    const watchers: ServersetWatcher[] = [];
    let emptyPublished = 0;
    for (let i = 0; i < WATCHERS; i++) {
      const w = new ServersetWatcher({ session: await open(ens.connectString), path });
      await w.start();
      w.on('change', (c) => {
        if (c.members.length === 0) emptyPublished++;
      });
      watchers.push(w);
    }
    await waitFor(
      'watchers see all members',
      () => watchers.every((w) => w.members().length === ANNOUNCERS),
      30000,
    );

    for (let round = 1; round <= ROUNDS; round++) {
      const leader = await ens.leader();
      assert.ok(leader, 'a leader serves');
      const t0 = Date.now();
      await ens.kill(leader);
      await ens.waitServing(60000);
      const checker = await open(ens.connectString);
      await waitFor(
        'every member present exactly once after re-election',
        async () => (await checker.getChildren(path)).length === ANNOUNCERS,
        60000,
      );
      await waitFor(
        'every watcher converged and fresh',
        () => watchers.every((w) => !w.stale && w.members().length === ANNOUNCERS),
        60000,
      );
      const recoveredMs = Date.now() - t0;
      const children = await checker.getChildren(path);
      const shards = new Set<number>();
      for (const c of children) {
        const { data } = await checker.getData(`${path}/${c}`);
        shards.add(JSON.parse(data.toString()).shard);
      }
      assert.equal(children.length, ANNOUNCERS, 'no duplicate members');
      assert.equal(shards.size, ANNOUNCERS, 'every shard exactly once');
      assert.equal(emptyPublished, 0, 'no watcher published an empty set');
      report(
        `round ${round}: killed leader server.${leader}; members ${children.length}/${ANNOUNCERS} (lost 0, duplicated 0), ${WATCHERS} watchers converged, recovered in ${recoveredMs} ms, empty sets published: ${emptyPublished}`,
      );
      await ens.startMember(leader);
      await ens.waitServing(60000);
    }
    for (const w of watchers) w.stop();
    await Promise.all(announcers.map((a) => a.leave()));
  });

  test('a frozen server (SIGSTOP): the watchdog moves the session to another server', async () => {
    // Connect to one server only first, so we know which one to freeze.
    const first = ens.members[0]!;
    const others = ens.members.slice(1).map((m) => `127.0.0.1:${m.clientPort}`);
    const s = await open([`127.0.0.1:${first.clientPort}`, ...others].join(','), {
      spinDelayMs: 100,
    });
    const path = '/aurora/faults/prod/frozen';
    const a = new Announcer({
      session: s,
      path,
      instance: {
        serviceEndpoint: { host: '127.0.0.1', port: 1 },
        additionalEndpoints: {},
        status: 'ALIVE',
      },
    });
    const member = await a.join();
    // Find the server our session is on, and freeze that one.
    let on: number | undefined;
    for (const m of ens.members) {
      const cons = await import('../helpers/zookeeper.js').then((z) =>
        z.fourLetter(m.clientPort, 'cons', 1000),
      );
      if (cons.includes(`sid=0x${s.sessionId.replace(/^0+/, '')}`)) on = m.id;
    }
    assert.ok(on, 'found the server holding the session');
    const id = s.sessionId;
    const t0 = Date.now();
    ens.freeze(on);
    try {
      await waitFor(
        'session moved to another server',
        async () =>
          s.state === 'connected' && Date.now() - t0 > 50 && (await s.exists(member)) !== null,
        // When the frozen server is the leader the other two elect a new one first; on a loaded
        // 2-core machine that and the move together have taken over 30 s (the report prints it).
        60000,
        50,
      );
      const movedMs = Date.now() - t0;
      assert.equal(s.sessionId, id, 'same session on the new server');
      report(
        `froze server.${on} under a session: moved to another server in ${movedMs} ms, same session, member kept`,
      );
    } finally {
      ens.thaw(on);
    }
    await a.leave();
  });

  test('full outage longer than the session timeout: watchers keep the last set (stale), announcers re-join', async () => {
    const path = '/aurora/faults/prod/outage';
    const writer = await open(ens.connectString);
    const reader = await open(ens.connectString);
    const announcers = Array.from(
      { length: 5 },
      (_, i) =>
        new Announcer({
          session: writer,
          path,
          instance: {
            serviceEndpoint: { host: '127.0.0.1', port: 30000 + i },
            additionalEndpoints: {},
            status: 'ALIVE',
            shard: i,
          },
        }),
    );
    await Promise.all(announcers.map((a) => a.join()));
    const w = new ServersetWatcher({ session: reader, path });
    await w.start();
    let emptyPublished = 0;
    w.on('change', (c) => {
      if (c.members.length === 0) emptyPublished++;
    });
    await waitFor('all members seen', () => w.members().length === 5);
    const t0 = Date.now();
    for (const m of ens.members) await ens.kill(m.id);
    await waitFor('watcher stale', () => w.stale, 30000);
    // Stay down past the session timeout, checking the stale set the whole time.
    while (Date.now() - t0 < SESSION_MS * 2) {
      assert.equal(w.members().length, 5, 'the last known set is served while ZooKeeper is down');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const m of ens.members) await ens.startMember(m.id);
    await ens.waitServing(60000);
    const checker = await open(ens.connectString);
    await waitFor(
      'announcers re-joined (new session)',
      async () => (await checker.getChildren(path).catch(() => [])).length === 5,
      60000,
    );
    await waitFor(
      'watcher fresh with all members',
      () => !w.stale && w.members().length === 5,
      60000,
    );
    const recoveredMs = Date.now() - t0;
    assert.equal((await checker.getChildren(path)).length, 5, 'no duplicates after re-join');
    assert.equal(emptyPublished, 0, 'never published an empty set');
    report(
      `full outage ${SESSION_MS * 2} ms (> session timeout ${SESSION_MS} ms): watcher served 5/5 stale, announcers re-joined 5/5, recovered ${recoveredMs} ms after the outage began`,
    );
    w.stop();
    await Promise.all(announcers.map((a) => a.leave()));
  });
});
