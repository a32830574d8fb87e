// /v1/axfr and /v1/enumerate are written in pieces (issue 10 item 5): the streamed JSON must parse
// to exactly what the one-object bodies (axfrBody / enumerateBody below, the reference) give for
// every golden fixture and for a large generated state served over HTTP, and it must include the
// ServerSet records DNS answers (names, merged values, the serial and the counts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { axfrJson, enumerateJson } from '../../src/http/api.js';
import {
  axfrRecords,
  enumerate,
  makeRecordsConfig,
  OverlayRecordSet,
  type MemRecordSet,
} from '../../src/records/index.js';
import { RecordStore } from '../../src/records/store.js';
import type { ServersetRecord } from '../../src/records/serverset-records.js';
import { stateParser } from '../../src/model/mesos-state.js';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { request } from '../helpers/http.js';
import { FIXTURES, loadFixture } from '../records/fixtures.js';

/** /v1/axfr as one object (Mesos-DNS's shape): what the streamed body must parse to. */
function axfrBody(rs: MemRecordSet, refreshSeconds: number) {
  return {
    TTL: rs.zone.ttl,
    Serial: rs.zone.soa.serial,
    RefreshSeconds: refreshSeconds,
    Mname: rs.zone.soa.mname,
    Rname: rs.zone.soa.rname,
    Domain: rs.zone.domain,
    Records: axfrRecords(rs),
  };
}

/** /v1/enumerate as one object. */
const enumerateBody = (rs: MemRecordSet) => enumerate(rs);
import { startService, type Started } from './fixture.js';

const parse = (pieces: Iterable<string>): unknown => JSON.parse([...pieces].join(''));
const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('streamed /v1 listings equal the one-object bodies', () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const { rs } = loadFixture(name);
      assert.deepEqual(parse(axfrJson({ state: rs }, 60)), roundTrip(axfrBody(rs, 60)));
      assert.deepEqual(parse(enumerateJson({ state: rs })), roundTrip(enumerateBody(rs)));
    });
  }

  it('a generated 5,000-task state, in pieces of bounded size', () => {
    const { state } = stateParser(
      syntheticState({ tasks: 5000, agents: 100, discovery: true, instancesPerJob: 3 }),
    );
    const store = new RecordStore(makeRecordsConfig());
    const rs = store.loadState(state, Date.now());
    const pieces = [...axfrJson({ state: rs }, 30)];
    assert.ok(pieces.length > 10, `${pieces.length} pieces`);
    // No piece much larger than the chunk size (64 Ki characters plus one name's records).
    assert.ok(Math.max(...pieces.map((p) => p.length)) < 1 << 17);
    assert.deepEqual(JSON.parse(pieces.join('')), roundTrip(axfrBody(rs, 30)));
    assert.deepEqual(parse(enumerateJson({ state: rs })), roundTrip(enumerateBody(rs)));
  });
});

describe('streamed listings include the ServerSet records', () => {
  const SS_NAME = 'http_example.test.vagrant.aurora.mesos.';
  const SS_ONLY = 'zk-only.aurora.mesos.';
  const records: ServersetRecord[] = [
    { name: SS_NAME, type: 'A', value: '10.9.9.9', port: 0 },
    { name: SS_ONLY, type: 'A', value: '10.9.9.8', port: 0 },
    { name: `_http.${SS_ONLY}`, type: 'SRV', value: 'zk-only-x-ss.aurora.mesos.', port: 9000 },
  ];

  function store(): { store: RecordStore; overlay: OverlayRecordSet } {
    const { parsed, cfg } = loadFixture('aurora-discovery');
    const s = new RecordStore(cfg);
    s.loadState(parsed.state, Date.now());
    s.loadServersets(new Map([['zk!/aurora/vagrant/test/http_example', records]]));
    return { store: s, overlay: s.view as OverlayRecordSet };
  }

  it('/v1/axfr: ServerSet-only names, merged names, the view serial', () => {
    const { store: s, overlay } = store();
    const before = roundTrip(axfrBody(s.state!, 60)) as {
      Serial: number;
      Records: { As: Record<string, string[]>; SRVs: Record<string, string[]> };
    };
    const b = parse(axfrJson({ state: s.state!, overlay }, 60)) as typeof before;
    assert.deepEqual(b.Records.As[SS_ONLY], ['10.9.9.8']);
    assert.deepEqual(b.Records.SRVs[`_http.${SS_ONLY}`], ['zk-only-x-ss.aurora.mesos.:9000']);
    assert.deepEqual(b.Records.As[SS_NAME], [...before.Records.As[SS_NAME]!, '10.9.9.9'].sort());
    // The serial DNS hands out (it moved with the ServerSet load), not the state's.
    assert.equal(b.Serial, overlay.zone.soa.serial);
    assert.ok(b.Serial > before.Serial);
    // Everything else is the state's.
    const rest = (r: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(r).filter(([n]) => n !== SS_NAME && n !== SS_ONLY));
    assert.deepEqual(rest(b.Records.As), rest(before.Records.As));
    // The counts agree with the listing.
    const listed = Object.values(b.Records.As).reduce((n, v) => n + v.length, 0);
    assert.equal(overlay.counts().a, listed);
  });

  it('/v1/enumerate: a serversets part by source, the frameworks unchanged', () => {
    const { store: s, overlay } = store();
    const b = parse(enumerateJson({ state: s.state!, overlay })) as {
      frameworks: unknown;
      serversets: { source: string; records: { name: string; host: string; rtype: string }[] }[];
    };
    assert.deepEqual(b.frameworks, roundTrip(enumerateBody(s.state!).frameworks));
    assert.equal(b.serversets.length, 1);
    assert.equal(b.serversets[0]!.source, 'zk!/aurora/vagrant/test/http_example');
    assert.deepEqual(b.serversets[0]!.records, [
      { name: SS_NAME, host: '10.9.9.9', rtype: 'A' },
      { name: SS_ONLY, host: '10.9.9.8', rtype: 'A' },
      { name: `_http.${SS_ONLY}`, host: 'zk-only-x-ss.aurora.mesos.:9000', rtype: 'SRV' },
    ]);
  });
});

describe('streamed listings over HTTP, 20,000 tasks', () => {
  let s: Started;
  before(async () => {
    const m = await FakeMaster.start({ down: true });
    m.setState({
      ...(syntheticState({
        tasks: 20000,
        agents: 400,
        discovery: true,
        instancesPerJob: 3,
        portNames: ['http', 'admin'],
      }) as Record<string, unknown>),
      pid: m.pid,
      leader: m.pid,
    });
    await m.up();
    s = await startService({ masters: [m] });
  });
  after(async () => s?.close());

  it('/v1/axfr is chunked and parses to the one-object body', async () => {
    const r = await request(`${s.base}/v1/axfr`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    assert.equal(r.headers.get('content-length'), null);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(r.text.endsWith('}\n'));
    const rs = s.service.records()!;
    assert.deepEqual(JSON.parse(r.text), roundTrip(axfrBody(rs, 60)));
  });

  it('/v1/enumerate is chunked and parses to the one-object body', async () => {
    const r = await request(`${s.base}/v1/enumerate`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    const b = JSON.parse(r.text) as { frameworks: { tasks: unknown[] }[] };
    assert.equal(b.frameworks[0]!.tasks.length, 20000);
    assert.deepEqual(b, roundTrip(enumerateBody(s.service.records()!)));
  });

  it('HEAD gets the headers and no body', async () => {
    const r = await request(`${s.base}/v1/axfr`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
  });
});
