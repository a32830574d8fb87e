// ZooKeeper leader detection and the zk state source, run against the embedded store and (when
// installed) a real ZooKeeper: json.info_ children, lowest sequence wins, leader change re-fetches
// from the new leader, a missing group path is waited for.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StateFailure, StateSnapshot } from '../../src/sources/types.js';
import { LeaderDetector, type LeaderInfo } from '../../src/sources/zk-leader.js';
import { ZkStateSource } from '../../src/sources/zk-source.js';
import { EmbeddedStore } from '../../src/zk/embedded.js';
import { ZkSession } from '../../src/zk/session.js';
import type { Coordination } from '../../src/zk/types.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { ZkServer, zookeeperInstalled } from '../helpers/zookeeper.js';
import { parseDoc, type Doc } from '../helpers/state-doc.js';

const parse = parseDoc();

interface Backend {
  name: string;
  /** A fresh session; `tag` keeps paths apart between tests on one server. */
  open(): Promise<Coordination>;
  skip?: string | false;
}

function contract(backend: () => Backend): void {
  let n = 0;
  const path = () => `/mesos-${process.pid}-${++n}`;
  const closeLater: Array<{ close(): Promise<void> }> = [];
  after(async () => {
    for (const c of closeLater.reverse()) await c.close().catch(() => {});
  });
  const open = async () => {
    const c = await backend().open();
    closeLater.push(c);
    await c.waitConnected(10000);
    return c;
  };

  it('the lowest json.info_ child is the leader; protobuf and other children are ignored', async () => {
    const writer = await open();
    const reader = await open();
    const p = path();
    const m1 = await FakeMaster.start();
    const m2 = await FakeMaster.start();
    closeLater.push(m1, m2);
    await writer.mkdirp(p);
    await writer.create(`${p}/info_`, Buffer.from('protobuf'), { mode: 'ephemeralSequential' });
    const first = await writer.create(`${p}/json.info_`, m1.masterInfo(), {
      mode: 'ephemeralSequential',
    });
    await writer.create(`${p}/json.info_`, m2.masterInfo(), { mode: 'ephemeralSequential' });
    await writer.create(`${p}/log_replicas`, Buffer.alloc(0));
    const d = new LeaderDetector(reader, p);
    closeLater.push(d);
    const got = nextEvent<[LeaderInfo | undefined]>(d, 'leader');
    d.start();
    const [l] = await got;
    assert.equal(l?.node, first.slice(p.length + 1));
    assert.deepEqual(l?.address, { host: '127.0.0.1', port: m1.port });
    // The leader goes away: the next in line takes over.
    const next = nextEvent<[LeaderInfo | undefined]>(d, 'leader');
    await writer.remove(first);
    const [l2] = await next;
    assert.deepEqual(l2?.address, { host: '127.0.0.1', port: m2.port });
  });

  it('waits for a missing group path and detects once masters register', async () => {
    const writer = await open();
    const reader = await open();
    const p = path();
    const m1 = await FakeMaster.start();
    closeLater.push(m1);
    const d = new LeaderDetector(reader, p);
    closeLater.push(d);
    const none = nextEvent<[LeaderInfo | undefined]>(d, 'leader');
    d.start();
    assert.equal((await none)[0], undefined);
    assert.equal(d.hasDetected(), true);
    const some = nextEvent<[LeaderInfo | undefined]>(d, 'leader');
    await writer.mkdirp(p);
    await writer.create(`${p}/json.info_`, m1.masterInfo(), { mode: 'ephemeralSequential' });
    const [l] = await some;
    assert.equal(l?.address.port, m1.port);
  });

  it('zk source polls the detected leader and re-fetches from the new leader on a change', async () => {
    const writer = await open();
    const reader = await open();
    const p = path();
    const m1 = await FakeMaster.start();
    const m2 = await FakeMaster.start();
    closeLater.push(m1, m2);
    await writer.mkdirp(p);
    const first = await writer.create(`${p}/json.info_`, m1.masterInfo(), {
      mode: 'ephemeralSequential',
    });
    await writer.create(`${p}/json.info_`, m2.masterInfo(), { mode: 'ephemeralSequential' });
    m2.setLeader(m1.pid); // m2 agrees that m1 leads, until m1 goes
    const s = new ZkStateSource<Doc>({
      coordination: reader,
      ownsCoordination: false,
      path: p,
      url: `zk://${reader.target}${p}`,
      detectionTimeoutMs: 10000,
      masters: [],
      parse,
      refreshMs: 60000,
      timeoutMs: 5000,
      backoff: { baseMs: 20, capMs: 100 },
    });
    closeLater.push(s);
    const snaps: StateSnapshot<Doc>[] = [];
    s.on('snapshot', (x) => snaps.push(x));
    s.start();
    await waitFor('a snapshot from m1', () => snaps.length >= 1);
    assert.equal(snaps[0]!.from, `http://${m1.address}/master/state`);
    assert.equal(s.status().kind, 'zk');
    assert.equal(s.status().leader, m1.address);
    // Failover: m1 dies and its node goes; m2 is elected and says so.
    m2.setLeader(m2.pid);
    await m1.down();
    await writer.remove(first);
    // No refresh interval passes (60 s): the leader change itself triggers the fetch.
    await waitFor('a snapshot from m2', () =>
      snaps.find((x) => x.from === `http://${m2.address}/master/state`),
    );
    assert.equal(s.status().leader, m2.address);
    await s.close();
  });

  it('reports no leader within zkDetectionTimeout and falls back to the configured masters', async () => {
    const reader = await open();
    const p = path();
    const m = await FakeMaster.start();
    closeLater.push(m);
    const s = new ZkStateSource<Doc>({
      coordination: reader,
      ownsCoordination: false,
      path: p,
      url: `zk://${reader.target}${p}`,
      detectionTimeoutMs: 100,
      masters: [{ host: m.host, port: m.port }],
      parse,
      refreshMs: 60000,
      timeoutMs: 5000,
    });
    closeLater.push(s);
    const failed = nextEvent<[StateFailure]>(s, 'failure');
    const snap = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    const [f] = await failed;
    assert.match(f.error.message, /no leading Mesos master found in ZooKeeper/);
    assert.match(f.error.message, /zkDetectionTimeout/);
    const [x] = await snap;
    assert.equal(x.from, `http://${m.address}/master/state`);
    await s.close();
  });
}

describe('zk leader detection: embedded store', () => {
  const store = new EmbeddedStore();
  contract(() => ({ name: 'embedded', open: async () => store.connect() }));
});

describe('zk leader detection: session expiry (embedded store)', () => {
  it('re-arms its watches on the renewed session and sees a later leader change', async () => {
    const store = new EmbeddedStore();
    const writer = store.connect();
    const reader = store.connect();
    await writer.waitConnected(5000);
    await reader.waitConnected(5000);
    const m1 = await FakeMaster.start();
    const m2 = await FakeMaster.start();
    try {
      await writer.mkdirp('/mesos');
      const first = await writer.create('/mesos/json.info_', m1.masterInfo(), {
        mode: 'ephemeralSequential',
      });
      await writer.create('/mesos/json.info_', m2.masterInfo(), { mode: 'ephemeralSequential' });
      const d = new LeaderDetector(reader, '/mesos');
      const got = nextEvent<[LeaderInfo | undefined]>(d, 'leader');
      d.start();
      assert.equal((await got)[0]?.address.port, m1.port);
      // The reader's session expires (its watches are gone) and is renewed.
      const renewed = nextEvent(reader, 'sessionRenewed');
      reader.expire();
      await renewed;
      // Let the re-detection on the new session finish, so only a re-armed watch can report the
      // change below.
      await d.whenIdle();
      const next = nextEvent<[LeaderInfo | undefined]>(d, 'leader');
      await writer.remove(first);
      assert.equal((await next)[0]?.address.port, m2.port);
      await d.close();
    } finally {
      await m1.stop();
      await m2.stop();
      await reader.close();
      await writer.close();
    }
  });
});

describe(
  'zk leader detection: real ZooKeeper',
  { skip: zookeeperInstalled() ? false : 'ZooKeeper not installed' },
  () => {
    let zk: ZkServer | undefined;
    before(async () => {
      zk = await ZkServer.start();
    });
    after(async () => {
      await zk?.stop();
    });
    contract(() => ({
      name: 'zookeeper',
      open: async () => new ZkSession(zk!.connectString, { sessionTimeoutMs: 4000 }),
    }));
  },
);
