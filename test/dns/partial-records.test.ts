// The DNS server with a partial record set (setPartialRecords: an EarlySet while the first full
// set builds): the names it covers are answered as the full set answers them, over UDP and TCP,
// NXDOMAIN and NODATA included; every other query is SERVFAIL, as with no records; a full set replaces it and is never replaced
// by one; dropping it goes back to no records.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EarlySet, generateRecords } from '../../src/records/index.js';
import { dig, type DigResult } from '../helpers/dig.js';
import { loadFixture } from '../records/fixtures.js';
import { startDns, type Running } from './fixture.js';

const { parsed, cfg } = loadFixture('aurora-discovery');
const full = generateRecords(parsed.state, cfg);
const A_NAME = 'http_example.test.vagrant.aurora.mesos';
const SRV_NAME = '_http._http_example.test.vagrant._tcp.aurora.mesos';

/** The answer section without TTLs, sorted (and the additional section's addresses). */
const rows = (d: DigResult) => ({
  answer: d.answer.map((r) => [r[0], r[3], ...r.slice(4)].join(' ')).sort(),
  additional: d.additional
    .filter((r) => r[3] === 'A')
    .map((r) => `${r[0]} ${r[4]}`)
    .sort(),
});

describe('the DNS server with a partial record set', () => {
  const running: Running[] = [];
  after(async () => {
    for (const r of running) await r.close();
  });
  const start = async () => {
    const r = await startDns({ records: undefined });
    running.push(r);
    return r;
  };

  it('answers what it covers as the full set does, SERVFAIL for the rest, until a full set', async () => {
    const { server, port } = await start();
    assert.equal((await dig(port, [A_NAME, 'A'])).status, 'SERVFAIL', 'no records yet');
    server.setPartialRecords(new EarlySet(parsed.state, cfg, 1));
    const early = {
      a: await dig(port, [A_NAME, 'A']),
      srv: await dig(port, [SRV_NAME, 'SRV']),
      srvTcp: await dig(port, ['+tcp', SRV_NAME, 'SRV']),
      aaaa: await dig(port, [A_NAME, 'AAAA']),
    };
    assert.equal(early.a.status, 'NOERROR');
    assert.ok(early.a.answer.length > 0);
    assert.ok(early.srv.additional.length > 0, 'SRV targets addressed in Additional');
    assert.equal(early.aaaa.status, 'NOERROR', 'NODATA for a covered name');
    assert.equal(early.aaaa.answer.length, 0);
    // A name no task can make, at or below it: NXDOMAIN, with the SOA the full set will have; a
    // name above a DiscoveryInfo name's labels: NODATA (an empty non-terminal).
    const nx = await dig(port, ['nosuch.aurora.mesos', 'A']);
    assert.equal(nx.status, 'NXDOMAIN');
    assert.deepEqual(
      nx.authority.map((r) => r[3]),
      ['SOA'],
    );
    assert.equal((await dig(port, ['_nosuch._tcp.aurora.mesos', 'SRV'])).status, 'NXDOMAIN');
    const ent = await dig(port, ['test.vagrant.aurora.mesos', 'A']);
    assert.equal(ent.status, 'NOERROR');
    assert.equal(ent.answer.length, 0);
    // A task's address: its PTR name, as the full set answers it.
    const ptr = await dig(port, ['-x', '10.0.0.21']);
    assert.equal(ptr.status, 'NOERROR');
    assert.ok(ptr.answer.length > 0);
    for (const q of [
      // Every SRV name of the framework is below it: told by the whole zone.
      ['_tcp.aurora.mesos', 'SRV'],
      ['mesos', 'SOA'],
      // An address nothing has: forwarded, or refused, by the full set.
      ['-x', '10.9.9.9'],
      ['example.com', 'A'],
    ]) {
      assert.equal((await dig(port, q)).status, 'SERVFAIL', `${q.join(' ')}: not covered`);
    }
    server.setRecords(full);
    assert.deepEqual(rows(await dig(port, ['-x', '10.0.0.21'])), rows(ptr));
    assert.deepEqual(rows(await dig(port, [A_NAME, 'A'])), rows(early.a));
    assert.deepEqual(rows(await dig(port, [SRV_NAME, 'SRV'])), rows(early.srv));
    assert.deepEqual(rows(await dig(port, ['+tcp', SRV_NAME, 'SRV'])), rows(early.srvTcp));
    assert.equal((await dig(port, ['nosuch.aurora.mesos', 'A'])).status, 'NXDOMAIN');
    // A full set is never replaced by a partial one.
    server.setPartialRecords(new EarlySet(parsed.state, cfg, 1));
    assert.equal((await dig(port, ['nosuch.aurora.mesos', 'A'])).status, 'NXDOMAIN');
    server.setPartialRecords(undefined);
    assert.equal((await dig(port, ['nosuch.aurora.mesos', 'A'])).status, 'NXDOMAIN');
  });

  it('dropping the partial set goes back to SERVFAIL for everything', async () => {
    const { server, port } = await start();
    server.setPartialRecords(new EarlySet(parsed.state, cfg, 1));
    assert.equal((await dig(port, [A_NAME, 'A'])).status, 'NOERROR');
    server.setPartialRecords(undefined);
    assert.equal((await dig(port, [A_NAME, 'A'])).status, 'SERVFAIL');
  });
});
