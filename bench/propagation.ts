// Propagation benchmark (`npm run bench -- propagation [--changes 200] [--poll-changes 20]
// [--poll-seconds 60]`): how long after a task reaches TASK_RUNNING the DNS server answers its A
// record, and how long after `kill` it answers NXDOMAIN — through the devcluster's real master,
// agents and task processes. Measured with the v1 operator-stream source (records updated
// incrementally) and, as the baseline in the same run, with polling /master/state at Mesos-DNS's
// default refresh (60 s) — both through Beacon's DNS service as the devcluster runs it. Prints p50/p99 of both and the ratio.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { startDevcluster, type Devcluster } from '../src/cluster/devcluster.js';
import { startDevclusterDns } from '../src/cluster/dns.js';
import { loopbackDns } from '../test/helpers/devcluster.js';
import { parseJobText } from '../src/cluster/job-schema.js';
import { freePort } from '../test/helpers/net.js';
import { machine, summary } from './lib/stats.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : def;
}

const CHANGES = arg('changes', 200);
const POLL_CHANGES = arg('poll-changes', 20);
const POLL_SECONDS = arg('poll-seconds', 60);

/** Answers `A` for `name` at 127.0.0.1:port: 'answer', 'nxdomain' or 'other'. */
function query(
  sock: dgram.Socket,
  port: number,
  name: string,
  id: number,
): Promise<'answer' | 'nxdomain' | 'other'> {
  return new Promise((resolve) => {
    const onMsg = (msg: Buffer) => {
      let p: ReturnType<typeof dnsPacket.decode>;
      try {
        p = dnsPacket.decode(msg);
      } catch {
        return;
      }
      if (p.id !== id) return;
      sock.off('message', onMsg);
      clearTimeout(t);
      // RCODE is the low 4 bits of the flags; 3 = NXDOMAIN.
      if (((p.flags ?? 0) & 0xf) === 3) resolve('nxdomain');
      else resolve((p.answers ?? []).some((a) => a.type === 'A') ? 'answer' : 'other');
    };
    const t = setTimeout(() => {
      sock.off('message', onMsg);
      resolve('other');
    }, 500);
    sock.on('message', onMsg);
    sock.send(
      dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name }],
      }),
      port,
      '127.0.0.1',
    );
  });
}

/** Polls DNS every `everyMs` until `want`; resolves with the time it first saw it. */
async function until(
  port: number,
  name: string,
  want: 'answer' | 'nxdomain',
  everyMs: number,
  deadlineMs: number,
): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  let id = Math.floor(Math.random() * 60000);
  const deadline = performance.now() + deadlineMs;
  try {
    for (;;) {
      id = (id + 1) & 0xffff;
      if ((await query(sock, port, name, id)) === want) return performance.now();
      if (performance.now() > deadline)
        throw new Error(`${name}: no ${want} within ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    sock.close();
  }
}

function jobFor(n: number, dir: string) {
  const key = `devcluster/bench/prod/b${n}`;
  const cfg = parseJobText(
    [
      `job: ${key}`,
      'processes:',
      '  - name: sleeper',
      `    cmdline: exec sleep 3600 # {{thermos.ports[http]}}`,
      'kill_grace_secs: 1',
    ].join('\n'),
    `b${n}.yaml`,
  );
  cfg.job_dir = dir;
  return { key, cfg, name: `b${n}.prod.bench.aurora.mesos` };
}

/** Resolves with performance.now() when the job's task reaches `state` on the master. */
function whenState(dc: Devcluster, key: string, state: string): Promise<number> {
  return new Promise((resolve) => {
    const on = (task: { jobKey: string }, status: { state: string }) => {
      if (task.jobKey === key && status.state === state) {
        dc.master.off('taskUpdated', on);
        resolve(performance.now());
      }
    };
    dc.master.on('taskUpdated', on);
  });
}

async function startCluster(): Promise<{ dc: Devcluster; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-bench-prop-'));
  const r = () => 10 + Math.floor(Math.random() * 240);
  const dc = await startDevcluster({
    dataDir: dir,
    masterPort: await freePort(),
    agentIp: `127.${r()}.${r()}.1`,
    agentPort: await freePort(),
    zkPort: await freePort(),
    exampleJob: undefined,
    agentCpus: 64,
    agentMem: 65536,
  });
  return { dc, dir };
}

/** The devcluster's DNS service (the same composition `beacon devcluster` runs) on free ports. */
async function dnsFor(dc: Devcluster, source: 'stream' | 'poll') {
  return startDevclusterDns({
    ...(await loopbackDns(dc)),
    source,
    refreshSeconds: POLL_SECONDS,
  });
}

async function streamRun(): Promise<{ up: number[]; down: number[] }> {
  const { dc, dir } = await startCluster();
  const dnsSvc = await dnsFor(dc, 'stream');
  if (!dnsSvc.source.includes('event stream'))
    throw new Error(`the DNS service is not streaming: ${dnsSvc.source}`);
  const port = Number(dnsSvc.dnsAddress.split(':')[1]);
  const up: number[] = [];
  const down: number[] = [];
  try {
    for (let n = 0; up.length + down.length < CHANGES; n++) {
      const job = jobFor(n, dir);
      const running = whenState(dc, job.key, 'TASK_RUNNING');
      dc.scheduler.create(job.key, job.cfg);
      const tRunning = await running;
      up.push((await until(port, job.name, 'answer', 0.5, 10000)) - tRunning);
      const tKill = performance.now();
      dc.scheduler.kill(job.key);
      down.push((await until(port, job.name, 'nxdomain', 0.5, 10000)) - tKill);
    }
  } finally {
    await dnsSvc.close();
    await dc.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { up, down };
}

async function pollRun(): Promise<{ up: number[]; down: number[] }> {
  const { dc, dir } = await startCluster();
  const dnsSvc = await dnsFor(dc, 'poll');
  const port = Number(dnsSvc.dnsAddress.split(':')[1]);
  const up: number[] = [];
  const down: number[] = [];
  const windowMs = POLL_SECONDS * 1000;
  try {
    // Changes spread evenly over one refresh interval, each measured on its own.
    await Promise.all(
      Array.from({ length: POLL_CHANGES }, async (_, n) => {
        await new Promise((r) => setTimeout(r, (n / POLL_CHANGES) * windowMs));
        const job = jobFor(10000 + n, dir);
        const running = whenState(dc, job.key, 'TASK_RUNNING');
        dc.scheduler.create(job.key, job.cfg);
        const tRunning = await running;
        up.push((await until(port, job.name, 'answer', 5, windowMs * 3)) - tRunning);
      }),
    );
    await Promise.all(
      Array.from({ length: POLL_CHANGES }, async (_, n) => {
        await new Promise((r) => setTimeout(r, (n / POLL_CHANGES) * windowMs));
        const job = jobFor(10000 + n, dir);
        const tKill = performance.now();
        dc.scheduler.kill(job.key);
        down.push((await until(port, job.name, 'nxdomain', 5, windowMs * 3)) - tKill);
      }),
    );
  } finally {
    await dnsSvc.close();
    await dc.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { up, down };
}

function line(label: string, v: number[]): string {
  const s = summary(v);
  return `${label.padEnd(34)} n=${String(s.n).padStart(3)}  p50=${s.p50.toFixed(1).padStart(8)} ms  p99=${s.p99.toFixed(1).padStart(8)} ms  max=${s.max.toFixed(1).padStart(8)} ms`;
}

async function main(): Promise<void> {
  process.stdout.write(
    `propagation: task RUNNING → DNS answers its A record; kill → NXDOMAIN (${machine()})\n`,
  );
  process.stdout.write(`stream source: ${CHANGES} changes, one at a time…\n`);
  const stream = await streamRun();
  process.stdout.write(
    `${line('stream  RUNNING → A answer', stream.up)}\n${line('stream  kill → NXDOMAIN', stream.down)}\n`,
  );
  process.stdout.write(
    `baseline: polling every ${POLL_SECONDS} s (Mesos-DNS default 60), ${POLL_CHANGES * 2} changes spread over the interval…\n`,
  );
  const poll = await pollRun();
  process.stdout.write(
    `${line(`poll ${POLL_SECONDS}s RUNNING → A answer`, poll.up)}\n${line(`poll ${POLL_SECONDS}s kill → NXDOMAIN`, poll.down)}\n`,
  );
  const all = (r: { up: number[]; down: number[] }) => summary([...r.up, ...r.down]);
  const s = all(stream);
  const p = all(poll);
  process.stdout.write(
    `all changes: stream p50 ${s.p50.toFixed(1)} ms / p99 ${s.p99.toFixed(1)} ms (goal p99 ≤ 100 ms: ${s.p99 <= 100 ? 'met' : 'NOT met'}); ` +
      `poll p50 ${p.p50.toFixed(0)} ms / p99 ${p.p99.toFixed(0)} ms; ratio poll/stream p50 ${(p.p50 / s.p50).toFixed(0)}×, p99 ${(p.p99 / s.p99).toFixed(0)}×\n`,
  );
}

await main();
