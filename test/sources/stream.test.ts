// The v1 operator-stream source against a real devcluster master (real task processes): the
// SUBSCRIBED snapshot, incremental changes applied to a record set matching a full rebuild,
// resubscription after the master restarts, and the polling fallback for a master without the v1
// API. Plus the RecordIO framing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDevcluster } from '../../src/cluster/devcluster.js';
import { parseState, type MesosState } from '../../src/model/mesos-state.js';
import {
  DEFAULT_RECORDS_CONFIG,
  generateRecords,
  MemRecordSet,
  type RecordsConfig,
} from '../../src/records/index.js';
import { RecordIoDecoder } from '../../src/model/recordio.js';
import { applyStateChange } from '../../src/records/changes.js';
import { StreamStateSource } from '../../src/sources/stream.js';
import type { StateSnapshot } from '../../src/sources/types.js';
import { createDnsServer } from '../../src/dns/index.js';
import { devclusterOptions } from '../helpers/devcluster.js';
import { dig } from '../helpers/dig.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { waitFor } from '../helpers/wait.js';

const NAME = 'http_example.test.vagrant.aurora.mesos.';

const clusterOptions = () => devclusterOptions('beacon-stream-');

const recordsConfig: RecordsConfig = { ...DEFAULT_RECORDS_CONFIG };

function aRecords(rs: MemRecordSet | undefined): string[] {
  return [...(rs?.get(NAME)?.a ?? [])].sort();
}

test('RecordIO framing: records split across chunks, lengths in bytes', () => {
  const d = new RecordIoDecoder();
  const a = JSON.stringify({ type: 'HEARTBEAT' });
  const b = JSON.stringify({ s: 'é✓' });
  const wire = Buffer.from(`${a.length}\n${a}${Buffer.byteLength(b)}\n${b}`);
  const out: string[] = [];
  for (let i = 0; i < wire.length; i += 3) out.push(...d.push(wire.subarray(i, i + 3)));
  assert.deepEqual(out, [a, b]);
  assert.throws(() => new RecordIoDecoder().push(Buffer.from('x\n{}')), /expected a record length/);
});

test('the stream source keeps a record set current incrementally, equal to a full rebuild', async () => {
  const dc = await startDevcluster(await clusterOptions());
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port: Number(new URL(dc.masterUrl).port) }],
    refreshMs: 1000,
    timeoutMs: 5000,
  });
  const dns = createDnsServer({ host: '127.0.0.1', port: 0 });
  await dns.listen();
  let rs: MemRecordSet | undefined;
  const events: string[] = [];
  source.on('snapshot', (s) => {
    rs = generateRecords(s.state, recordsConfig);
  });
  source.on('change', (c, meta) => {
    events.push(
      `${meta.event}:${c.type === 'task' ? c.task.state : c.type === 'taskStatus' ? c.update.state : c.type}`,
    );
    if (rs && c.type !== 'serverset') applyStateChange(rs, c);
  });
  try {
    source.start();
    const running = await waitFor(
      'two instances running',
      () => {
        const v = dc.scheduler.status('devcluster/vagrant/test/http_example').instances;
        return v.every((i) => i.status === 'RUNNING') ? v : undefined;
      },
      20000,
    );
    await waitFor('A records for both instances via the stream', () => aRecords(rs).length === 2);
    assert.deepEqual(aRecords(rs), running.map((i) => i.host!).sort());
    // Incremental result == a full rebuild from the master's state document, except the
    // framework's own SRV record: v1 Framework objects carry no scheduler pid (v0 ones do).
    const full = generateRecords(
      parseState(await (await fetch(`${dc.masterUrl}/master/state`)).json()).state,
      recordsConfig,
    );
    const names = (r: MemRecordSet) =>
      [...r.names()].filter((n) => !n.startsWith('_framework._tcp.')).sort();
    assert.deepEqual(names(rs!), names(full));
    // Same records per name; the order inside a name is not part of the contract.
    const norm = (r: MemRecordSet, n: string) => {
      const e = r.get(n)!;
      const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
      return { a: sorted(e.a), aaaa: sorted(e.aaaa), srv: sorted(e.srv), ptr: sorted(e.ptr) };
    };
    for (const n of names(full)) assert.deepEqual(norm(rs!, n), norm(full, n), n);
    assert.ok(events.includes('TASK_UPDATED:TASK_RUNNING'), events.join(' '));

    // Served by the DNS server, updated in place: a removal must not leave a cached answer.
    dns.setRecords(rs!);
    const port = dns.address().port;
    assert.equal((await dig(port, [NAME, 'A'])).answer.length, 2);
    dc.scheduler.kill('devcluster/vagrant/test/http_example', [1]);
    await waitFor('one A record left', () => aRecords(rs).length === 1, 15000);
    assert.equal((await dig(port, [NAME, 'A'])).answer.length, 1);
    dc.scheduler.kill('devcluster/vagrant/test/http_example');
    await waitFor(
      'NXDOMAIN from the DNS server',
      async () => (await dig(port, [NAME, 'A'])).status === 'NXDOMAIN',
      15000,
    );
    assert.ok(source.isStreaming);
  } finally {
    await source.close();
    await dns.close();
    await dc.close();
  }
});

test('the stream source resubscribes after the master restarts', async () => {
  const opts = await clusterOptions();
  let dc = await startDevcluster(opts);
  const source = new StreamStateSource({
    masters: [{ host: '127.0.0.1', port: opts.masterPort! }],
    refreshMs: 500,
    timeoutMs: 3000,
    backoff: { baseMs: 50 },
  });
  const subscribed: string[] = [];
  let failures = 0;
  let last: StateSnapshot<MesosState> | undefined;
  // A subscription's snapshot comes from /api/v1; a fallback poll's from /master/state.
  source.on('snapshot', (s) => s.from.endsWith('/api/v1') && subscribed.push(s.from));
  source.on('failure', () => failures++);
  source.on('snapshot', (s) => (last = s));
  try {
    source.start();
    await waitFor('subscribed', () => subscribed.length === 1);
    const firstMaster = dc.master.id;
    await dc.close();
    await waitFor('the loss reported', () => failures > 0);
    assert.equal(source.isStreaming, false);
    dc = await startDevcluster(opts);
    await waitFor('subscribed again', () => subscribed.length === 2, 15000);
    assert.ok(source.isStreaming);
    // The new master's state arrives through the new subscription.
    await waitFor(
      'the new master agents in the snapshot',
      () =>
        last?.state.agents.some((a) => a.id.startsWith(dc.master.id)) &&
        dc.master.id !== firstMaster,
    );
  } finally {
    await source.close();
    await dc.close();
  }
});

test('a master without the v1 API is polled instead', async () => {
  const fake = await FakeMaster.start();
  const source = new StreamStateSource({
    masters: [{ host: fake.host, port: fake.port }],
    refreshMs: 200,
    timeoutMs: 2000,
    backoff: { baseMs: 20 },
  });
  const snapshots: StateSnapshot<MesosState>[] = [];
  source.on('snapshot', (s) => snapshots.push(s));
  try {
    source.start();
    await waitFor('two polled snapshots', () => snapshots.length >= 2, 10000);
    assert.match(snapshots[0]!.from, /\/master\/state$/);
    assert.equal(snapshots[0]!.state.frameworks[0]!.tasks.length, 1);
    assert.equal(source.isStreaming, false);
    assert.match(source.status().lastFailure?.message ?? '', /HTTP 404/);
  } finally {
    await source.close();
    await fake.stop();
  }
});
