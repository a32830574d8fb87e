// `beacon dns` in production operation, as a subprocess: SIGHUP applies a changed config under a
// steady query load without losing a query; a bad config is rejected naming the key while the old
// one keeps serving; a changed listener port is bound first and the old one closed after;
// /readyz fails before the first load (while /livez answers) and from the moment SIGTERM arrives,
// while DNS keeps answering for lameduckSeconds, then exits 0.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { dnsListening, killStartedBeacons, startBeacon, type BeaconChild } from '../helpers/cli.js';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { freePort } from '../helpers/net.js';
import { startUpstream } from '../dns/upstream.js';
import { dig } from '../helpers/dig.js';
import { waitFor } from '../helpers/wait.js';

const TASK = 'http_example.test.vagrant.aurora.mesos';
const dir = mkdtempSync(join(tmpdir(), 'beacon-dns-reload-'));
after(() => {
  killStartedBeacons();
  rmSync(dir, { recursive: true, force: true });
});

const LOOPBACK = {
  listener: '127.0.0.1',
  HTTPListener: '127.0.0.1',
  resolvers: [],
  externalon: false,
};

function writeConfig(name: string, obj: Record<string, unknown>): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(obj));
  return p;
}

async function listening(r: BeaconChild): Promise<{ dns: number; http: number }> {
  const l = await dnsListening(r, 15000);
  assert.ok(l.httpPort !== undefined, l.line);
  return { dns: l.dnsPort, http: l.httpPort };
}

/** One A query over UDP: the answer's TTL, or undefined after `timeoutMs` (a lost query). */
function queryTtl(port: number, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    const t = setTimeout(() => {
      sock.close();
      resolve(undefined);
    }, timeoutMs);
    sock.on('message', (msg) => {
      const p = dnsPacket.decode(msg);
      if (p.id !== id) return;
      clearTimeout(t);
      sock.close();
      resolve((p.answers?.[0] as { ttl?: number } | undefined)?.ttl ?? -1);
    });
    sock.send(
      dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name: TASK, class: 'IN' }] }),
      port,
      '127.0.0.1',
    );
  });
}

/** Queries one after another until `stop()`; counts answers by TTL and lost queries. Bounded. */
function steadyLoad(port: number) {
  const ttls = new Map<number, number>();
  let lost = 0;
  let sent = 0;
  let running = true;
  const done = (async () => {
    const deadline = Date.now() + 60_000;
    while (running && Date.now() < deadline && sent < 100_000) {
      sent++;
      const ttl = await queryTtl(port);
      if (ttl === undefined) lost++;
      else ttls.set(ttl, (ttls.get(ttl) ?? 0) + 1);
    }
  })();
  return {
    ttls,
    get lost() {
      return lost;
    },
    get sent() {
      return sent;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

async function metric(http: number, line: RegExp): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  return text.split('\n').find((l) => line.test(l));
}

describe('beacon dns: reload, readiness, lameduck', () => {
  it('SIGHUP with a changed ttl: the new TTL is answered, no query is lost', async () => {
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify(sampleState()));
    const cfg = { ...LOOPBACK, port: 0, httpport: 0, ttl: 60 };
    const path = writeConfig('ttl.json', cfg);
    const r = startBeacon(['dns', '--config', path, '--state', state]);
    const { dns, http } = await listening(r);
    assert.equal(await queryTtl(dns), 60);
    const load = steadyLoad(dns);
    await waitFor('some load', () => load.sent > 50);
    writeConfig('ttl.json', { ...cfg, ttl: 7 });
    r.child.kill('SIGHUP');
    await waitFor('the new TTL answered', () => load.ttls.has(7), 15000);
    await waitFor('more load after the reload', () => (load.ttls.get(7) ?? 0) > 50);
    await load.stop();
    assert.equal(load.lost, 0, `${load.lost} of ${load.sent} queries lost`);
    assert.match(r.stderr(), /SIGHUP: reloaded \(records/);
    assert.equal(
      await metric(http, /^beacon_config_reloads_total\{result="ok"\}/),
      'beacon_config_reloads_total{result="ok"} 1',
    );
    const inForce = (await (await fetch(`http://127.0.0.1:${http}/v1/config`)).json()) as {
      ttl: number;
    };
    assert.equal(inForce.ttl, 7, '/v1/config shows what is in force');
    r.child.kill('SIGTERM');
    assert.deepEqual(await r.exited, { code: 0, signal: null });
  });

  it('SIGHUP with a bad value: rejected naming the key, the old config keeps serving', async () => {
    const state = join(dir, 'state-bad.json');
    writeFileSync(state, JSON.stringify(sampleState()));
    const cfg = { ...LOOPBACK, port: 0, httpport: 0, ttl: 60 };
    const path = writeConfig('bad.json', cfg);
    const r = startBeacon(['dns', '--config', path, '--state', state]);
    const { dns, http } = await listening(r);
    writeConfig('bad.json', { ...cfg, ttl: 'soon' });
    r.child.kill('SIGHUP');
    await waitFor('the rejection', () => /reload rejected/.test(r.stderr()), 10000);
    assert.match(r.stderr(), /"ttl"/);
    assert.equal(await queryTtl(dns), 60, 'still answering with the old config');
    assert.equal(
      await metric(http, /^beacon_config_reloads_total\{result="failed"\}/),
      'beacon_config_reloads_total{result="failed"} 1',
    );
    r.child.kill('SIGTERM');
    assert.equal((await r.exited).code, 0);
  });

  it('SIGHUP with a new DNS port: the new one is bound first, then the old one closes', async () => {
    const state = join(dir, 'state-port.json');
    writeFileSync(state, JSON.stringify(sampleState()));
    const first = await freePort();
    const cfg = { ...LOOPBACK, port: first, httpport: 0 };
    const path = writeConfig('port.json', cfg);
    const r = startBeacon(['dns', '--config', path, '--state', state]);
    await listening(r);
    assert.equal(await queryTtl(first), 60);
    const second = await freePort();
    writeConfig('port.json', { ...cfg, port: second });
    r.child.kill('SIGHUP');
    await waitFor('the reload', () => /SIGHUP: reloaded/.test(r.stderr()), 10000);
    assert.match(r.stderr(), /dns listener/);
    assert.equal(await queryTtl(second), 60);
    assert.equal(await queryTtl(first, 500), undefined, 'the old port is closed');
    r.child.kill('SIGTERM');
    assert.equal((await r.exited).code, 0);
  });

  it("SIGHUP with other masters and resolvers: the new masters' state and forwarding are applied", async () => {
    const a = await FakeMaster.start();
    const b = await FakeMaster.start();
    b.setState(sampleState({ port: b.port, taskIp: '10.0.0.99' }));
    const up = await startUpstream('answer', '192.0.2.7');
    try {
      const cfg = { ...LOOPBACK, port: 0, httpport: 0, masters: [a.address], refreshSeconds: 60 };
      const path = writeConfig('sources.json', cfg);
      const r = startBeacon(['dns', '--config', path]);
      const { dns } = await listening(r);
      const aOf = async () => (await dig(dns, [TASK, 'A'])).answer.map((x) => x[4]);
      await waitFor('state from master a', async () => (await aOf()).includes('10.0.0.21'), 15000);
      assert.equal((await dig(dns, ['example.org', 'A'])).status, 'REFUSED');
      writeConfig('sources.json', {
        ...cfg,
        masters: [b.address],
        externalon: true,
        resolvers: [up.address],
      });
      r.child.kill('SIGHUP');
      await waitFor('state from master b', async () => (await aOf()).includes('10.0.0.99'), 15000);
      assert.deepEqual(await aOf(), ['10.0.0.99']);
      const fwd = await dig(dns, ['example.org', 'A']);
      assert.equal(fwd.status, 'NOERROR');
      assert.equal(fwd.answer[0]?.[4], '192.0.2.70');
      r.child.kill('SIGTERM');
      assert.equal((await r.exited).code, 0);
    } finally {
      await up.close();
      await a.stop();
      await b.stop();
    }
  });

  it('/readyz: 503 before the first load while /livez answers; SIGTERM → 503 at once, DNS answers through lameduckSeconds, exit 0', async () => {
    const master = await FakeMaster.start({ down: true });
    try {
      const cfg = {
        ...LOOPBACK,
        port: 0,
        httpport: 0,
        masters: [master.address],
        refreshSeconds: 1,
        lameduckSeconds: 2,
      };
      const r = startBeacon(['dns', '--config', writeConfig('lameduck.json', cfg)]);
      const { dns, http } = await listening(r);
      const get = async (p: string) => (await fetch(`http://127.0.0.1:${http}${p}`)).status;
      assert.equal(await get('/readyz'), 503);
      assert.equal(await get('/livez'), 200, 'alive while the masters are down');
      await master.up();
      await waitFor('ready once state loaded', async () => (await get('/readyz')) === 200, 15000);
      const t0 = Date.now();
      r.child.kill('SIGTERM');
      // /readyz fails while DNS (and HTTP) still answer: the load balancer drains first.
      await waitFor('/readyz failing', async () => (await get('/readyz')) === 503, 2000, 10);
      assert.equal(await queryTtl(dns), 60, 'DNS answers during lameduck');
      assert.equal(r.child.exitCode, null, 'still running');
      const { code } = await r.exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - t0 >= 2000, 'exits only after lameduckSeconds');
    } finally {
      await master.stop();
    }
  });
});
