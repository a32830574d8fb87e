// `npm run bench -- client`: the ServerSet client (src/client) against real members on loopback.
// 1) Latency per request, one request at a time, through the client (a ServerSet of one member)
//    and through a bare undici Pool to the same member, interleaved in the same run (goal: p50 ≤
//    1.15×, p99 ≤ 1.3× the Pool).
// 2) Requests per second over 3 members (64 in flight), beside bare Pools to the same members
//    (round-robin by hand) and a bare Pool to one member.
// 3) A member SIGKILLed under load (its ZooKeeper node stays): how long until the client stops
//    sending to it, the last request it received, and failed requests.
// Bounded: BENCH_REQUESTS (default 4000) per side in (1), BENCH_SECONDS (default 3) per run in (2).
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';
import { createClient, type BeaconClient } from '../src/client/index.js';
import { startMember, type Member } from '../test/client/members.js';
import { ZkServer } from '../test/helpers/zookeeper.js';
import { machine, ms, summary } from './lib/stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BLOCK = 500;

async function ready(client: BeaconClient, n: number): Promise<void> {
  const deadline = Date.now() + 30000;
  while (client.members().length < n) {
    if (Date.now() > deadline) throw new Error(`client saw ${client.members().length} of ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function timeOne(send: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await send();
  return performance.now() - t;
}

async function latency(zk: ZkServer, member: Member, path: string): Promise<void> {
  const client = createClient(`zk2!${zk.connectString}!${path}`);
  await ready(client, 1);
  const pool = new Pool(`http://127.0.0.1:${member.port}`, { connections: 64, pipelining: 1 });
  const viaPool = async () => {
    const r = await request(`http://127.0.0.1:${member.port}/x`, { dispatcher: pool });
    await r.body.text();
  };
  const url = client.url('/x');
  const viaClient = async () => {
    const r = await request(url, { dispatcher: client.dispatcher });
    await r.body.text();
  };
  for (let i = 0; i < BLOCK; i++) {
    await viaPool();
    await viaClient();
  }
  const base: number[] = [];
  const ours: number[] = [];
  // Alternating blocks: drift on a shared machine hits both sides alike.
  while (base.length < REQUESTS) {
    for (let i = 0; i < BLOCK; i++) base.push(await timeOne(viaPool));
    for (let i = 0; i < BLOCK; i++) ours.push(await timeOne(viaClient));
  }
  const b = summary(base);
  const o = summary(ours);
  const r50 = o.p50 / b.p50;
  const r99 = o.p99 / b.p99;
  console.log(`\n[1] latency, one request at a time, ${base.length} requests per side`);
  console.log(`  baseline undici Pool to the member: p50 ${ms(b.p50)}  p99 ${ms(b.p99)}`);
  console.log(`  beacon client (p2c-ewma, 1 member): p50 ${ms(o.p50)}  p99 ${ms(o.p99)}`);
  console.log(
    `  ratio p50 ${r50.toFixed(2)}× (goal ≤ 1.15× → ${r50 <= 1.15 ? 'met' : 'NOT met'}), p99 ${r99.toFixed(2)}× (goal ≤ 1.3× → ${r99 <= 1.3 ? 'met' : 'NOT met'})`,
  );
  await pool.close();
  await client.close();
}

async function rpsOf(send: () => Promise<void>, inFlight: number): Promise<number> {
  const until = performance.now() + SECONDS * 1000;
  let n = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await send();
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function throughput(zk: ZkServer, one: Member, three: Member[]): Promise<void> {
  const single = createClient(`zk2!${zk.connectString}!/bench/one`);
  const spread = createClient(`zk2!${zk.connectString}!/bench/three`);
  await ready(single, 1);
  await ready(spread, 3);
  const pool = new Pool(`http://127.0.0.1:${one.port}`, { connections: 64, pipelining: 1 });
  const poolUrl = `http://127.0.0.1:${one.port}/x`;
  const via = (url: string, dispatcher: Pool | BeaconClient['dispatcher']) => async () => {
    const r = await request(url, { dispatcher });
    await r.body.text();
  };
  // Baseline for the 3-member figure: bare Pools to the same 3 members, round-robin by hand.
  const pools3 = three.map(
    (m) => new Pool(`http://127.0.0.1:${m.port}`, { connections: 64, pipelining: 1 }),
  );
  let k = 0;
  const viaPools3 = async () => {
    const i = k++ % 3;
    const r = await request(`http://127.0.0.1:${three[i]!.port}/x`, { dispatcher: pools3[i]! });
    await r.body.text();
  };
  const runs = {
    pool: [] as number[],
    single: [] as number[],
    pools3: [] as number[],
    spread: [] as number[],
  };
  // Two interleaved rounds: load from other processes on the machine hits all three alike.
  for (let round = 0; round < 2; round++) {
    runs.pool.push(await rpsOf(via(poolUrl, pool), 64));
    runs.single.push(await rpsOf(via(single.url('/x'), single.dispatcher), 64));
    runs.pools3.push(await rpsOf(viaPools3, 64));
    runs.spread.push(await rpsOf(via(spread.url('/x'), spread.dispatcher), 64));
  }
  const best = (xs: number[]) => Math.max(...xs);
  const base = best(runs.pool);
  console.log(`\n[2] throughput, 64 in flight, best of 2 runs of ${SECONDS} s each`);
  console.log(`  baseline undici Pool to 1 member:   ${base.toFixed(0)} req/s`);
  console.log(
    `  beacon client, ServerSet of 1:      ${best(runs.single).toFixed(0)} req/s (${(best(runs.single) / base).toFixed(2)}×)`,
  );
  const base3 = best(runs.pools3);
  console.log(`  baseline 3 undici Pools, round-robin: ${base3.toFixed(0)} req/s`);
  console.log(
    `  beacon client over 3 members:       ${best(runs.spread).toFixed(0)} req/s (${(best(runs.spread) / base3).toFixed(2)}× the 3 Pools; member processes share the same ${machine().split(',')[0]})`,
  );
  await Promise.all([pool, ...pools3].map((p) => p.close()));
  await Promise.all([single.close(), spread.close()]);
}

async function sigkill(zk: ZkServer, members: Member[], path: string): Promise<void> {
  const client = createClient(`zk2!${zk.connectString}!${path}`);
  await ready(client, 3);
  const victim = members[1]!;
  let stop = false;
  let failed = 0;
  let ok = 0;
  const url = client.url('/k');
  const worker = async () => {
    while (!stop) {
      try {
        const r = await request(url, { dispatcher: client.dispatcher });
        await r.body.text();
        ok++;
      } catch {
        failed++;
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 1500));
  // Attempts the client sends to the victim, sampled every millisecond.
  let lastAttemptAt = NaN;
  let deadAt = NaN;
  let seen = -1;
  const sample = setInterval(() => {
    const v = client.members().find((m) => m.port === victim.port);
    if (!v) return;
    if (v.requests !== seen) {
      seen = v.requests;
      lastAttemptAt = performance.now();
    }
    if (v.state !== 'alive' && Number.isNaN(deadAt)) deadAt = performance.now();
  }, 1);
  const killedAt = performance.now();
  const killedEpoch = performance.timeOrigin + killedAt;
  await victim.kill();
  await new Promise((r) => setTimeout(r, 3000));
  stop = true;
  clearInterval(sample);
  await Promise.all(workers);
  // By the member's own clock: a line it wrote before dying may be read here later.
  const lastHit = victim.hits.at(-1)?.epochMs ?? NaN;
  const attemptsAfterDeath = victim.hits.length;
  console.log(
    `\n[3] one of 3 members SIGKILLed under load (8 in flight; its node stays in ZooKeeper)`,
  );
  console.log(
    `  last request it received: ${ms(lastHit - killedEpoch)} relative to the SIGKILL (negative: before it)`,
  );
  console.log(
    `  client stopped sending to it (marked dead): ${ms(deadAt - killedAt)} after the SIGKILL; last attempt sent ${ms(lastAttemptAt - killedAt)} after`,
  );
  console.log(
    `  requests during the 3 s after the kill: ${ok} ok, ${failed} failed (goal 0 → ${failed === 0 ? 'met' : 'NOT met'}); it received ${attemptsAfterDeath} in all`,
  );
  await client.close();
}

console.log(`Client benchmark — ${machine()}, ZooKeeper 3.8 (Debian) and members on loopback`);
const zk = await ZkServer.start();
const started: Member[] = [];
try {
  const zkc = zk.connectString;
  const quiet = { zk: zkc, mode: 'announcer' as const, report: false };
  const single = await startMember({ ...quiet, path: '/bench/one', id: 'one' });
  started.push(single);
  const three: Member[] = [];
  for (let i = 0; i < 3; i++)
    three.push(await startMember({ ...quiet, path: '/bench/three', id: `t${i}` }));
  started.push(...three);
  await latency(zk, single, '/bench/one');
  await throughput(zk, single, three);
  await Promise.all(three.map((m) => m.stop()));
  const killable: Member[] = [];
  for (let i = 0; i < 3; i++)
    killable.push(
      await startMember({
        zk: zkc,
        mode: 'announcer',
        path: '/bench/kill',
        id: `k${i}`,
        sessionTimeoutMs: 20000,
      }),
    );
  started.push(...killable);
  await sigkill(zk, killable, '/bench/kill');
} finally {
  await Promise.all(started.map((m) => m.stop()));
  await zk.stop();
}
