// Bad input at scale (issue 10 item 6), with a 20,000-task state from a real HTTP master on
// loopback: a document truncated part-way (a complete reply whose JSON stops, and a reply cut off
// mid-body) keeps the last good records serving, each refresh counted as a failure; a document
// with broken items part-way is served without them, the skipped items counted in /healthz and
// in `beacon_state_skipped_items`.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { StateFailure } from '../../src/sources/types.js';
import type { LoadInfo } from '../../src/service/dns-service.js';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { dig } from '../helpers/dig.js';
import { getJson, request } from '../helpers/http.js';
import { freePort } from '../helpers/net.js';
import { nextEvent } from '../helpers/wait.js';
import { startService, type Started } from './fixture.js';

const TASKS = 20000;
type Mode = 'ok' | 'truncated' | 'cut';

/** A master serving `body` as it is, its first half as a complete reply, or its first half
 *  after announcing all of it (the connection then closes mid-document). */
async function master(): Promise<{
  address: string;
  pid: string;
  set(body: Buffer, mode: Mode): void;
  close(): Promise<void>;
}> {
  const port = await freePort();
  let body: Buffer = Buffer.alloc(0);
  let mode: Mode = 'ok';
  const server = http.createServer((_req, res) => {
    const half = body.subarray(0, Math.floor(body.length / 2));
    if (mode === 'ok') res.writeHead(200, { 'content-length': body.length }).end(body);
    else if (mode === 'truncated') res.writeHead(200, { 'content-length': half.length }).end(half);
    else {
      res.writeHead(200, { 'content-length': body.length });
      res.write(half, () => res.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    address: `127.0.0.1:${port}`,
    pid: `master@127.0.0.1:${port}`,
    set: (b, m) => {
      body = b;
      mode = m;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe(`bad input at scale (${TASKS.toLocaleString()} tasks)`, () => {
  let m: Awaited<ReturnType<typeof master>>;
  let s: Started;
  let doc: { frameworks: { tasks: Record<string, unknown>[] }[] };
  let good: Buffer;
  const nameOf = (t: Record<string, unknown>) =>
    `${(t.discovery as { name: string }).name}.aurora.mesos`;

  before(async () => {
    m = await master();
    doc = {
      ...(syntheticState({
        tasks: TASKS,
        agents: 400,
        discovery: true,
        instancesPerJob: 1,
        portNames: ['http', 'admin'],
      }) as { frameworks: { tasks: Record<string, unknown>[] }[] }),
      pid: m.pid,
      leader: m.pid,
    } as typeof doc;
    good = Buffer.from(JSON.stringify(doc));
    m.set(good, 'ok');
    s = await startService({
      masters: [],
      // Refreshes 5 s apart (a 20,000-task build takes the event loop for a while on a busy machine),
      // retries after a failure within 200 ms.
      config: { masters: [m.address], refreshSeconds: 5 },
      service: { backoff: { baseMs: 50, capMs: 200 } },
    });
  });
  after(async () => {
    await s?.close();
    await m?.close();
  });

  const last = () => doc.frameworks[0]!.tasks[TASKS - 1]!;

  for (const mode of ['truncated', 'cut'] as const) {
    it(`a ${mode} document: the last good records keep serving`, async () => {
      m.set(good, mode);
      // A refresh already under way may still load the good document: count from the first
      // failure on (refreshes run one at a time, so the next ones all get the bad document).
      const [first] = await nextEvent<[StateFailure]>(s.service, 'failed', 60000);
      const rs = s.service.records()!;
      assert.equal(rs.taskCount(), TASKS);
      const serial = rs.zone.soa.serial;
      // It keeps retrying (a pooled connection the master dropped may fail one try otherwise).
      const [second] = await nextEvent<[StateFailure]>(s.service, 'failed', 60000);
      const said = `${first.error.message} | ${second.error.message}`;
      // A reply whose JSON stops is told from its last byte, without parsing it.
      assert.match(
        said,
        mode === 'cut' ? /closed|aborted|socket|ECONNRESET/i : /not JSON.*cut short/,
      );
      assert.equal(s.service.records(), rs, 'the served set is the last good one');
      assert.equal(rs.zone.soa.serial, serial);
      const a = await dig(s.dnsPort, [nameOf(last()), 'A', '+tries=3']);
      assert.equal(a.status, 'NOERROR');
      assert.equal(a.answer.length, 1);
      const h = await getJson(`${s.base}/healthz`);
      const report = h.body as { consecutiveFailures?: number; state?: unknown };
      assert.ok(JSON.stringify(report).includes('consecutive'), JSON.stringify(report));
      m.set(good, 'ok');
      await nextEvent<[LoadInfo]>(s.service, 'loaded', 60000);
    });
  }

  it('broken items part-way are skipped and counted; the rest is served', async () => {
    const broken = structuredClone(doc);
    const ts = broken.frameworks[0]!.tasks;
    const skipped: string[] = [];
    for (let i = TASKS / 2; i < TASKS; i += 10) {
      skipped.push(nameOf(doc.frameworks[0]!.tasks[i]!));
      if (i % 1000 === 0) (ts as unknown[])[i] = 'garbage';
      else delete ts[i]!.slave_id;
    }
    m.set(Buffer.from(JSON.stringify(broken)), 'ok');
    // A refresh already under way may load the good document first: wait for the broken one.
    let [info] = await nextEvent<[LoadInfo]>(s.service, 'loaded', 60000);
    for (let i = 0; i < 3 && info.warnings.length === 0; i++)
      [info] = await nextEvent<[LoadInfo]>(s.service, 'loaded', 60000);
    assert.equal(info.warnings.length, skipped.length);
    const rs = s.service.records()!;
    assert.equal(rs.taskCount(), TASKS - skipped.length);
    const gone = await dig(s.dnsPort, [skipped[3]!, 'A', '+tries=3']);
    assert.equal(gone.status, 'NXDOMAIN');
    const kept = await dig(s.dnsPort, [nameOf(last()), 'A', '+tries=3']);
    assert.equal(kept.answer.length, 1);
    const h = await getJson(`${s.base}/healthz`);
    assert.ok(
      JSON.stringify(h.body).includes(`"skippedItems":${skipped.length}`),
      JSON.stringify(h.body),
    );
    const metrics = await request(`${s.base}/metrics`);
    assert.match(metrics.text, new RegExp(`^beacon_state_skipped_items ${skipped.length}$`, 'm'));
  });
});
