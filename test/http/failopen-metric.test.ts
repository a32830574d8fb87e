// beacon_health_failopen_answers_total of a running service counts answers sent to clients with
// records of unhealthy tasks (no healthy task behind the name and type): each DNS answer (cache
// hits included) and each /v1/hosts, /v1/services reply. Reading the records for anything else —
// the zone-transfer journal's syncs, AXFR/IXFR, /v1/axfr, /v1/enumerate — counts nothing, and the
// counter never goes back across a state reload or a new DNS listener.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serialGt } from '../../src/records/serial.js';
import { DnsService } from '../../src/service/dns-service.js';
import { tcp, udp } from '../dns/client.js';
import { transfer } from '../dns/xfr-client.js';
import { healthState, WEB, WEB_NAMED } from '../helpers/health-state.js';
import { getJson } from '../helpers/http.js';
import { freePort } from '../helpers/net.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { testConfig } from './fixture.js';

const METRIC = 'beacon_health_failopen_answers_total';

describe(METRIC, () => {
  let dir: string;
  let statePath: string;
  let service: DnsService;
  let base: string;
  const dnsPort = () => service.dnsAddress()!.port;

  async function counted(): Promise<number> {
    const text = (await getJson(`${base}/metrics`)).body as string;
    const line = text.split('\n').find((l) => l.startsWith(`${METRIC} `));
    assert.ok(line, `${METRIC} in /metrics`);
    return Number(line.slice(METRIC.length + 1));
  }

  /** Writes a new state and reloads (a new record store); resolves when the journal took it. */
  async function newState(health: boolean[]): Promise<void> {
    const serial = service.transferSerial()!;
    writeFileSync(statePath, JSON.stringify(healthState(health)));
    const loaded = nextEvent(service, 'loaded', 20000);
    await service.reload(service.config);
    await loaded;
    await waitFor('the journal to sync', () => serialGt(service.transferSerial()!, serial), 10000);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-failopen-'));
    statePath = join(dir, 'state.json');
    // Every instance unhealthy: the job's names fail open.
    writeFileSync(statePath, JSON.stringify(healthState([false, false, false])));
    const config = testConfig({ allowTransfer: ['127.0.0.1/32'] });
    service = await DnsService.start({ config, statePath, processMetrics: false });
    // The first serial: the zone journal has read every name once.
    await waitFor('the first serial', () => service.transferSerial() !== undefined, 10000);
    const http = service.httpAddress()!;
    base = `http://${http.host}:${http.port}`;
  });
  after(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('journal syncs, zone transfers and the full listings count nothing', async () => {
    assert.equal(await counted(), 0);
    const axfr = await transfer(dnsPort(), 'mesos.');
    assert.equal(axfr.rcode, 0);
    assert.ok(
      axfr.records.some((r) => r.name === WEB.slice(0, -1) && r.type === 'A'),
      'the fail-open name is in the zone',
    );
    const ixfr = await transfer(dnsPort(), 'mesos.', { type: 'IXFR', serial: 1 });
    assert.equal(ixfr.rcode, 0);
    for (const path of ['/v1/axfr', '/v1/enumerate'])
      assert.equal((await getJson(`${base}${path}`)).status, 200, path);
    // A reload: a new store, a new journal sync over every name.
    await newState([false, false, false, false]);
    assert.equal(await counted(), 0);
  });

  it('each DNS answer from fail-open records counts, cache hits included; others count nothing', async () => {
    const start = await counted();
    const srv = (await udp(dnsPort(), WEB_NAMED, 'SRV')).packet;
    assert.equal(srv.answers?.length, 4);
    const target = (srv.answers![0] as { data: { target: string } }).data.target;
    for (let i = 0; i < 3; i++) {
      assert.equal((await udp(dnsPort(), target, 'A')).packet.answers?.length, 1);
      await udp(dnsPort(), 'nothing.aurora.mesos.', 'A');
    }
    assert.equal(await counted(), start + 1, 'the task names are healthy answers');
    for (let i = 0; i < 4; i++) await udp(dnsPort(), WEB, 'A');
    await tcp(dnsPort(), WEB, 'A');
    assert.equal(await counted(), start + 6);
  });

  it('/v1/hosts and /v1/services replies with fail-open records count once each', async () => {
    const start = await counted();
    const hosts = await getJson(`${base}/v1/hosts/${WEB}`);
    assert.equal((hosts.body as unknown[]).length, 4);
    const services = await getJson(`${base}/v1/services/${WEB_NAMED}`);
    const list = services.body as { host: string }[];
    assert.equal(list.length, 4);
    assert.equal(await counted(), start + 2);
    const h = await getJson(`${base}/v1/hosts/${list[0]!.host}`);
    assert.equal((h.body as unknown[]).length, 1);
    assert.equal(await counted(), start + 2, 'a task name is not fail open');
  });

  it('never goes back: healthy again, and a new DNS listener, keep the count', async () => {
    await newState([true, false, false, false]);
    const start = await counted();
    assert.ok(start > 0);
    for (let i = 0; i < 3; i++)
      assert.equal((await udp(dnsPort(), WEB, 'A')).packet.answers?.length, 1);
    assert.equal(await counted(), start, 'one healthy instance: no fail open');
    const port = await freePort();
    const r = await service.reload(testConfig({ allowTransfer: ['127.0.0.1/32'], port }));
    assert.ok(r.applied.includes('dns listener'), JSON.stringify(r));
    assert.equal(dnsPort(), port);
    assert.equal(await counted(), start, 'the old server stays counted');
    await newState([false, false, false, false]);
    await udp(port, WEB, 'A');
    assert.equal(await counted(), start + 1);
  });
});
