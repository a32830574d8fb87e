// Finagle weight vectors and lenient member JSON against a real ZooKeeper, through the CLI and the
// ServerSet DNS source: a `vector_` node with weight -1 drains a member (Finagle's drain signal:
// `ls` and DNS leave it out), one with weight 2 doubles another's weight (`ls` shows it, DNS turns
// it into the SRV weight), and a pretty-printed member (read by the Python commons reader and
// Finagle's zk2 resolver, serverset2 EntryTest's example JSON with spaces) is read like any other.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeJson } from '../../src/serverset/codec.js';
import { ZkSession } from '../../src/zk/session.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';
import { ZkServer } from '../helpers/zookeeper.js';

const BIN = fileURLToPath(new URL('../../../bin/beacon.js', import.meta.url));
const STATE = fileURLToPath(
  new URL('../../../test/fixtures/state/aurora-discovery.json', import.meta.url),
);
const env = { ...process.env, BEACON_LOG: 'error' };
const PATH = '/aurora/web/prod/shop';

function member(host: string): Buffer {
  return encodeJson({
    serviceEndpoint: { host, port: 8080 },
    additionalEndpoints: { http: { host, port: 8080 } },
    status: 'ALIVE',
  });
}

// serverset2 EntryTest's exampleJson shape, pretty-printed across lines.
const PRETTY = `{
  "status": "ALIVE",
  "additionalEndpoints": {"http": {"host": "10.0.0.2", "port": 8080}},
  "serviceEndpoint": {"host": "10.0.0.2", "port": 8080}
}`;

describe('weight vectors and pretty-printed members (real ZooKeeper)', () => {
  let zk: ZkServer;
  let session: ZkSession;
  const kids: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'beacon-weights-'));

  before(async () => {
    zk = await ZkServer.start();
    session = new ZkSession(zk.connectString);
    await session.waitConnected(15000);
    await session.mkdirp(PATH);
    await session.create(`${PATH}/member_0000000000`, member('10.0.0.1'));
    await session.create(`${PATH}/member_0000000001`, Buffer.from(PRETTY));
    await session.create(`${PATH}/member_0000000002`, member('10.0.0.3'));
    const vector = (v: unknown) => Buffer.from(JSON.stringify({ vector: v }));
    await session.create(
      `${PATH}/vector_0000000000`,
      vector([{ select: 'member=member_0000000000', weight: -1, priority: 1 }]),
    );
    await session.create(
      `${PATH}/vector_0000000001`,
      vector([{ select: 'inet=10.0.0.3:8080', weight: 2, priority: 1 }]),
    );
  });
  after(async () => {
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
    await session.close();
    await zk.stop();
  });

  test('serverset ls: the drained member left out, the weight shown, the pretty member read', () => {
    const name = `zk2!${zk.connectString}!${PATH}`;
    const json = spawnSync(process.execPath, [BIN, 'serverset', 'ls', '--json', name], {
      encoding: 'utf8',
      env,
      timeout: 30000,
    });
    assert.equal(json.status, 0, json.stderr);
    const members = JSON.parse(json.stdout) as {
      name: string;
      endpoint: { host: string };
      weight: number;
    }[];
    assert.deepEqual(
      members.map((m) => [m.name, m.endpoint.host, m.weight]),
      [
        ['member_0000000001', '10.0.0.2', 1],
        ['member_0000000002', '10.0.0.3', 2],
      ],
    );
    const text = spawnSync(process.execPath, [BIN, 'serverset', 'ls', name], {
      encoding: 'utf8',
      env,
      timeout: 30000,
    });
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.equal(lines.length, 2, text.stdout);
    assert.match(lines[1]!, /^member_0000000002\t10\.0\.0\.3:8080 weight=2\t/);
    assert.doesNotMatch(text.stdout, /10\.0\.0\.1/);
  });

  test('DNS: no records for the drained member, SRV weight 2 for the weighted one (dig)', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        listener: '127.0.0.1',
        HTTPListener: '127.0.0.1',
        port: 0,
        httpport: 0,
        externalon: false,
        serversets: [{ zk: zk.connectString, root: '/aurora' }],
      }),
    );
    const proc = spawn(process.execPath, [BIN, 'dns', '--config', config, '--state', STATE], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    kids.push(proc);
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const line = await waitFor(
      'the listening line',
      () => {
        if (proc.exitCode !== null) throw new Error(`exited early: ${err}`);
        return out.split('\n').find((l) => l.startsWith('beacon dns: DNS on'));
      },
      20000,
    );
    const port = Number(/DNS on 127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const a = await dig(port, ['shop.prod.web.aurora.mesos', 'A']);
    assert.deepEqual(a.answer.map((r) => r.at(-1)).sort(), ['10.0.0.2', '10.0.0.3']);
    const srv = await dig(port, ['_shop.prod.web._tcp.aurora.mesos', 'SRV']);
    // rdata: priority weight port target
    const rows = srv.answer.map((r) => r.slice(-4));
    assert.equal(rows.length, 2, srv.raw);
    const weights = await Promise.all(
      rows.map(async ([, weight, , target]) => {
        const t = await dig(port, [target!, 'A']);
        return [t.answer[0]?.at(-1), Number(weight)] as const;
      }),
    );
    assert.deepEqual(
      weights.sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      [
        ['10.0.0.2', 1],
        ['10.0.0.3', 2],
      ],
    );
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  });

  test('serverset watch: a vector_ node added later drains a member (a leave line)', async () => {
    const name = `zk2!${zk.connectString}!${PATH}`;
    const proc = spawn(process.execPath, [BIN, 'serverset', 'watch', '--json', name], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    kids.push(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const events = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; member?: { name: string; weight: number } });
    await waitFor('the initial members', () => events().length >= 2, 20000);
    await session.create(
      `${PATH}/vector_0000000002`,
      Buffer.from(JSON.stringify({ vector: [{ select: 'inet=10.0.0.2:8080', weight: -1 }] })),
    );
    const leave = await waitFor(
      'a leave for the drained member',
      () => events().find((e) => e.event === 'leave' && e.member?.name === 'member_0000000001'),
      20000,
    );
    assert.equal(leave.member!.weight, 1);
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  });
});
