// Zone-transfer benchmark (`npm run bench -- xfr [--changes 100] [--seconds 5]`): Beacon as the
// primary of a real NSD secondary. Measures, in one run:
//   1. AXFR time and bytes from Beacon at 10k and 50k tasks; baseline: AXFR of the same zone from
//      the NSD secondary (C, from its own copy);
//   2. Beacon's RSS before and during the 50k-task transfer;
//   3. change → NSD secondary answer, p50/p99 over N changes (a task added through the record
//      store as the event stream would, then NOTIFY, SOA query, IXFR, NSD reload);
//   4. qps of the NSD secondary serving Beacon's 10k zone vs NSD loaded from a zone file of the same
//      records (they should match).
// The pipeline is wired as service/dns-service.ts wires it (store → journal → DNS server with the
// transfer handler), without the state source, so a change costs what a stream event costs.
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { parseConfig, recordsConfig } from '../src/config/mesos-dns.js';
import { createDnsServer, type DnsServer } from '../src/dns/index.js';
import { parseState } from '../src/model/mesos-state.js';
import type { MesosState, MesosTask } from '../src/model/mesos-parts.js';
import { RecordStore } from '../src/records/store.js';
import { ZoneTransfers } from '../src/service/transfers.js';
import { freePort } from '../test/helpers/net.js';
import { startNsdSecondary, type Secondary } from '../test/helpers/secondaries.js';
import { dnsperf } from './lib/dnsperf.js';
import { startNsd } from './lib/nsd.js';
import { machine, median, summary } from './lib/stats.js';
import { syntheticState } from './lib/synthetic-state.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : def;
}
const CHANGES = arg('changes', 100);
const SECONDS = arg('seconds', 5);

interface Primary {
  state: MesosState;
  store: RecordStore;
  xfr: ZoneTransfers;
  dns: DnsServer;
  port: number;
  publish(): void;
  close(): Promise<void>;
}

async function primary(tasks: number, notify: string[] = []): Promise<Primary> {
  const { config } = parseConfig(
    {
      listener: '127.0.0.1',
      port: 0,
      externalon: false,
      allowTransfer: ['127.0.0.0/8'],
      notify,
      rrlResponsesPerSecond: 0,
    },
    'bench config',
  );
  const store = new RecordStore(recordsConfig(config, ['127.0.0.1']));
  const xfr = new ZoneTransfers(config, () => store);
  const dns = createDnsServer({
    host: '127.0.0.1',
    port: 0,
    externalOn: false,
    rrlResponsesPerSecond: 0,
    transfers: xfr.handler,
  });
  await dns.listen();
  const doc = syntheticState({ tasks, agents: Math.ceil(tasks / 20), discovery: true });
  const state = parseState(doc).state;
  store.loadState(state, Date.now());
  const publish = () => {
    dns.setRecords(xfr.wrap(store.view!));
    xfr.changed();
  };
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  publish(); // the first records: the journal's first sync (a whole copy of the zone) runs here
  const firstSync = performance.now() - t0;
  global.gc?.();
  const journalHeap = process.memoryUsage().heapUsed - heap0;
  // The steady cost: a stream change compares only the names it touched.
  const template = state.frameworks[0]!.tasks[0]!;
  const again: number[] = [];
  for (let i = 0; i < 3; i++) {
    store.apply({
      type: 'task',
      task: { ...template, id: `warm-${i}`, name: `bench/prod/warm${i}` },
    });
    const t1 = performance.now();
    xfr.sync();
    again.push(performance.now() - t1);
  }
  process.stdout.write(
    `  ${tasks} tasks: ${xfr.status().records} records in the zone; first journal sync ${firstSync.toFixed(0)} ms, then ${median(again).toFixed(2)} ms per one-task stream change (median of 3); journal copy ≈ ${(journalHeap / 1048576).toFixed(0)} MiB of heap\n`,
  );
  return {
    state,
    store,
    xfr,
    dns,
    port: dns.address().port,
    publish,
    close: async () => {
      xfr.close();
      await dns.close();
    },
  };
}

/** Raw AXFR: counts bytes and records, walking only record headers (the client costs little). */
function axfr(
  port: number,
  zone = 'mesos',
): Promise<{ ms: number; bytes: number; records: number }> {
  const q = dnsPacket.encode({
    type: 'query',
    id: 1,
    questions: [{ name: zone, type: 'AXFR', class: 'IN' }],
  });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf: Buffer = Buffer.alloc(0);
    let bytes = 0;
    let records = 0;
    let soas = 0;
    const skipName = (b: Buffer, o: number) => {
      for (;;) {
        const l = b[o];
        if (l === 0) return o + 1;
        if ((l & 0xc0) === 0xc0) return o + 2;
        o += l + 1;
      }
    };
    sock.on('error', reject);
    sock.on('connect', () => {
      const f = Buffer.alloc(2 + q.length);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      sock.write(f);
    });
    sock.on('data', (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const m = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        bytes += len + 2;
        if ((m.readUInt16BE(2) & 0xf) !== 0)
          return reject(new Error(`rcode ${m.readUInt16BE(2) & 0xf}`));
        const qd = m.readUInt16BE(4);
        const an = m.readUInt16BE(6);
        let o = 12;
        for (let i = 0; i < qd; i++) o = skipName(m, o) + 4;
        for (let i = 0; i < an; i++) {
          o = skipName(m, o);
          const type = m.readUInt16BE(o);
          o += 10 + m.readUInt16BE(o + 8);
          records++;
          if (type === 6 && ++soas === 2) {
            sock.destroy();
            return resolve({ ms: performance.now() - t0, bytes, records });
          }
        }
      }
    });
  });
}

function query(sock: dgram.Socket, port: number, name: string): Promise<string[]> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 65536);
    const t = setTimeout(() => {
      sock.off('message', on);
      resolve([]);
    }, 500);
    const on = (msg: Buffer) => {
      if (msg.readUInt16BE(0) !== id) return;
      clearTimeout(t);
      sock.off('message', on);
      const p = dnsPacket.decode(msg);
      resolve(
        (p.answers ?? [])
          .filter((a) => a.type === 'A')
          .map((a) => String((a as { data: unknown }).data)),
      );
    };
    sock.on('message', on);
    sock.send(
      dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] }),
      port,
      '127.0.0.1',
    );
  });
}

async function soaSerial(sock: dgram.Socket, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 65536);
    const t = setTimeout(() => {
      sock.off('message', on);
      resolve(undefined);
    }, 500);
    const on = (msg: Buffer) => {
      if (msg.readUInt16BE(0) !== id) return;
      clearTimeout(t);
      sock.off('message', on);
      const soa = dnsPacket.decode(msg).answers?.find((a) => a.type === 'SOA');
      resolve(soa ? (soa.data as { serial: number }).serial : undefined);
    };
    sock.on('message', on);
    sock.send(
      dnsPacket.encode({ type: 'query', id, questions: [{ name: 'mesos', type: 'SOA' }] }),
      port,
      '127.0.0.1',
    );
  });
}

async function until(
  what: string,
  ok: () => Promise<boolean>,
  ms: number,
  every = 2,
): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

async function main(): Promise<void> {
  process.stdout.write(
    `xfr benchmark — ${machine()}; a shared, noisy machine: read ratios, not absolutes\n`,
  );
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-xfr-'));
  const cleanup: (() => Promise<void>)[] = [];
  try {
    // ---- 1, 3, 4 at 10k tasks, with an NSD secondary ------------------------------------------
    if (!process.argv.includes('--only-50k')) await tenK(sock, dir, cleanup);
    while (cleanup.length) await cleanup.pop()!();
    await fiftyK(cleanup);
  } finally {
    while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
    sock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function tenK(
  sock: dgram.Socket,
  dir: string,
  cleanup: (() => Promise<void>)[],
): Promise<void> {
  {
    const nsdPort = await freePort();
    const p10 = await primary(10_000, [`127.0.0.1:${nsdPort}`]);
    cleanup.push(() => p10.close());
    const nsd: Secondary = startNsdSecondary(nsdPort, 'mesos', p10.port);
    cleanup.push(() => nsd.stop());
    await until(
      'NSD to load the zone',
      async () => (await soaSerial(sock, nsdPort)) === p10.xfr.serial,
      60000,
      50,
    );
    const runs = (port: number) =>
      [0, 1, 2].reduce<Promise<{ ms: number; bytes: number; records: number }[]>>(
        async (acc) => [...(await acc), await axfr(port)],
        Promise.resolve([]),
      );
    const b10 = await runs(p10.port);
    const n10 = await runs(nsdPort);
    process.stdout.write(
      `AXFR 10k tasks: Beacon ${median(b10.map((r) => r.ms)).toFixed(0)} ms, ${mb(b10[0].bytes)}, ${b10[0].records} records, ${b10[0].records} RRs; ` +
        `NSD (baseline) ${median(n10.map((r) => r.ms)).toFixed(0)} ms, ${mb(n10[0].bytes)}; ratio Beacon/NSD ${(median(b10.map((r) => r.ms)) / median(n10.map((r) => r.ms))).toFixed(2)}\n`,
    );

    // Change → NSD answer: a new task per change, applied to the store as a stream event would be.
    const template = p10.state.frameworks[0]!.tasks[0]!;
    const agentId = template.agentId;
    const fwId = template.frameworkId;
    const latencies: number[] = [];
    let probeName: string | undefined;
    for (let i = 0; i < CHANGES + 1; i++) {
      const task: MesosTask = {
        ...template,
        id: `probe-${i}-task`,
        name: `bench/prod/probe${i}`,
        frameworkId: fwId,
        agentId,
        discovery: undefined,
      };
      const t0 = performance.now();
      p10.store.apply({ type: 'task', task });
      p10.publish();
      if (!probeName) {
        const v = p10.store.view!;
        const names = [...v.names()].filter((n) => n.includes('probe0') && v.get(n)!.a.length > 0);
        probeName = names.sort((a, b) => a.length - b.length)[0];
        if (!probeName) throw new Error('the probe task made no A record');
      }
      const name = probeName.replace('probe0', `probe${i}`);
      await until(
        `NSD answering ${name}`,
        async () => (await query(sock, nsdPort, name)).length > 0,
        10000,
      );
      if (i > 0) latencies.push(performance.now() - t0);
    }
    const s = summary(latencies);
    const st = p10.xfr.status();
    let inc = 0;
    st.xfr.forEach((t, r, n) => {
      if (t === 'ixfr' && r === 'incremental') inc += n;
    });
    process.stdout.write(
      `change → NSD secondary answer over ${s.n} changes: p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms, max ${s.max.toFixed(0)} ms ` +
        `(${inc} incremental IXFRs; journal: ${st.syncs} syncs, ${((st.syncSeconds / st.syncs) * 1000).toFixed(0)} ms each on average at 10k tasks)\n`,
    );

    // qps: the secondary vs NSD from a zone file of the same records.
    const names: string[] = [];
    const v = p10.store.view!;
    for (const n of v.names()) {
      if (!n.endsWith('.mesos.')) continue;
      const r = v.get(n)!;
      if (r.a.length) names.push(`${n} A`);
      else if (r.srv.length) names.push(`${n} SRV`);
      if (names.length >= 5000) break;
    }
    const qfile = join(dir, 'queries');
    writeFileSync(qfile, names.join('\n') + '\n');
    const filePort = await freePort();
    const fileNsd = startNsd(v, filePort);
    cleanup.push(() => fileNsd.stop());
    await until(
      'NSD (zone file) up',
      async () => (await soaSerial(sock, filePort)) !== undefined,
      30000,
      50,
    );
    const q2 = await dnsperf({ port: nsdPort, queryFile: qfile, seconds: SECONDS });
    const q1 = await dnsperf({ port: filePort, queryFile: qfile, seconds: SECONDS });
    process.stdout.write(
      `qps (dnsperf ${SECONDS} s, 1 client): NSD secondary of Beacon ${q2.qps.toFixed(0)} (lost ${q2.lost}); NSD from a zone file (baseline) ${q1.qps.toFixed(0)} (lost ${q1.lost}); ratio ${(q2.qps / q1.qps).toFixed(2)}\n`,
    );
  }
}

async function fiftyK(cleanup: (() => Promise<void>)[]): Promise<void> {
  {
    // ---- 1, 2 at 50k tasks ----------------------------------------------------------------------
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const p50 = await primary(50_000);
    cleanup.push(() => p50.close());
    global.gc?.();
    const rssLoaded = process.memoryUsage().rss;
    let peak = rssLoaded;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const r50 = await axfr(p50.port);
    clearInterval(sampler);
    const r50b = await axfr(p50.port);
    process.stdout.write(
      `AXFR 50k tasks: Beacon ${Math.min(r50.ms, r50b.ms).toFixed(0)} ms (best of 2), ${mb(r50.bytes)}, ${r50.records} RRs, ${(r50.records / (Math.min(r50.ms, r50b.ms) / 1000)).toFixed(0)} RR/s\n` +
        `RSS (this process = Beacon's pipeline + the raw AXFR client): before ${mb(rss0)}, 50k zone loaded with journal ${mb(rssLoaded)}, peak during the transfer ${mb(peak)} (+${mb(peak - rssLoaded)})\n`,
    );
  }
}

await main();
