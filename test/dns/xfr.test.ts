// Zone transfers from `beacon dns` (in process, state file + reload): `dig AXFR` gets the whole
// zone (SOA first and last, apex NS and its address, every A/AAAA/SRV record Beacon serves, no
// PTR); clients outside allowTransfer, UDP transfers and other zones are refused and counted;
// IXFR answers up-to-date clients with the SOA, others with the differences, and clients older
// than the journal with the whole zone; and a transfer taken during a burst of changes is the
// content of exactly one serial.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Answer } from 'dns-packet';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { parseConfig } from '../../src/config/mesos-dns.js';
import { serialGt } from '../../src/records/serial.js';
import { DnsService } from '../../src/service/dns-service.js';
import { DIG } from '../helpers/dig.js';
import { waitFor, nextEvent } from '../helpers/wait.js';
import { buildQuery, udpRaw } from './client.js';
import { contentLines, transfer } from './xfr-client.js';
import { execFile } from 'node:child_process';

type Doc = ReturnType<typeof makeDoc>;
interface Task {
  statuses: { container_status: { network_infos: { ip_addresses: object[] }[] } }[];
}

function makeDoc(tasks: number) {
  const doc = syntheticState({ tasks, agents: 5, discovery: true }) as {
    frameworks: { tasks: Task[] }[];
  };
  // One task with an IPv6 address too, so the zone has AAAA records.
  doc.frameworks[0].tasks[3].statuses[0].container_status.network_infos[0].ip_addresses.push({
    protocol: 'IPv6',
    ip_address: 'fd00::3',
  });
  return doc;
}

async function startService(dir: string, doc: Doc, extra: object = {}) {
  const statePath = join(dir, 'state.json');
  writeFileSync(statePath, JSON.stringify(doc));
  const { config } = parseConfig(
    {
      listener: '127.0.0.1',
      port: 0,
      httpon: false,
      externalon: false,
      allowTransfer: ['127.0.0.1/32'],
      ...extra,
    },
    'test config',
  );
  const service = await DnsService.start({ config, statePath, processMetrics: false });
  await waitFor('the first serial', () => service.transferSerial() !== undefined, 10000);
  return { service, statePath, port: service.dnsAddress()!.port };
}

/** Writes `doc` and reloads; resolves once the new state is loaded and has its own serial. */
async function change(service: DnsService, statePath: string, doc: Doc): Promise<number> {
  const before = service.transferSerial()!;
  writeFileSync(statePath, JSON.stringify(doc));
  const loaded = nextEvent(service, 'loaded', 20000);
  await service.reload(service.config);
  await loaded;
  return waitFor(
    'the serial to move',
    () => {
      const s = service.transferSerial()!;
      return serialGt(s, before) ? s : undefined;
    },
    10000,
  );
}

function digAxfr(port: number): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    execFile(
      DIG,
      ['@127.0.0.1', '-p', String(port), '+time=5', '+tries=1', 'mesos', 'AXFR'],
      { timeout: 30000, maxBuffer: 64 << 20 },
      (err, stdout) => {
        if (err) return reject(err);
        resolve(
          stdout
            .split('\n')
            .filter((l) => l.trim() !== '' && !l.startsWith(';'))
            .map((l) => l.trim().split(/\s+/)),
        );
      },
    );
  });
}

async function metric(service: DnsService, line: string): Promise<number> {
  const text = await service.metrics.registry.metrics();
  const l = text.split('\n').find((x) => x.startsWith(`${line} `));
  return l ? Number(l.split(' ')[1]) : 0;
}

/** Applies an incremental IXFR answer to an AXFR-form content (sorted lines). */
function applyIxfr(base: string[], records: Answer[]): string[] {
  const lines = new Map<string, number>();
  for (const l of base) lines.set(l, (lines.get(l) ?? 0) + 1);
  let soas = 0;
  let adding = false;
  for (const r of records.slice(1, -1)) {
    if (r.type === 'SOA') {
      soas++;
      adding = soas % 2 === 0;
      continue;
    }
    const [l] = contentLines([r]);
    if (adding) lines.set(l, (lines.get(l) ?? 0) + 1);
    else {
      assert.ok(lines.has(l), `IXFR deletes a record the client does not have: ${l}`);
      lines.set(l, lines.get(l)! - 1);
      if (lines.get(l) === 0) lines.delete(l);
    }
  }
  return [...lines.entries()].flatMap(([l, n]) => new Array<string>(n).fill(l)).sort();
}

describe('zone transfers from beacon dns', () => {
  let dir: string;
  let doc: Doc;
  let s: Awaited<ReturnType<typeof startService>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-xfr-'));
    doc = makeDoc(300);
    s = await startService(dir, doc);
  });
  after(async () => {
    await s?.service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('dig AXFR: SOA first and last, apex NS and its address, every A/AAAA/SRV record', async () => {
    const rrs = await digAxfr(s.port);
    const serial = String(s.service.transferSerial());
    assert.deepEqual(rrs[0].slice(0, 4), ['mesos.', '60', 'IN', 'SOA']);
    assert.equal(rrs[0][6], serial);
    assert.deepEqual(rrs[rrs.length - 1], rrs[0]);
    assert.deepEqual(rrs[1], ['mesos.', '60', 'IN', 'NS', 'ns1.mesos.']);
    assert.ok(rrs.some((r) => r[0] === 'ns1.mesos.' && r[3] === 'A' && r[4] === '127.0.0.1'));
    assert.ok(!rrs.some((r) => r[3] === 'PTR'), 'PTR records belong to the reverse zones');
    // Everything the record set has under the domain, exactly once.
    const expected: string[] = [];
    const rs = s.service.records()!;
    for (const name of rs.names()) {
      if (!name.endsWith('.mesos.')) continue;
      const r = rs.get(name);
      for (const ip of r?.a ?? []) expected.push(`${name} A ${ip}`);
      for (const ip of r?.aaaa ?? []) expected.push(`${name} AAAA ${ip}`);
      for (const v of r?.srv ?? [])
        expected.push(`${name} SRV ${v.priority} ${v.weight} ${v.port} ${v.target}`);
    }
    const got = rrs
      .slice(2, -1)
      .map((r) => `${r[0]} ${r[3]} ${r.slice(4).join(' ')}`)
      .sort();
    assert.deepEqual(got, expected.sort());
    assert.ok(got.some((l) => l.includes(' AAAA fd00::3')));
    assert.ok(got.some((l) => l.includes(' SRV ')));
  });

  test('clients outside allowTransfer, UDP transfers and other zones are refused', async () => {
    const before = await metric(
      s.service,
      'beacon_xfr_requests_total{type="axfr",result="refused"}',
    );
    const outside = await transfer(s.port, 'mesos.', { localAddress: '127.0.0.2' });
    assert.equal(outside.rcode, 5, 'REFUSED');
    assert.equal(outside.records.length, 0);
    const ixfrOutside = await transfer(s.port, 'mesos.', {
      type: 'IXFR',
      serial: 1,
      localAddress: '127.0.0.2',
    });
    assert.equal(ixfrOutside.rcode, 5);
    const udp = await udpRaw(s.port, buildQuery('mesos.', 'AXFR'));
    assert.ok(udp);
    assert.equal(udp.readUInt16BE(2) & 0xf, 5, 'AXFR over UDP is REFUSED');
    const other = await transfer(s.port, 'example.org.');
    assert.equal(other.rcode, 9, 'NOTAUTH for a zone Beacon does not serve');
    const after = await metric(
      s.service,
      'beacon_xfr_requests_total{type="axfr",result="refused"}',
    );
    assert.equal(after - before, 1);
  });

  test('IXFR: SOA alone when up to date, the differences after a change, the whole zone when too old', async () => {
    const s0 = s.service.transferSerial()!;
    const upToDate = await transfer(s.port, 'mesos.', { type: 'IXFR', serial: s0 });
    assert.equal(upToDate.records.length, 1);
    assert.equal(upToDate.records[0].type, 'SOA');
    const full0 = await transfer(s.port, 'mesos.');
    // One task gone, one task's address changed.
    const tasks = doc.frameworks[0].tasks;
    tasks.splice(5, 1);
    (
      tasks[7].statuses[0].container_status.network_infos[0].ip_addresses[0] as {
        ip_address: string;
      }
    ).ip_address = '10.123.0.7';
    const s1 = await change(s.service, s.statePath, doc);
    const full1 = await transfer(s.port, 'mesos.');
    assert.equal((full1.records[0] as { data: { serial: number } }).data.serial, s1);
    const inc = await transfer(s.port, 'mesos.', { type: 'IXFR', serial: s0 });
    assert.equal(inc.records[1].type, 'SOA', 'incremental form');
    assert.equal((inc.records[1] as { data: { serial: number } }).data.serial, s0);
    assert.ok(inc.records.length < full1.records.length / 4, 'the differences, not the zone');
    assert.deepEqual(
      applyIxfr(contentLines(full0.records), inc.records),
      contentLines(full1.records),
    );
    const old = await transfer(s.port, 'mesos.', { type: 'IXFR', serial: (s0 - 100000) >>> 0 });
    assert.notEqual(old.records[1].type, 'SOA', 'AXFR form for a serial the journal does not hold');
    assert.deepEqual(contentLines(old.records), contentLines(full1.records));
  });
});

describe('a transfer during a burst of changes', () => {
  test('is the content of exactly one serial', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beacon-xfr-burst-'));
    const doc = makeDoc(3000);
    const s = await startService(dir, doc);
    // The burst: each change moves every task of job 0 to 10.200.N.x, all at once.
    let stop = false;
    let changes = 0;
    const burst = (async () => {
      for (let n = 1; n <= 60 && !stop; n++) {
        doc.frameworks[0].tasks.slice(0, 10).forEach((t, i) => {
          (
            t.statuses[0].container_status.network_infos[0].ip_addresses[0] as {
              ip_address: string;
            }
          ).ip_address = `10.200.${n}.${i + 1}`;
        });
        await change(s.service, s.statePath, doc);
        changes++;
      }
    })();
    let overlapped = 0;
    let transfers = 0;
    let size: number | undefined;
    try {
      const deadline = Date.now() + 60000;
      while (overlapped < 3 && transfers < 40 && Date.now() < deadline) {
        const at = s.service.transferSerial()!;
        const r = await transfer(s.port, 'mesos.');
        const end = s.service.transferSerial()!;
        transfers++;
        const first = (r.records[0] as { data: { serial: number } }).data.serial;
        const last = r.records[r.records.length - 1] as { type: string; data: { serial: number } };
        assert.equal(last.type, 'SOA');
        assert.equal(last.data.serial, first);
        assert.ok(first === at || serialGt(first, at), 'never an older serial than the one served');
        // One serial: every address of job 0 from the same change.
        const third = new Set(
          r.records
            .filter(
              (x) => x.type === 'A' && String((x as { data: string }).data).startsWith('10.200.'),
            )
            .map((x) => String((x as { data: string }).data).split('.')[2]),
        );
        assert.ok(third.size <= 1, `addresses of changes ${[...third].join(', ')} in one transfer`);
        // After the first change (which moves job 0 off its agents' shared addresses) every
        // serial of the burst has as many records: a torn read would not.
        if (third.size === 1) {
          size ??= r.records.length;
          assert.equal(r.records.length, size, 'every serial of the burst has as many records');
        }
        if (end !== first) overlapped++;
      }
    } finally {
      stop = true;
      await burst;
      await s.service.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(changes > 0);
    assert.ok(
      overlapped > 0,
      `no transfer overlapped a change (${transfers} transfers, ${changes} changes)`,
    );
  });
});
