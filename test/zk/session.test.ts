// The ZooKeeper session's own fault handling, against a real server: the liveness watchdog on a
// frozen server, "unreachable" reporting, and the one-session-per-process registry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ZkUnreachableError } from '../../src/errors.js';
import { acquireSession } from '../../src/zk/index.js';
import { ZkSession } from '../../src/zk/session.js';
import { freePort } from '../helpers/net.js';
import { nextEvent } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';

describe('ZooKeeper session faults', () => {
  let zk: ZkServer;
  before(async () => {
    zk = await ZkServer.start({ tickMs: 500 });
  });
  after(async () => {
    zk.thaw();
    await zk.stop();
  });

  test('a frozen server (SIGSTOP) is detected by the watchdog; the session resumes after SIGCONT', async (t) => {
    const s = new ZkSession(zk.connectString, { sessionTimeoutMs: 9000 });
    try {
      await s.waitConnected(15000);
      const eph = await s.create('/frozen-eph', Buffer.alloc(0), { mode: 'ephemeral' });
      const id = s.sessionId;
      const disconnected = nextEvent(s, 'disconnected', 15000);
      const t0 = Date.now();
      zk.freeze();
      await disconnected; // without the watchdog the open socket would look healthy indefinitely
      const detectedMs = Date.now() - t0;
      // How fast is a figure, not a pass mark (it slips under CPU load): the watchdog aims at
      // two thirds of the session timeout.
      t.diagnostic(`frozen server detected after ${detectedMs} ms (session timeout 9000 ms)`);
      const reconnected = nextEvent(s, 'connected', 30000);
      zk.thaw();
      await reconnected;
      assert.equal(s.sessionId, id, 'same session after the freeze');
      assert.ok(await s.exists(eph), 'ephemeral kept');
    } finally {
      zk.thaw();
      await s.close();
    }
  });

  test('no server reachable: "unreachable" is reported and waitConnected fails with a clear error', async () => {
    const port = await freePort();
    const s = new ZkSession(`127.0.0.1:${port}`, {
      sessionTimeoutMs: 2000,
      unreachableAfterMs: 500,
    });
    try {
      const [detail] = await nextEvent<[string]>(s, 'unreachable', 10000);
      assert.match(
        detail,
        new RegExp(`no ZooKeeper server of 127\\.0\\.0\\.1:${port} has answered`),
      );
      await assert.rejects(
        s.waitConnected(300),
        (e: unknown) => e instanceof ZkUnreachableError && /within/.test(e.message),
      );
    } finally {
      await s.close();
    }
  });

  test('one shared session per target: announcers and watchers of a process ride on it', async () => {
    const a = acquireSession(zk.connectString);
    const b = acquireSession(zk.connectString);
    assert.equal(a.session, b.session);
    await a.session.waitConnected(15000);
    const eph = await a.session.create('/shared-eph', Buffer.alloc(0), { mode: 'ephemeral' });
    await a.release();
    assert.equal(b.session.state, 'connected', 'still open while referenced');
    await b.release();
    assert.equal(b.session.state, 'closed', 'closed with the last reference');
    const check = new ZkSession(zk.connectString);
    await check.waitConnected(15000);
    assert.equal(await check.exists(eph), null, 'ephemerals removed by the explicit close');
    await check.close();
    const c = acquireSession(zk.connectString);
    assert.notEqual(c.session, a.session, 'a new session after the last release');
    await c.release();
  });
});
