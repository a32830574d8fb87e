// The dashboard's pure parts: DNS names per job sorted out of a generated record set (every name
// is one the set holds), record diffs for the feed, and the SSE hub's history replay after a
// Last-Event-ID (and in full after a devcluster restart reset the ids).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { jobDnsNames } from '../../src/cluster/dashboard/dns-names.js';
import { diffRecords } from '../../src/cluster/dashboard/dns-feed.js';
import { EventHub } from '../../src/cluster/dashboard/event-hub.js';
import { waitFor } from '../helpers/wait.js';
import { loadFixture } from '../records/fixtures.js';

test('job DNS names come from the record set, grouped into A, SRV, named-port SRV, per task', () => {
  const { rs } = loadFixture('aurora-discovery');
  const byJob = jobDnsNames(rs, (id) =>
    id.startsWith('vagrant-test-http_example-') ? 'job' : undefined,
  );
  assert.deepEqual([...byJob.keys()], ['job']);
  const n = byJob.get('job')!;
  assert.ok(n.a.includes('http_example.test.vagrant.aurora.mesos'), n.a.join());
  assert.ok(n.srv.includes('_http_example.test.vagrant._tcp.aurora.mesos'), n.srv.join());
  assert.ok(
    n.namedSrv.includes('_http._http_example.test.vagrant._tcp.aurora.mesos'),
    n.namedSrv.join(),
  );
  assert.ok(n.namedSrv.includes('_health._http_example.test.vagrant._tcp.aurora.mesos'));
  assert.ok(!n.srv.some((x) => n.namedSrv.includes(x)));
  const perTask = Object.values(n.byTask).flat();
  assert.ok(perTask.length > 0);
  assert.ok(!n.a.some((x) => perTask.includes(x)), 'instance names are not job names');
  for (const name of [...n.a, ...n.srv, ...n.namedSrv, ...perTask]) {
    assert.ok(rs.get(`${name}.`), `${name} is in the record set`);
  }
  assert.equal(jobDnsNames(rs, () => undefined).size, 0);
});

test('record diffs list what appeared and what went, by name', () => {
  const s = (o: Record<string, string[]>) =>
    new Map(Object.entries(o).map(([k, v]) => [k, new Set(v)]));
  assert.deepEqual(
    diffRecords(
      s({ 'A a.mesos': ['10.0.0.1', '10.0.0.2'], 'SRV _x._tcp.mesos': ['t.mesos:1'] }),
      s({ 'A a.mesos': ['10.0.0.2', '10.0.0.3'], 'A b.mesos': ['10.0.0.4'] }),
    ),
    [
      { type: 'SRV', name: '_x._tcp.mesos', added: [], removed: ['t.mesos:1'] },
      { type: 'A', name: 'a.mesos', added: ['10.0.0.3'], removed: ['10.0.0.1'] },
      { type: 'A', name: 'b.mesos', added: ['10.0.0.4'], removed: [] },
    ],
  );
  assert.deepEqual(
    diffRecords(s({ 'A a.mesos': ['1.1.1.1'] }), s({ 'A a.mesos': ['1.1.1.1'] })),
    [],
  );
});

/** The ids and kinds an SSE client receives until `n` events arrived. */
async function receive(
  port: number,
  lastEventId: string | undefined,
  n: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const got: string[] = [];
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
      },
      (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          for (const m of buf.matchAll(/^id: (\d+)\nevent: (\w+)\n/gm)) got.push(`${m[1]}:${m[2]}`);
          buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
          if (got.length >= n) {
            req.destroy();
            resolve(got);
          }
        });
      },
    );
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
  });
}

test('the event hub replays its history after Last-Event-ID, in full for an id it never gave', async () => {
  const hub = new EventHub({ historyLimit: 3 });
  const server = http.createServer((req, res) => hub.serve(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    for (let i = 0; i < 4; i++) hub.publish({ kind: 'task', at: i, data: { i } });
    hub.publish({ kind: 'metrics', at: 9, data: {} }); // live only, never replayed
    assert.equal(hub.recent().length, 3);
    assert.deepEqual(await receive(port, undefined, 3), ['2:task', '3:task', '4:task']);
    assert.deepEqual(await receive(port, '3', 1), ['4:task']);
    assert.deepEqual(await receive(port, '999', 3), ['2:task', '3:task', '4:task']);
    // Live: a connected client gets new events as they are published.
    const live = receive(port, '4', 1);
    await waitFor('the live client', () => hub.clientCount === 1, 5000, 5);
    hub.publish({ kind: 'dns', at: 10, data: {} });
    assert.deepEqual(await live, ['6:dns']);
  } finally {
    hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
