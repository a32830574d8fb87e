// `beacon dns --config` with the configs Mesos-DNS refuses (one line naming the key and the value,
// exit ≠ 0, nothing served) and accepts (it starts), and `zoneResolvers` doing what it says: each
// listed zone forwarded to its own resolvers, checked with dig against stand-in upstreams on
// loopback. Cases: Mesos-DNS records/validation_test.go (test/config/mesos-dns-cases.ts).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { sampleState } from '../helpers/fake-master.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';
import { startUpstream, type FakeUpstream } from '../dns/upstream.js';
import { ACCEPTED, REFUSED } from '../config/mesos-dns-cases.js';

const BIN = fileURLToPath(new URL('../../../bin/beacon.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'beacon-dns-config-'));
const children = new Set<ChildProcess>();
const upstreams: FakeUpstream[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const u of upstreams) await u.close();
  rmSync(dir, { recursive: true, force: true });
});

const LOOPBACK = { listener: '127.0.0.1', HTTPListener: '127.0.0.1', port: 0, httpport: 0 };
const STATE = join(dir, 'state.json');
writeFileSync(STATE, JSON.stringify(sampleState()));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(name: string, config: Record<string, unknown>, extra: string[] = []): Run {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...LOOPBACK, ...config }));
  const child = spawn(process.execPath, [BIN, 'dns', '--config', path, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BEACON_LOG: 'error' },
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The DNS port from the "where it listens" line (fails if the process exits first). */
async function dnsPort(r: Run): Promise<number> {
  const line = await waitFor(
    'the listening line',
    () => {
      if (r.child.exitCode !== null) throw new Error(`exited early: ${r.stderr()}`);
      return r
        .stdout()
        .split('\n')
        .find((l) => l.startsWith('beacon dns: DNS on'));
    },
    20000,
  );
  const m = /DNS on 127\.0\.0\.1:(\d+)/.exec(line);
  assert.ok(m, line);
  return Number(m[1]);
}

/** Runs `f` over `items`, at most `n` at a time (the machine is shared). */
async function inBatches<T>(items: T[], n: number, f: (t: T, i: number) => Promise<void>) {
  for (let i = 0; i < items.length; i += n)
    await Promise.all(items.slice(i, i + n).map((t, j) => f(t, i + j)));
}

describe('beacon dns --config: what Mesos-DNS refuses', () => {
  it('each refused config: one line naming the key and the value, exit ≠ 0, nothing served', async () => {
    await inBatches(REFUSED, 4, async (c, i) => {
      const r = run(`refused-${i}`, c.config, ['--state', STATE]);
      const code = await r.exited;
      assert.notEqual(code, 0, c.why);
      const lines = r.stderr().trim().split('\n');
      assert.equal(lines.length, 1, `${c.why}: ${r.stderr()}`);
      assert.ok(lines[0]!.includes(`"${c.key}"`), `${c.why}: names the key: ${lines[0]}`);
      assert.ok(lines[0]!.includes(c.value), `${c.why}: quotes ${c.value}: ${lines[0]}`);
      assert.match(lines[0]!, /BEACON_E_CONFIG/);
      assert.equal(r.stdout(), '', c.why);
    });
  });

  it('each accepted config still starts and answers', async () => {
    await inBatches(ACCEPTED, 3, async (c, i) => {
      const r = run(`accepted-${i}`, { externalon: false, ...c.config }, ['--state', STATE]);
      const port = await dnsPort(r);
      const d = await dig(port, ['leader.' + String(c.config.domain ?? 'mesos'), 'A']);
      assert.equal(d.status, 'NOERROR', `${c.why}: ${d.raw}`);
      r.child.kill('SIGTERM');
      assert.equal(await r.exited, 0, c.why);
    });
  });
});

describe('zoneResolvers: each zone to its own resolvers', () => {
  it('a listed zone goes to its resolvers, everything else to "resolvers" (dig)', async () => {
    const general = await startUpstream('answer', '198.51.100.1');
    const corp = await startUpstream('answer', '192.0.2.1');
    upstreams.push(general, corp);
    const r = run(
      'zones',
      {
        resolvers: [general.address],
        zoneResolvers: { 'corp.example': [corp.address] },
        externalon: true,
      },
      ['--state', STATE],
    );
    const port = await dnsPort(r);
    const inZone = await dig(port, ['www.corp.example', 'A']);
    assert.equal(inZone.status, 'NOERROR', inZone.raw);
    assert.deepEqual(
      inZone.answer.map((a) => a.at(-1)),
      ['192.0.2.10'],
    );
    const apex = await dig(port, ['CORP.example', 'A']);
    assert.deepEqual(
      apex.answer.map((a) => a.at(-1)),
      ['192.0.2.10'],
    );
    // A name that only ends in the same letters is not in the zone.
    const other = await dig(port, ['www.notcorp.example', 'A']);
    assert.deepEqual(
      other.answer.map((a) => a.at(-1)),
      ['198.51.100.10'],
    );
    assert.equal(corp.udpQueries, 2);
    assert.equal(general.udpQueries, 1);
    // The served domain is still answered from the records, never forwarded.
    const own = await dig(port, ['leader.mesos', 'A']);
    assert.equal(own.status, 'NOERROR');
    assert.equal(corp.udpQueries + general.udpQueries, 3);
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
  });

  it('a zone is forwarded even when "resolvers" is empty; other names are REFUSED', async () => {
    const corp = await startUpstream('answer', '192.0.2.1');
    upstreams.push(corp);
    const r = run(
      'zones-only',
      { resolvers: [], zoneResolvers: { 'corp.example': [corp.address] }, externalon: true },
      ['--state', STATE],
    );
    const port = await dnsPort(r);
    const inZone = await dig(port, ['db.corp.example', 'A']);
    assert.deepEqual(
      inZone.answer.map((a) => a.at(-1)),
      ['192.0.2.10'],
    );
    const other = await dig(port, ['example.org', 'A']);
    assert.equal(other.status, 'REFUSED');
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
  });
});

// Mesos-DNS generator.go frameworkRecords + hostToIPs: a framework without a pid is served at the
// addresses of its hostname. `localhost` resolves from /etc/hosts, so no network is needed.
describe('a framework without a pid: its hostname looked up off the query path', () => {
  it("dig finds the framework name at the hostname's address", async () => {
    const doc = sampleState();
    (doc.frameworks as unknown[]).push({
      id: 'http-fw-0001',
      name: 'HttpSched',
      hostname: 'localhost',
      active: true,
      tasks: [],
    });
    const path = join(dir, 'state-http-fw.json');
    writeFileSync(path, JSON.stringify(doc));
    const r = run('http-fw', { externalon: false }, ['--state', path]);
    const port = await dnsPort(r);
    const answers = await waitFor('the framework A or AAAA record', async () => {
      const a = (await dig(port, ['httpsched.mesos', 'A'])).answer;
      const aaaa = (await dig(port, ['httpsched.mesos', 'AAAA'])).answer;
      const all = [...a, ...aaaa].map((x) => x.at(-1));
      return all.length > 0 ? all : undefined;
    });
    assert.ok(
      answers.every((ip) => ip === '127.0.0.1' || ip === '::1'),
      String(answers),
    );
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
  });
});
