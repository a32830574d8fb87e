// DNS benchmark (`npm run bench -- dns [--tasks 1000,10000] [--seconds 10] [--rounds 3] [--workers N]`):
// dnsperf on loopback, in the same run and on the same fixed A/SRV/NXDOMAIN query mix, against
// Beacon's DNS server on each UDP path (batched native recvmmsg/sendmmsg, and dgram), NSD serving
// an equivalent zone, a bare node UDP echo server (the floor of node's own datagram path) and,
// when MESOS_DNS_BIN names a Mesos-DNS binary, Mesos-DNS reading the same state from a local fake
// master. Prints qps and server CPU per query (utime+stime from /proc) of each, the ratios to NSD
// (goal ≥ 0.6×) and to Mesos-DNS (goal ≥ 1.3×), nproc and the load average, and checks that
// Beacon and NSD give the same rcode and record sets on a sample.
// `--serve` is the child mode: it builds the same records and runs Beacon's server (optionally as
// N node:cluster workers sharing the UDP socket) so the bench process never competes with it;
// `--echo` is the bare echo server's child mode.
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket, { type Packet } from 'dns-packet';
import { createDnsServer } from '../src/dns/index.js';
import { loadNativeUdp } from '../src/dns/udp.js';
import { Answerer } from '../src/dns/answer.js';
import { decodeQuery } from '../src/dns/codec/query.js';
import { encodeResponse } from '../src/dns/codec/response.js';
import { stateParser } from '../src/model/mesos-state.js';
import { generateRecords, makeRecordsConfig } from '../src/records/index.js';
import { MESOS_DNS_EXTRA, writeDnsConfig } from './lib/mesos-dns-config.js';
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
    // node:cluster shares dgram sockets between workers, not the addon's own socket.
    udpPath: cluster.isWorker ? 'dgram' : (arg('udp', 'auto') as 'auto' | 'batched' | 'dgram'),
  });
  await server.listen();
  process.stderr.write(`beacon (bench child ${process.pid}): UDP path ${server.udpPath()}\n`);
  if (cluster.isWorker) process.send?.('ready');
  else process.stdout.write('ready\n');
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

/** The bare echo server: every datagram straight back, dgram's fastest way (no send callback, no
 *  lookup per send). What node's own UDP path costs before any DNS work. */
function echo(): void {
  const port = Number(arg('port', '0'));
  const sock = dgram.createSocket({
    type: 'udp4',
    lookup: (host, _o, cb) => cb(null, host, 4),
  });
  sock.on('message', (msg, rinfo) => {
    // Echo it as a response (QR bit) so dnsperf counts it as answered.
    msg[2] |= 0x80;
    sock.send(msg, rinfo.port, rinfo.address);
  });
  sock.bind(port, '127.0.0.1', () => {
    sock.setRecvBufferSize(4 << 20);
    sock.setSendBufferSize(4 << 20);
    process.stdout.write('ready\n');
  });
  process.on('SIGTERM', () => sock.close(() => process.exit(0)));
}

function startChild(args: string[]): Promise<ChildProcess> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.on('exit', (code) =>
      reject(new Error(`bench child ${args.join(' ')} exited (${code}) before it was ready`)),
    );
  });
}

function startBeacon(
  tasks: number,
  port: number,
  workers: number,
  udp: 'batched' | 'dgram',
): Promise<ChildProcess> {
  const a = ['--serve', '--tasks', String(tasks), '--port', String(port)];
  return startChild([...a, '--workers', String(workers), '--udp', udp]);
}

/**
 * Mesos-DNS (MESOS_DNS_BIN) on `port`, reading the same synthetic state from a local HTTP server
 * playing the leading master. Not exercised where no Mesos-DNS binary is present.
 */
async function startMesosDns(
  bin: string,
  tasks: number,
  port: number,
  dir: string,
): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const masterPort = await freePort();
  const pid = `master@127.0.0.1:${masterPort}`;
  const doc = {
    ...(syntheticState({
      tasks,
      agents: Math.max(10, Math.round(tasks / 20)),
      discovery: true,
    }) as Record<string, unknown>),
    pid,
    leader: pid,
  };
  const body = JSON.stringify(doc);
  const master = http.createServer((req, res) => {
    if (!/state(\.json)?$/.test(req.url?.split('?')[0] ?? '')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => master.listen(masterPort, '127.0.0.1', () => r()));
  const config = writeDnsConfig(dir, 'mesos-dns', masterPort, port, MESOS_DNS_EXTRA);
  const child = spawn(bin, ['-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    child,
    stop: async () => {
      await stop(child);
      await new Promise<void>((r) => master.close(() => r()));
    },
  };
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
  const clients = Number(arg('clients', '8'));
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
      )}; Beacon workers: ${workers}; NSD server-count: ${nsdServers}; ${rounds} rounds, servers in turn`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'beacon-dnsbench-'));
  const native = loadNativeUdp();
  if (!native.addon)
    console.log(`Beacon batched UDP path: not available (${native.why}); dgram only`);
  const mesosDnsBin = process.env.MESOS_DNS_BIN;
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
      const targets: Target[] = [];
      try {
        if (native.addon) {
          const port = await freePort();
          const c = await startBeacon(tasks, port, workers, 'batched');
          targets.push({ name: 'beacon batched', port, pid: c.pid!, stop: () => stop(c) });
        }
        {
          const port = await freePort();
          const c = await startBeacon(tasks, port, workers, 'dgram');
          targets.push({ name: 'beacon dgram', port, pid: c.pid!, stop: () => stop(c) });
        }
        {
          const port = await freePort();
          const n = startNsd(rs, port, nsdServers);
          targets.push({ name: 'nsd', port, pid: n.child.pid!, stop: () => n.stop() });
        }
        {
          const port = await freePort();
          const c = await startChild(['--echo', '--port', String(port)]);
          targets.push({ name: 'node echo', port, pid: c.pid!, stop: () => stop(c), echo: true });
        }
        if (mesosDnsBin) {
          const port = await freePort();
          const m = await startMesosDns(mesosDnsBin, tasks, port, dir);
          targets.push({ name: 'mesos-dns', port, pid: m.child.pid!, stop: () => m.stop() });
        }
        for (const t of targets) if (!t.echo) await waitUp(t.port);
        const beacon = targets[0];
        const nsd = targets.find((t) => t.name === 'nsd')!;
        const cmp = await compare(beacon.port, nsd.port, queries, 300);
        const run = (port: number): Promise<DnsperfResult> =>
          dnsperf({ port, queryFile: qfile, seconds, clients, outstanding, threads: 1 });
        // Every server once per round, in turn, over several rounds; medians and per-round ratios:
        // other work on the box shifts single runs by ±30%.
        const res = new Map<string, { runs: DnsperfResult[]; cpu: number; q: number }>();
        for (const t of targets) res.set(t.name, { runs: [], cpu: 0, q: 0 });
        for (let round = 0; round < rounds; round++) {
          for (const t of targets) {
            const r = res.get(t.name)!;
            const c0 = treeCpuSeconds(t.pid);
            const out = await run(t.port);
            r.cpu += treeCpuSeconds(t.pid) - c0;
            r.q += out.completed;
            r.runs.push(out);
          }
        }
        const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
        const qps = (name: string) => median(res.get(name)!.runs.map((r) => r.qps));
        const cpuUs = (name: string) => {
          const r = res.get(name)!;
          return (r.cpu * 1e6) / Math.max(1, r.q);
        };
        const perRound = (a: string, b: string) =>
          median(res.get(a)!.runs.map((r, i) => r.qps / res.get(b)!.runs[i].qps));
        const counts = rs.counts();
        console.log(`\n${tasks} tasks (${counts.a} A, ${counts.srv} SRV records):`);
        for (const t of targets) {
          const r = res.get(t.name)!;
          const mid = [...r.runs].sort((x, y) => x.qps - y.qps)[Math.floor(r.runs.length / 2)];
          console.log(
            `  ${t.name.padEnd(15)} ${qps(t.name).toFixed(0).padStart(7)} qps median (runs: ${r.runs
              .map((x) => x.qps.toFixed(0))
              .join(
                ', ',
              )}; lost ${mid.lost}, avg latency ${mid.avgLatencyMs.toFixed(2)} ms), server CPU ${cpuUs(t.name).toFixed(1)} µs/query`,
          );
        }
        const baseNames = ['nsd', ...(mesosDnsBin ? ['mesos-dns'] : [])];
        for (const t of targets.filter((x) => x.name.startsWith('beacon'))) {
          for (const base of baseNames) {
            const goal = base === 'nsd' ? '≥ 0.60' : '≥ 1.30';
            console.log(
              `  ${t.name} / ${base}: qps ${(qps(t.name) / qps(base)).toFixed(2)} of medians, ${perRound(t.name, base).toFixed(2)} median per round (goal ${goal}); CPU per query ${(cpuUs(t.name) / cpuUs(base)).toFixed(2)}×`,
            );
          }
          console.log(
            `  ${t.name} CPU per query / node echo's: ${(cpuUs(t.name) / cpuUs('node echo')).toFixed(2)}×`,
          );
        }
        console.log(
          `  answers identical to NSD's (rcode + record set, over TCP, ${beacon.name}): ${cmp.same}/${cmp.same + cmp.diff.length}`,
        );
        for (const d of cmp.diff.slice(0, 5)) console.log(`  DIFF ${d}`);
        if (cmp.diff.length) failed = true;
        for (const t of targets) {
          const ratio = t.name === 'nsd' ? '1.00' : perRound(t.name, 'nsd').toFixed(2);
          const md = mesosDnsBin
            ? ` ${t.name === 'mesos-dns' ? '1.00' : perRound(t.name, 'mesos-dns').toFixed(2)} |`
            : '';
          rows.push(
            `| ${tasks} | ${t.name} | ${qps(t.name).toFixed(0)} | ${cpuUs(t.name).toFixed(1)} | ${ratio} |${md}`,
          );
        }
      } finally {
        for (const t of targets) await t.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mh = mesosDnsBin ? ' qps / Mesos-DNS (per round) |' : '';
  console.log(
    `\n| tasks | server | qps (median) | server CPU µs/query | qps / NSD (per round) |${mh}\n|---|---|---|---|---|${mesosDnsBin ? '---|' : ''}\n${rows.join('\n')}`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (failed) process.exitCode = 1;
}

interface Target {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** Not a DNS server: no readiness query. */
  echo?: boolean;
}

if (process.argv.includes('--echo')) echo();
else if (process.argv.includes('--serve') || cluster.isWorker) void serve();
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
