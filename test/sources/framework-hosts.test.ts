// Frameworks without a pid: Mesos-DNS resolves `hostname` and serves every address as the
// framework's A/AAAA record (records/generator.go frameworkRecords + hostToIPs; there is no
// upstream test for it). Beacon looks it up in the source layer — bounded, cached, a few at a
// time, never on the query path — and records get the addresses as an input (`hostIps`).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { MesosFramework, MesosState } from '../../src/model/mesos-state.js';
import { generateRecords, makeRecordsConfig } from '../../src/records/index.js';
import { FrameworkHosts, needsLookup } from '../../src/sources/framework-hosts.js';

function fw(id: string, hostname: string, pid?: { host: string; port: number }): MesosFramework {
  return pid ? { id, name: id, hostname, pid, tasks: [] } : { id, name: id, hostname, tasks: [] };
}
const state = (...frameworks: MesosFramework[]): MesosState => ({ agents: [], frameworks });

/** A lookup the test answers by hand, counting the calls. */
function manualLookup() {
  const pending = new Map<string, (ips: string[]) => void>();
  const calls: string[] = [];
  return {
    calls,
    pending,
    lookup: (host: string) =>
      new Promise<string[]>((resolve) => {
        calls.push(host);
        pending.set(host, resolve);
      }),
  };
}

describe('framework hostname lookups (source layer)', () => {
  it('only frameworks without a pid whose hostname is a name are looked up', () => {
    assert.equal(needsLookup(fw('a', 'sched.example')), true);
    assert.equal(needsLookup(fw('b', 'sched.example', { host: '10.0.0.9', port: 1 })), false);
    assert.equal(needsLookup(fw('c', '10.0.0.9')), false);
    assert.equal(needsLookup(fw('d', '')), false);
    assert.equal(needsLookup(fw('e', 'not a name!')), false);
  });

  it('annotate never waits; the answer arrives as an event, then annotates from the cache', async () => {
    const m = manualLookup();
    let now = 1000;
    const hosts = new FrameworkHosts({ lookup: m.lookup, now: () => now, ttlMs: 60_000 });
    const s1 = state(fw('marathon', 'Sched.Example'));
    hosts.annotate(s1);
    assert.equal(s1.frameworks[0]!.hostIps, undefined); // nothing cached yet, nothing awaited
    assert.deepEqual(m.calls, ['sched.example']);
    const resolved = once(hosts, 'resolved');
    m.pending.get('sched.example')!(['10.1.2.3', '::ffff:10.1.2.3', 'fd00::7']);
    assert.deepEqual(await resolved, ['sched.example', ['10.1.2.3', 'fd00::7']]);
    // cached: the next state is annotated at once, without another lookup
    const s2 = state(fw('marathon', 'sched.example'));
    hosts.annotate(s2);
    assert.deepEqual(s2.frameworks[0]!.hostIps, ['10.1.2.3', 'fd00::7']);
    assert.equal(m.calls.length, 1);
    // stale after the TTL: served from the cache while it is looked up again
    now += 60_001;
    const s3 = state(fw('marathon', 'sched.example'));
    hosts.annotate(s3);
    assert.deepEqual(s3.frameworks[0]!.hostIps, ['10.1.2.3', 'fd00::7']);
    assert.equal(m.calls.length, 2);
    hosts.close();
  });

  it('a lookup that never answers is bounded: it counts as no address and is retried later', async () => {
    let now = 0;
    let calls = 0;
    const hosts = new FrameworkHosts({
      lookup: () => {
        calls++;
        return calls === 1 ? new Promise<string[]>(() => {}) : Promise.resolve(['10.9.9.9']);
      },
      timeoutMs: 20,
      negativeTtlMs: 5_000,
      now: () => now,
    });
    hosts.annotate(state(fw('f', 'hung.example')));
    // The timeout gives an empty answer: no event (nothing changed), then retry after the
    // negative TTL gives the address.
    const deadline = Date.now() + 10_000;
    while (hosts.cached('hung.example') === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(hosts.cached('hung.example'), []);
    const again = state(fw('f', 'hung.example'));
    hosts.annotate(again); // still fresh (negative TTL): no new lookup
    assert.equal(calls, 1);
    now += 5_001;
    const resolved = once(hosts, 'resolved');
    hosts.annotate(state(fw('f', 'hung.example')));
    assert.deepEqual(await resolved, ['hung.example', ['10.9.9.9']]);
    assert.equal(calls, 2);
    hosts.close();
  });

  it('at most maxConcurrent lookups run at once; the rest wait their turn', async () => {
    const m = manualLookup();
    const hosts = new FrameworkHosts({ lookup: m.lookup, maxConcurrent: 2 });
    hosts.annotate(state(fw('a', 'a.example'), fw('b', 'b.example'), fw('c', 'c.example')));
    assert.deepEqual(m.calls, ['a.example', 'b.example']);
    const first = once(hosts, 'resolved');
    m.pending.get('a.example')!(['10.0.0.1']);
    await first;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(m.calls, ['a.example', 'b.example', 'c.example']);
    hosts.close();
  });

  it('the system resolver: localhost (from /etc/hosts, no network)', async () => {
    const hosts = new FrameworkHosts();
    const resolved = once(hosts, 'resolved');
    hosts.annotate(state(fw('local', 'localhost')));
    const [, ips] = (await resolved) as [string, string[]];
    assert.ok(ips.includes('127.0.0.1') || ips.includes('::1'), String(ips));
    hosts.close();
  });
});

describe('framework records from looked-up addresses (records stay pure)', () => {
  const cfg = makeRecordsConfig({ selfAddresses: [] });

  it('every address of hostIps as A/AAAA; no SRV without a pid', () => {
    const f = { ...fw('marathon', 'sched.example'), hostIps: ['10.1.2.3', 'fd00::7'] };
    const rs = generateRecords(state(f), cfg);
    assert.deepEqual(rs.get('marathon.mesos.')?.a, ['10.1.2.3']);
    assert.deepEqual(rs.get('marathon.mesos.')?.aaaa, ['fd00::7']);
    assert.equal(rs.get('_framework._tcp.marathon.mesos.'), undefined);
  });

  it('a pid wins over hostIps; without hostIps a name gives no record', () => {
    const withPid = {
      ...fw('marathon', 'sched.example', { host: '10.0.0.9', port: 8080 }),
      hostIps: ['10.1.2.3'],
    };
    assert.deepEqual(generateRecords(state(withPid), cfg).get('marathon.mesos.')?.a, ['10.0.0.9']);
    assert.equal(
      generateRecords(state(fw('marathon', 'sched.example')), cfg).get('marathon.mesos.'),
      undefined,
    );
  });

  it('setFrameworkHostIps updates the served set to what a rebuild gives', () => {
    const rs = generateRecords(state(fw('marathon', 'sched.example')), cfg);
    assert.equal(rs.setFrameworkHostIps('SCHED.example', ['10.1.2.3']), true);
    assert.equal(rs.setFrameworkHostIps('sched.example', ['10.1.2.3']), false);
    const rebuilt = generateRecords(
      state({ ...fw('marathon', 'sched.example'), hostIps: ['10.1.2.3'] }),
      cfg,
    );
    assert.deepEqual(rs.get('marathon.mesos.'), rebuilt.get('marathon.mesos.'));
    rs.setFrameworkHostIps('sched.example', []);
    assert.equal(rs.get('marathon.mesos.'), undefined);
  });
});
