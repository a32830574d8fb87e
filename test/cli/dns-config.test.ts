// `beacon dns --config` with configs Mesos-DNS accepts (it starts and answers), and `zoneResolvers`
// doing what it says: each listed zone forwarded to its own resolvers, checked with dig against
// stand-in upstreams on loopback. Refused configs: dns-config-refused-*.test.ts. Cases: Mesos-DNS
// records/validation_test.go (test/config/mesos-dns-cases.ts; all of them through the parser in
// test/config/validation.test.ts, a sample of one per key here, as each start costs seconds).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sampleState } from '../helpers/fake-master.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';
import { ACCEPTED } from '../config/mesos-dns-cases.js';
import { STATE, dir, dnsPort, inBatches, run, upstream } from './dns-config-run.js';

const ACCEPTED_CLI = ACCEPTED.filter((c) =>
  [
    'hostnames are not validated',
    'bracketed IPv6 master',
    'one IPv6 resolver on two ports',
    'domain 1-awesome.domain.e',
    'bc.com and abc.com do not nest',
  ].includes(c.why),
);

describe('beacon dns --config: what Mesos-DNS accepts still starts', () => {
  it('each accepted config still starts and answers', async () => {
    await inBatches(ACCEPTED_CLI, 3, async (c, i) => {
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
    const general = await upstream('198.51.100.1');
    const corp = await upstream('192.0.2.1');
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
    const corp = await upstream('192.0.2.1');
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
