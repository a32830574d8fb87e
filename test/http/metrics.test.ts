// /metrics of a running service: Prometheus text with query counts by type and rcode (fed by the
// DNS server), the latency histogram, refreshes, state age, record counts and skipped items.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeMaster, sampleState } from '../helpers/fake-master.js';
import { dig } from '../helpers/dig.js';
import { getJson } from '../helpers/http.js';
import { startService, type Started } from './fixture.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  let s: Started;
  before(async () => {
    const m = await FakeMaster.start();
    // One agent with an unparsable pid: skipped and counted, the rest used.
    const doc = sampleState({ port: m.port });
    (doc.slaves as Array<Record<string, unknown>>).push({
      id: 'bad-S9',
      hostname: 'x',
      pid: 'nonsense',
      resources: {},
    });
    m.setState(doc);
    s = await startService({ masters: [m] });
  });
  after(async () => s.close());

  it('counts queries by type and rcode and observes their latency', async () => {
    await dig(s.dnsPort, ['http_example.test.vagrant.aurora.mesos.', 'A']);
    await dig(s.dnsPort, ['http_example.test.vagrant.aurora.mesos.', 'A']);
    await dig(s.dnsPort, ['nothing-here.mesos.', 'SRV']);
    await dig(s.dnsPort, ['+tcp', 'leader.mesos.', 'A']);
    const r = await getJson(`${s.base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    const text = r.body as string;
    assert.equal(
      value(text, 'beacon_dns_queries_total{qtype="A",rcode="NOERROR",transport="udp"}'),
      2,
    );
    assert.equal(
      value(text, 'beacon_dns_queries_total{qtype="SRV",rcode="NXDOMAIN",transport="udp"}'),
      1,
    );
    assert.equal(
      value(text, 'beacon_dns_queries_total{qtype="A",rcode="NOERROR",transport="tcp"}'),
      1,
    );
    assert.equal(value(text, 'beacon_dns_query_duration_seconds_count{forwarded="false"}'), 4);
    assert.match(
      text,
      /beacon_dns_query_duration_seconds_bucket\{le="0.001",forwarded="false"\} \d/,
    );
  });

  it('reports refreshes, state age, readiness, record counts and skipped items', async () => {
    const text = (await getJson(`${s.base}/metrics`)).body as string;
    assert.equal(value(text, 'beacon_state_refreshes_total{result="ok"}'), 1);
    assert.equal(value(text, 'beacon_state_refreshes_total{result="failed"}'), 0);
    assert.equal(value(text, 'beacon_state_ready'), 1);
    const age = value(text, 'beacon_state_age_seconds');
    assert.ok(age !== undefined && age >= 0 && age < 60, `age ${age}`);
    const counts = s.service.records()!.counts();
    assert.equal(value(text, 'beacon_records{type="A"}'), counts.a);
    assert.equal(value(text, 'beacon_records{type="SRV"}'), counts.srv);
    assert.equal(value(text, 'beacon_records{type="PTR"}'), counts.ptr);
    assert.equal(value(text, 'beacon_state_skipped_items'), 1);
    assert.equal(value(text, 'beacon_state_skipped_items_total'), 1);
    const h = (await getJson(`${s.base}/healthz`)).body as { skippedItems: number };
    assert.equal(h.skippedItems, 1);
  });
});
