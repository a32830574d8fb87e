// The devcluster's DNS runs in its own worker thread: while the devcluster's main thread (scheduler,
// agents, embedded ZooKeeper, master HTTP) is stalled for 2 s, every query to it is still answered
// within a 1 s client timeout. The control, in the same stall: the same service run on the main
// thread (as the devcluster did before) loses the queries sent during it. The queries come from a
// child process, so the stall cannot hold the client back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { startDevcluster } from '../../src/cluster/devcluster.js';
import { startDevclusterDns } from '../../src/cluster/dns.js';
import { parseConfig } from '../../src/config/mesos-dns.js';
import { DnsService } from '../../src/service/dns-service.js';
import { devclusterOptions, loopbackDns } from '../helpers/devcluster.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';

const NAME = 'http_example.test.vagrant.aurora.mesos';

// One UDP query every 50 ms to each target for `ms`, each with a 1 s timeout; prints "go" once
// the sockets are open, then one JSON line per target: sent, answered, timed out.
const PROBE = `
import dgram from 'node:dgram';
const [ms, name, ...targets] = process.argv.slice(2);
function query(id) {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const h = Buffer.alloc(12); h.writeUInt16BE(id, 0); h.writeUInt16BE(0x0100, 2); h.writeUInt16BE(1, 4);
  return Buffer.concat([h, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}
let bound = 0;
const results = await Promise.all(targets.map((t) => new Promise((resolve) => {
  const [host, port] = t.split(':');
  const s = dgram.createSocket('udp4');
  const waiting = new Map();
  let sent = 0, answered = 0, timedOut = 0, id = 0;
  s.on('message', (m) => { const q = m.readUInt16BE(0); const t = waiting.get(q); if (t) { clearTimeout(t); waiting.delete(q); answered++; } });
  s.bind(0, '127.0.0.1', () => {
    if (++bound === targets.length) console.log('go');
    const timer = setInterval(() => {
      const q = ++id & 0xffff; sent++;
      waiting.set(q, setTimeout(() => { waiting.delete(q); timedOut++; }, 1000));
      s.send(query(q), Number(port), host);
    }, 50);
    setTimeout(() => { clearInterval(timer); setTimeout(() => { s.close(); resolve({ target: t, sent, answered, timedOut }); }, 1100); }, Number(ms));
  });
})));
for (const r of results) console.log(JSON.stringify(r));
`;

test('a 2 s stall of the devcluster main thread drops no query to its DNS', async () => {
  const options = await devclusterOptions('beacon-dns-thread-');
  const dir = options.dataDir!;
  const dc = await startDevcluster(options);
  const master = dc.masterUrl.replace('http://', '');
  const dns = await startDevclusterDns({
    ...(await loopbackDns(dc)),
    source: 'stream',
    refreshSeconds: 1,
    mirror: false,
  });
  // The control: the same service on this thread.
  const { config } = parseConfig({
    masters: [master],
    stateSource: 'stream',
    listener: '127.0.0.1',
    port: 0,
    httpon: false,
    resolvers: [],
    externalon: false,
  });
  const local = await DnsService.start({ config, processMetrics: false });
  const probeFile = join(dir, 'probe.mjs');
  writeFileSync(probeFile, PROBE);
  try {
    assert.notEqual(dns.threadId, threadId, 'the DNS runs on another thread');
    const [host, port] = dns.dnsAddress.split(':');
    const localPort = local.dnsAddress()!.port;
    await waitFor(
      'both answer the example job',
      async () =>
        (await dig(Number(port), [NAME, 'A'], host)).answer.length === 2 &&
        (await dig(localPort, [NAME, 'A'])).answer.length === 2,
      30000,
    );
    const child = spawn(
      process.execPath,
      [probeFile, '4000', NAME, dns.dnsAddress, `127.0.0.1:${localPort}`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('exit', r));
    // Once the probe is sending, stall this thread (everything the devcluster runs) 2 s.
    await waitFor('the probe sending', () => out.startsWith('go\n'), 10000);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    await exited;
    const [worker, control] = out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as { target: string; sent: number; answered: number; timedOut: number },
      );
    assert.ok(worker!.sent >= 40, out);
    assert.equal(worker!.timedOut, 0, `worker-thread DNS: ${JSON.stringify(worker)}`);
    assert.equal(worker!.answered, worker!.sent);
    // The stall on the shared loop costs the control the queries of most of those 2 s.
    assert.ok(control!.timedOut >= 10, `main-thread DNS: ${JSON.stringify(control)}`);
  } finally {
    await local.close();
    await dns.close();
    await dc.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
