// `npm run bench -- serverset`: ServerSet watcher figures against a real ZooKeeper.
// 1) 10,000 members announced: time until a watcher's set holds all of them (cold resolve of an
//    existing set, and live while they are being announced).
// 2) Delay from a member's create/delete to the watcher's change event over ≥ 1,000 changes,
//    beside a raw node-zookeeper-client watch on the same server in the same run (the baseline).
import zookeeper from 'node-zookeeper-client';
import { Announcer } from '../src/serverset/announcer.js';
import { encodeJson } from '../src/serverset/codec.js';
import { ServersetWatcher } from '../src/serverset/watcher.js';
import { ZkSession } from '../src/zk/session.js';
import { ZkServer } from '../test/helpers/zookeeper.js';
import { machine, ms, summary } from './lib/stats.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 1000);

function instance(i: number) {
  return {
    serviceEndpoint: { host: `10.1.${(i >> 8) & 255}.${i & 255}`, port: 31000 + (i % 1000) },
    additionalEndpoints: {
      http: { host: `10.1.${(i >> 8) & 255}.${i & 255}`, port: 31000 + (i % 1000) },
    },
    status: 'ALIVE' as const,
    shard: i,
  };
}

async function session(server: ZkServer): Promise<ZkSession> {
  const s = new ZkSession(server.connectString, { sessionTimeoutMs: 30000 });
  await s.waitConnected(15000);
  return s;
}

async function bulk(server: ZkServer): Promise<void> {
  const writer = await session(server);
  const reader = await session(server);
  const path = '/aurora/bench/prod/bulk';
  await writer.mkdirp(path);

  // Live: the watcher runs while 10,000 members are announced (Announcers on one session, as
  // one executor process would run them).
  const live = new ServersetWatcher({ session: reader, path });
  await live.start();
  const t0 = performance.now();
  const seen = new Promise<number>((resolve) => {
    live.on('change', (c) => {
      if (c.members.length >= MEMBERS) resolve(performance.now());
    });
  });
  const announcers: Announcer[] = [];
  const batch = 500;
  for (let i = 0; i < MEMBERS; i += batch) {
    const group = Array.from(
      { length: Math.min(batch, MEMBERS - i) },
      (_, k) => new Announcer({ session: writer, path, instance: instance(i + k) }),
    );
    announcers.push(...group);
    await Promise.all(group.map((a) => a.join()));
  }
  const tAnnounced = performance.now();
  const tSeen = await seen;
  live.stop();

  // Cold: a new watcher resolves the existing 10,000-member set.
  const cold = await session(server);
  const t1 = performance.now();
  const w = new ServersetWatcher({ session: cold, path });
  await w.start();
  const tCold = performance.now() - t1;
  if (w.members().length !== MEMBERS)
    throw new Error(`cold watcher saw ${w.members().length} of ${MEMBERS}`);
  w.stop();

  console.log(`\n[1] ${MEMBERS} members`);
  console.log(`  announce all (one session, ${batch} joins in flight): ${ms(tAnnounced - t0)}`);
  console.log(
    `  live watcher holds all ${MEMBERS}: ${ms(tSeen - t0)} after the first create (${ms(tSeen - tAnnounced)} after the last join returned)`,
  );
  console.log(
    `  cold watcher resolves the existing set: ${ms(tCold)}   goal ≤ 3000 ms → ${tCold <= 3000 ? 'met' : 'NOT met'}`,
  );
  await Promise.all([cold.close(), reader.close()]);
  await writer.close();
}

async function latency(server: ZkServer): Promise<void> {
  const writer = await session(server);
  const reader = await session(server);
  const path = '/aurora/bench/prod/latency';
  await writer.mkdirp(path);
  for (let i = 0; i < 50; i++)
    await writer.create(`${path}/member_`, encodeJson(instance(i)), {
      mode: 'ephemeralSequential',
    });

  const watcher = new ServersetWatcher({ session: reader, path });
  await watcher.start();
  let expectSize = watcher.members().length;
  let watcherResolve: ((t: number) => void) | undefined;
  watcher.on('change', (c) => {
    if (watcherResolve && c.members.length === expectSize) {
      watcherResolve(performance.now());
      watcherResolve = undefined;
    }
  });

  // Baselines, both bare node-zookeeper-client on their own sessions:
  // (a) the child-watch notification alone (what the goal compares with);
  // (b) what any reader must do to learn the new member set: notification → re-list (with a
  //     new watch) → read the new members.
  const rawClient = async () => {
    const c = zookeeper.createClient(server.connectString, { sessionTimeout: 30000 });
    await new Promise<void>((r) => {
      c.once('connected', () => r());
      c.connect();
    });
    return c;
  };
  const raw = await rawClient();
  const relist = await rawClient();
  let rawResolve: ((t: number) => void) | undefined;
  const arm = () =>
    new Promise<void>((resolve, reject) =>
      raw.getChildren(
        path,
        () => {
          const t = performance.now();
          rawResolve?.(t);
          rawResolve = undefined;
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  let relistResolve: ((t: number) => void) | undefined;
  let known = new Set<string>();
  const relistWatch = (): void => {
    relist.getChildren(
      path,
      () => relistWatch(),
      (err, children) => {
        if (err) return; // closing at the end of the run
        const fresh = children.filter((c) => !known.has(c));
        known = new Set(children);
        let pending = fresh.length;
        const done = () => {
          relistResolve?.(performance.now());
          relistResolve = undefined;
        };
        if (pending === 0) return done();
        for (const name of fresh)
          relist.getData(`${path}/${name}`, () => --pending === 0 && done());
      },
    );
  };
  await new Promise<void>((resolve) =>
    relist.getChildren(
      path,
      () => relistWatch(),
      (_e, children) => {
        known = new Set(children);
        resolve();
      },
    ),
  );

  const rawDelays: number[] = [];
  const relistDelays: number[] = [];
  const ourDelays: number[] = [];
  const created: string[] = [];
  for (let i = 0; i < CHANGES; i++) {
    await arm();
    const rawSeen = new Promise<number>((r) => (rawResolve = r));
    const relistSeen = new Promise<number>((r) => (relistResolve = r));
    const ourSeen = new Promise<number>((r) => (watcherResolve = r));
    const join = i % 2 === 0;
    expectSize += join ? 1 : -1;
    const t0 = performance.now();
    if (join)
      created.push(
        await writer.create(`${path}/member_`, encodeJson(instance(1000 + i)), {
          mode: 'ephemeralSequential',
        }),
      );
    else await writer.remove(created.pop()!);
    const [tr, tl, to] = await Promise.all([rawSeen, relistSeen, ourSeen]);
    rawDelays.push(tr - t0);
    relistDelays.push(tl - t0);
    ourDelays.push(to - t0);
  }
  const l = summary(relistDelays);
  const r = summary(rawDelays);
  const o = summary(ourDelays);
  console.log(
    `\n[2] change → notification over ${CHANGES} changes (joins and leaves alternating, 50 members)`,
  );
  console.log(`  (a) raw notification only:          p50 ${ms(r.p50)}  p99 ${ms(r.p99)}`);
  console.log(`  (b) raw notification+re-list+read:  p50 ${ms(l.p50)}  p99 ${ms(l.p99)}`);
  console.log(`  beacon watcher (change event):      p50 ${ms(o.p50)}  p99 ${ms(o.p99)}`);
  console.log(
    `  ratio watcher/(a): p50 ${(o.p50 / r.p50).toFixed(2)}×  p99 ${(o.p99 / r.p99).toFixed(2)}×   goal ≤ 1.2× → ${o.p50 / r.p50 <= 1.2 && o.p99 / r.p99 <= 1.2 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  watcher: ${watcher.stats.syncs} syncs, ${watcher.stats.reads} reads, ${watcher.stats.speculativeHits} joins read in the listing's round trip`,
  );
  console.log(
    `  ratio watcher/(b): p50 ${(o.p50 / l.p50).toFixed(2)}×  p99 ${(o.p99 / l.p99).toFixed(2)}×`,
  );
  watcher.stop();
  raw.close();
  relist.close();
  await Promise.all([reader.close(), writer.close()]);
}

const server = await ZkServer.start({ tickMs: 2000 });
console.log(`ServerSet benchmark — ${machine()}, ZooKeeper 3.8 (Debian) on loopback`);
try {
  await bulk(server);
  await latency(server);
} finally {
  await server.stop();
}
