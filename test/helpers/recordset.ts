// Test-only: an in-memory RecordSet built from a literal list of records, for DNS and HTTP tests
// that must not depend on the record generator.
import type { NameRecords, RecordSet, ZoneInfo } from '../../src/records/types.js';

export type TestRecord =
  | { name: string; type: 'A' | 'AAAA'; ip: string }
  | { name: string; type: 'SRV'; target: string; port: number; priority?: number; weight?: number }
  | { name: string; type: 'PTR'; target: string };

function fqdn(n: string): string {
  const l = n.toLowerCase();
  return l.endsWith('.') ? l : `${l}.`;
}

export function testZone(
  over: Partial<Omit<ZoneInfo, 'soa'>> & { soa?: Partial<ZoneInfo['soa']> } = {},
): ZoneInfo {
  return {
    domain: over.domain ?? 'mesos',
    ttl: over.ttl ?? 60,
    soa: {
      mname: 'ns1.mesos.',
      rname: 'root.ns1.mesos.',
      serial: 1,
      refresh: 60,
      retry: 600,
      expire: 86400,
      minttl: 60,
      ...over.soa,
    },
  };
}

/** A RecordSet holding exactly `records` (names lowercased and made fully qualified). */
export function memoryRecordSet(
  records: readonly TestRecord[],
  zone: ZoneInfo = testZone(),
): RecordSet {
  const byName = new Map<string, NameRecords>();
  const get = (n: string) => {
    let r = byName.get(n);
    if (!r) byName.set(n, (r = { a: [], aaaa: [], srv: [], ptr: [] }));
    return r;
  };
  for (const r of records) {
    const n = fqdn(r.name);
    if (r.type === 'A' || r.type === 'AAAA') get(n)[r.type === 'A' ? 'a' : 'aaaa'].push(r.ip);
    else if (r.type === 'PTR') get(n).ptr.push(fqdn(r.target));
    else if (r.type === 'SRV')
      get(n).srv.push({
        priority: r.priority ?? 0,
        weight: r.weight ?? 1,
        port: r.port,
        target: fqdn(r.target),
      });
  }
  // Every ancestor of an owner exists (empty non-terminals), for NODATA vs NXDOMAIN.
  const existing = new Set<string>();
  for (const n of byName.keys()) {
    let s = n;
    while (s !== '' && s !== '.') {
      existing.add(s);
      const dot = s.indexOf('.');
      s = s.slice(dot + 1);
    }
  }
  return {
    zone,
    get: (n) => byName.get(n),
    exists: (n) => existing.has(n),
    names: () => byName.keys(),
    counts: () => {
      const c = { a: 0, aaaa: 0, srv: 0, ptr: 0 };
      for (const r of byName.values()) {
        c.a += r.a.length;
        c.aaaa += r.aaaa.length;
        c.srv += r.srv.length;
        c.ptr += r.ptr.length;
      }
      return c;
    },
  };
}

/** The records the DNS tests use: an Aurora-style task with DiscoveryInfo names, an IPv6 task, PTRs. */
export function fixtureRecords(): TestRecord[] {
  return [
    { name: 'ns1.mesos', type: 'A', ip: '127.0.0.1' },
    { name: 'http_example.test.vagrant.aurora.mesos', type: 'A', ip: '10.0.0.1' },
    { name: 'http_example.test.vagrant.aurora.mesos', type: 'A', ip: '10.0.0.2' },
    { name: 'http_example-abcde-s1.test.vagrant.aurora.slave.mesos', type: 'A', ip: '10.0.0.1' },
    { name: 'http_example-fghij-s2.test.vagrant.aurora.slave.mesos', type: 'A', ip: '10.0.0.2' },
    {
      name: '_http_example.test.vagrant._tcp.aurora.mesos',
      type: 'SRV',
      target: 'http_example-abcde-s1.test.vagrant.aurora.slave.mesos',
      port: 31000,
    },
    {
      name: '_http_example.test.vagrant._tcp.aurora.mesos',
      type: 'SRV',
      target: 'http_example-fghij-s2.test.vagrant.aurora.slave.mesos',
      port: 31001,
    },
    { name: 'v6task.marathon.mesos', type: 'AAAA', ip: '2001:db8::1' },
    { name: 'v6task.marathon.mesos', type: 'A', ip: '10.0.0.9' },
    {
      name: '1.0.0.10.in-addr.arpa',
      type: 'PTR',
      target: 'http_example-abcde-s1.test.vagrant.aurora.slave.mesos',
    },
  ];
}
