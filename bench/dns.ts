// DNS benchmark (`npm run bench -- dns [--tasks 1000,10000] [--seconds 10] [--rounds 3] [--workers N]`):
// dnsperf on loopback against Beacon's DNS server and against NSD serving an equivalent zone, on
// the same fixed A/SRV/NXDOMAIN query mix, in the same run. Prints qps for both, the ratio (goal
// ≥ 0.6× NSD) and nproc, and checks that both give the same rcode and record sets on a sample.
// `--serve` is the child mode: it builds the same records and runs Beacon's server (optionally as
// N node:cluster workers sharing the UDP socket) so the bench process never competes with it.
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket, { type Packet } from 'dns-packet';
import { createDnsServer } from '../src/dns/index.js';
import { Answerer } from '../src/dns/answer.js';
import { decodeQuery } from '../src/dns/codec/query.js';
import { encodeResponse } from '../src/dns/codec/response.js';
import { stateParser } from '../src/model/mesos-state.js';
import { generateRecords, makeRecordsConfig } from '../src/records/index.js';
import type { RecordSet } from '../src/records/types.js';
import { freePort } from '../test/helpers/net.js';
import { TcpClient } from '../test/dns/client.js';
import { dnsperf, treeCpuSeconds, type DnsperfResult } from './lib/dnsperf.js';
import { startNsd } from './lib/nsd.js';
import { machine } from './lib/stats.js';
import { syntheticState } from './lib/synthetic-state.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

function buildRecords(tasks: number): RecordSet {
  const doc = syntheticState({
    tasks,
    agents: Math.max(10, Math.round(tasks / 20)),
    discovery: true,
  });
  const { state } = stateParser(doc);
  return generateRecords(state, makeRecordsConfig({ selfAddresses: ['127.0.0.1'] }));
}

/** The fixed query mix: 50% A (existing names), 30% SRV, 20% NXDOMAIN; deterministic order. */
function queryMix(rs: RecordSet, count: number): string[] {
  const apex = `.${rs.zone.domain}.`;
  const a: string[] = [];
  const srv: string[] = [];
  for (const n of [...rs.names()].sort()) {
    if (!n.endsWith(apex)) continue;
    const r = rs.get(n);
    if (r?.a.length) a.push(n);
    if (r?.srv.length) srv.push(n);
  }
  const out: string[] = [];
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    if (k < 5) out.push(`${a[Math.floor(next() * a.length)]} A`);
    else if (k < 8) out.push(`${srv[Math.floor(next() * srv.length)]} SRV`);
    else out.push(`nx-${i}.aurora${apex} A`);
  }
  return out;
}

// ---- child mode: serve ---------------------------------------------------------------------------

async function serve(): Promise<void> {
  const tasks = Number(arg('tasks', '1000'));
  const port = Number(arg('port', '0'));
  const workers = Number(arg('workers', '1'));
  if (workers > 1 && cluster.isPrimary) {
    let ready = 0;
    for (let i = 0; i < workers; i++) {
      const w = cluster.fork();
      w.on('message', (m) => {
        if (m === 'ready' && ++ready === workers) process.stdout.write('ready\n');
      });
    }
    process.on('SIGTERM', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.kill();
      process.exit(0);
    });
    return;
  }
  const server = createDnsServer({
    host: '127.0.0.1',
    port,
    records: buildRecords(tasks),
    resolvers: [],
  });
  await server.listen();
  if (cluster.isWorker) process.send?.('ready');
  else process.stdout.write('ready\n');
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

function startBeacon(tasks: number, port: number, workers: number): Promise<ChildProcess> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [
      self,
      '--serve',
      '--tasks',
      String(tasks),
      '--port',
      String(port),
      '--workers',
      String(workers),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.on('exit', (code) =>
      reject(new Error(`beacon server exited (${code}) before it was ready`)),
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// ---- comparison ----------------------------------------------------------------------------------

async function ask(port: number, name: string, type: 'A' | 'SRV'): Promise<Packet> {
  const c = new TcpClient(port);
  try {
    c.send(dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type }] }));
    return dnsPacket.decode(await c.next(5000));
  } finally {
    c.close();
  }
}

function canon(p: Packet): string {
  const rr = (a: { name: string; type: string; data?: unknown }) =>
    `${a.name.toLowerCase()} ${a.type} ${JSON.stringify(a.data)}`.toLowerCase();
  const answers = (p.answers ?? []).map(rr).sort();
  // Negative answers must carry the same SOA; NSD's extra NS in Authority on positive answers
  // (it does not default to minimal responses) is not part of the answer.
  const auth = (p.authorities ?? [])
    .filter((a) => a.type === 'SOA')
    .map(rr)
    .sort();
  return JSON.stringify({ rcode: (p as { rcode?: string }).rcode, answers, auth });
}

async function compare(
  beaconPort: number,
  nsdPort: number,
  queries: string[],
  sample: number,
): Promise<{ same: number; diff: string[] }> {
  const diff: string[] = [];
  let same = 0;
  const step = Math.max(1, Math.floor(queries.length / sample));
  for (let i = 0; i < queries.length && same + diff.length < sample; i += step) {
    const [name, type] = queries[i].split(' ') as [string, 'A' | 'SRV'];
    const [b, n] = await Promise.all([ask(beaconPort, name, type), ask(nsdPort, name, type)]);
    if (canon(b) === canon(n)) same++;
    else diff.push(`${name} ${type}\n  beacon ${canon(b)}\n  nsd    ${canon(n)}`);
  }
  return { same, diff };
}

async function waitUp(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const p = await ask(port, 'mesos', 'A');
      if (p) return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no DNS server answering on port ${port}`);
}

// ---- codec: why src/dns does not use dns-packet on the hot path -----------------------------------

/** µs per query to decode a query and encode its (SRV + Additional) answer, both ways. */
function codecComparison(rs: RecordSet): { dnsPacketUs: number; beaconUs: number } {
  const name = [...rs.names()].find((n) => (rs.get(n)?.srv.length ?? 0) >= 10) ?? 'mesos.';
  const msg = dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'SRV' }],
  });
  const recs = rs.get(name);
  const ans = new Answerer(rs);
  const enc = { limit: 1232, ra: true, setTruncateBit: true, ednsUdp: 1232, shuffle: true };
  const N = 50_000;
  const time = (f: () => void) => {
    for (let i = 0; i < 2000; i++) f();
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) f();
    return Number(process.hrtime.bigint() - t) / 1e3 / N;
  };
  const dnsPacketUs = time(() => {
    const q = dnsPacket.decode(msg);
    const qn = q.questions![0].name;
    const lower = `${qn.toLowerCase()}.`;
    const r = rs.get(lower) ?? recs;
    dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: q.questions,
      answers: (r?.srv ?? []).map((s) => ({ type: 'SRV' as const, name: qn, ttl: 60, data: s })),
      additionals: (r?.srv ?? []).flatMap((s) =>
        (rs.get(s.target)?.a ?? []).map((ip) => ({
          type: 'A' as const,
          name: s.target,
          ttl: 60,
          data: ip,
        })),
      ),
    });
  });
  const beaconUs = time(() => {
    const d = decodeQuery(msg);
    if (!d.ok) throw new Error('bad query');
    const plan = ans.lookup(d.query);
    if (plan !== 'forward') encodeResponse(msg, d.query, plan, enc);
  });
  return { dnsPacketUs, beaconUs };
}

// ---- orchestrator --------------------------------------------------------------------------------

async function main(): Promise<void> {
  const sizes = arg('tasks', '1000,10000').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  const workers = Number(arg('workers', '1'));
  const clients = Number(arg('clients', '4'));
  const outstanding = Number(arg('outstanding', '200'));
  const nsdServers = Number(arg('nsd-servers', '1'));
  const rounds = Math.max(1, Number(arg('rounds', '3')));
  console.log(
    `DNS benchmark: dnsperf (EDNS0, -c ${clients} -q ${outstanding}, ${seconds}s) on 127.0.0.1, 50% A / 30% SRV / 20% NXDOMAIN`,
  );
  console.log(
    `machine: ${machine()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}; Beacon workers: ${workers}; NSD server-count: ${nsdServers}; ${rounds} alternating rounds`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'beacon-dnsbench-'));
  const rows: string[] = [];
  let failed = false;
  try {
    for (const tasks of sizes) {
      const rs = buildRecords(tasks);
      const codec = codecComparison(rs);
      console.log(
        `\ncodec, one SRV query (decode + answer + encode, in process): dns-packet ${codec.dnsPacketUs.toFixed(2)} µs, Beacon's codec ${codec.beaconUs.toFixed(2)} µs`,
      );
      const queries = queryMix(rs, 20_000);
      const qfile = join(dir, `queries-${tasks}.txt`);
      writeFileSync(qfile, queries.join('\n') + '\n');
      const bPort = await freePort();
      const nPort = await freePort();
      const beacon = await startBeacon(tasks, bPort, workers);
      const nsd = startNsd(rs, nPort, nsdServers);
      try {
        await waitUp(bPort);
        await waitUp(nPort);
        const cmp = await compare(bPort, nPort, queries, 300);
        const run = (port: number): Promise<DnsperfResult> =>
          dnsperf({ port, queryFile: qfile, seconds, clients, outstanding, threads: 1 });
        // Alternate the two servers over several rounds and take medians: other work on the box
        // shifts single runs by ±30%.
        const bRuns: DnsperfResult[] = [];
        const nRuns: DnsperfResult[] = [];
        const ratios: number[] = [];
        const cpu = { beacon: 0, nsd: 0, beaconQ: 0, nsdQ: 0 };
        for (let round = 0; round < rounds; round++) {
          let c0 = treeCpuSeconds(nsd.child.pid!);
          const nr = await run(nPort);
          cpu.nsd += treeCpuSeconds(nsd.child.pid!) - c0;
          cpu.nsdQ += nr.completed;
          c0 = treeCpuSeconds(beacon.pid!);
          const br = await run(bPort);
          cpu.beacon += treeCpuSeconds(beacon.pid!) - c0;
          cpu.beaconQ += br.completed;
          nRuns.push(nr);
          bRuns.push(br);
          ratios.push(br.qps / nr.qps);
        }
        const medianRatio = [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)];
        const usPerQ = (sec: number, q: number) => ((sec * 1e6) / q).toFixed(1);
        const mid = (rs: DnsperfResult[]) =>
          [...rs].sort((x, y) => x.qps - y.qps)[Math.floor(rs.length / 2)];
        const b = mid(bRuns);
        const n = mid(nRuns);
        const ratio = b.qps / n.qps;
        const counts = rs.counts();
        console.log(`\n${tasks} tasks (${counts.a} A, ${counts.srv} SRV records):`);
        const all = (rs: DnsperfResult[]) => rs.map((r) => r.qps.toFixed(0)).join(', ');
        console.log(
          `  beacon: ${b.qps.toFixed(0)} qps median (runs: ${all(bRuns)}; lost ${b.lost}, avg latency ${b.avgLatencyMs.toFixed(2)} ms)`,
        );
        console.log(
          `  nsd:    ${n.qps.toFixed(0)} qps median (runs: ${all(nRuns)}; lost ${n.lost}, avg latency ${n.avgLatencyMs.toFixed(2)} ms)`,
        );
        console.log(
          `  ratio beacon/nsd: ${ratio.toFixed(2)} of medians; median of per-round ratios ${medianRatio.toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}) (goal ≥ 0.60)`,
        );
        console.log(
          `  server CPU per query: beacon ${usPerQ(cpu.beacon, cpu.beaconQ)} µs, nsd ${usPerQ(cpu.nsd, cpu.nsdQ)} µs (user+sys of the server processes)`,
        );
        console.log(
          `  answers identical to NSD's (rcode + record set, over TCP): ${cmp.same}/${cmp.same + cmp.diff.length}`,
        );
        for (const d of cmp.diff.slice(0, 5)) console.log(`  DIFF ${d}`);
        if (cmp.diff.length) failed = true;
        rows.push(
          `| ${tasks} | ${b.qps.toFixed(0)} | ${n.qps.toFixed(0)} | ${ratio.toFixed(2)} | ${medianRatio.toFixed(2)} | ${usPerQ(cpu.beacon, cpu.beaconQ)} / ${usPerQ(cpu.nsd, cpu.nsdQ)} | ${cmp.same}/${cmp.same + cmp.diff.length} |`,
        );
      } finally {
        await stop(beacon);
        await nsd.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\n| tasks | beacon qps | nsd qps | ratio | per-round ratio | CPU µs/query beacon / nsd | identical answers |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}`,
  );
  if (failed) process.exitCode = 1;
}

if (process.argv.includes('--serve') || cluster.isWorker) void serve();
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
