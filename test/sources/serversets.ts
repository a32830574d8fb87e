// The ServerSet DNS source, shared by both coordination backends: members become records in the
// DiscoveryInfo naming scheme (aliases included), leave → gone, poison skipped, outages served
// stale then resynced, and merged with state records without duplicates — checked through the
// DNS server with dig too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDnsServer, type DnsServer } from '../../src/dns/index.js';
import { parseState } from '../../src/model/mesos-state.js';
import { makeRecordsConfig } from '../../src/records/index.js';
import { RecordStore } from '../../src/records/store.js';
import type { RecordSet } from '../../src/records/types.js';
import { Announcer } from '../../src/serverset/announcer.js';
import { encodeJson } from '../../src/serverset/codec.js';
import { ServersetSource } from '../../src/sources/serversets.js';
import type { Coordination } from '../../src/zk/types.js';
import type { Backend } from '../helpers/backends.js';
import { dig } from '../helpers/dig.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

const D = 'aurora.mesos.';
const srvOf = (rs: RecordSet, name: string) =>
  (rs.get(name)?.srv ?? []).map((s) => `${s.port}@${(rs.get(s.target)?.a ?? []).join(',')}`).sort();

function member(host: string, http: number, health: number, shard: number) {
  return {
    serviceEndpoint: { host, port: http },
    additionalEndpoints: {
      http: { host, port: http },
      health: { host, port: health },
      alias: { host, port: http },
    },
    status: 'ALIVE' as const,
    shard,
  };
}

export function serversetSourceSuite(name: string, makeBackend: () => Promise<Backend>): void {
  describe(`ServerSet DNS source: ${name}`, () => {
    let backend: Backend;
    let writer: Coordination;
    let overlay: RecordSet;
    const skipped: string[] = [];
    let source: ServersetSource;
    let dns: DnsServer;
    const fixture = fileURLToPath(
      new URL('../../../test/fixtures/state/aurora-discovery.json', import.meta.url),
    );

    before(async () => {
      backend = await makeBackend();
      writer = await backend.connect();
      const state = parseState(JSON.parse(readFileSync(fixture, 'utf8'))).state;
      // Wired as the DNS service wires every source: snapshots load, changes apply.
      const store = new RecordStore(makeRecordsConfig());
      store.loadState(state, Date.now());
      source = new ServersetSource({
        configs: [{ zk: backend.connectString!, root: '/aurora' }],
        domain: 'mesos',
        onSkipped: (_p, m) => skipped.push(m),
      });
      source.on('snapshot', (s) => store.loadServersets(s.state));
      source.on('change', (c) => store.apply(c));
      const first = nextEvent(source, 'snapshot');
      source.start();
      await first;
      overlay = store.view!;
      dns = createDnsServer({ host: '127.0.0.1', port: 0, records: overlay });
      await dns.listen();
    });
    after(async () => {
      await dns.close();
      await source.close();
      await writer.close();
      await backend.cleanup();
    });

    test('a member joins → A, SRV and named-port SRV (aliases included) in the DiscoveryInfo scheme', async () => {
      const a = new Announcer({
        session: writer,
        path: '/aurora/www/prod/frontend',
        instance: member('127.0.0.5', 8080, 8081, 0),
      });
      await a.join();
      await waitFor('records for the member', () => overlay.get(`frontend.prod.www.${D}`));
      assert.deepEqual(overlay.get(`frontend.prod.www.${D}`)!.a, ['127.0.0.5']);
      assert.deepEqual(srvOf(overlay, `_frontend.prod.www._tcp.${D}`), [
        '8080@127.0.0.5',
        '8081@127.0.0.5',
      ]);
      assert.deepEqual(srvOf(overlay, `_http._frontend.prod.www._tcp.${D}`), ['8080@127.0.0.5']);
      assert.deepEqual(srvOf(overlay, `_alias._frontend.prod.www._tcp.${D}`), ['8080@127.0.0.5']);
      assert.deepEqual(srvOf(overlay, `_health._frontend.prod.www._tcp.${D}`), ['8081@127.0.0.5']);
      // Through a real DNS client as well.
      const out = await dig(dns.address().port, [
        `_alias._frontend.prod.www._tcp.aurora.mesos`,
        'SRV',
      ]);
      assert.equal(out.status, 'NOERROR');
      assert.match(
        out.answer.map((r) => r.join(' ')).join('\n'),
        /SRV\s+0\s+1\s+8080\s+frontend\.prod\.www-[a-z0-9]{5}-ss\.aurora\.mesos\./,
      );
      const b = new Announcer({
        session: writer,
        path: '/aurora/www/prod/frontend',
        instance: member('127.0.0.6', 9090, 9091, 1),
      });
      await b.join();
      await waitFor(
        'second member',
        () => srvOf(overlay, `_alias._frontend.prod.www._tcp.${D}`).length === 2,
      );
      await a.leave();
      await waitFor(
        'first member gone',
        () => srvOf(overlay, `_alias._frontend.prod.www._tcp.${D}`).join() === '9090@127.0.0.6',
      );
      assert.deepEqual(overlay.get(`frontend.prod.www.${D}`)!.a, ['127.0.0.6']);
      await b.leave();
      await waitFor('all gone', () => !overlay.exists(`frontend.prod.www.${D}`));
      const nx = await dig(dns.address().port, ['frontend.prod.www.aurora.mesos', 'A']);
      assert.equal(nx.status, 'NXDOMAIN');
    });

    test('poison members are skipped; the rest are published', async () => {
      await writer.mkdirp('/aurora/www/prod/poisoned');
      await writer.create('/aurora/www/prod/poisoned/member_', Buffer.from('not json'), {
        mode: 'ephemeralSequential',
      });
      await writer.create(
        '/aurora/www/prod/poisoned/member_',
        encodeJson(member('127.0.0.7', 7000, 7001, 0)),
        { mode: 'ephemeralSequential' },
      );
      await waitFor('good member published', () => overlay.get(`poisoned.prod.www.${D}`));
      assert.deepEqual(overlay.get(`poisoned.prod.www.${D}`)!.a, ['127.0.0.7']);
      assert.equal(skipped.length, 1);
    });

    test('merged with state records without duplicates', async () => {
      // The fixture's task: http_example.test.vagrant at 10.0.0.21, DiscoveryInfo ports http 31000, health 31001.
      const a = new Announcer({
        session: writer,
        path: '/aurora/vagrant/test/http_example',
        instance: member('10.0.0.21', 31000, 31001, 0),
      });
      await a.join();
      await waitFor('alias published', () =>
        overlay.get(`_alias._http_example.test.vagrant._tcp.${D}`),
      );
      assert.deepEqual(
        srvOf(overlay, `_http._http_example.test.vagrant._tcp.${D}`),
        ['31000@10.0.0.21'],
        'one SRV, not two',
      );
      assert.deepEqual(srvOf(overlay, `_http_example.test.vagrant._tcp.${D}`), [
        '31000@10.0.0.21',
        '31001@10.0.0.21',
      ]);
      assert.deepEqual(overlay.get(`http_example.test.vagrant.${D}`)!.a, ['10.0.0.21']);
      assert.deepEqual(
        srvOf(overlay, `_alias._http_example.test.vagrant._tcp.${D}`),
        ['31000@10.0.0.21'],
        'alias only from the ServerSet',
      );
      await a.leave();
      await waitFor(
        'alias gone, state records stay',
        () => !overlay.get(`_alias._http_example.test.vagrant._tcp.${D}`),
      );
      assert.deepEqual(srvOf(overlay, `_http._http_example.test.vagrant._tcp.${D}`), [
        '31000@10.0.0.21',
      ]);
    });

    test('ZooKeeper restart: records kept while disconnected, then resynced', async () => {
      const a = new Announcer({
        session: writer,
        path: '/aurora/www/prod/sturdy',
        instance: member('127.0.0.8', 6000, 6001, 0),
      });
      await a.join();
      await waitFor('published', () => overlay.get(`sturdy.prod.www.${D}`));
      const restarted = backend.restart();
      await waitFor('source stale', () => source.stale, 15000).catch(() => undefined);
      assert.deepEqual(
        overlay.get(`sturdy.prod.www.${D}`)!.a,
        ['127.0.0.8'],
        'kept while ZooKeeper is away',
      );
      await restarted;
      await waitFor('fresh again', () => !source.stale, 30000);
      const b = new Announcer({
        session: writer,
        path: '/aurora/www/prod/sturdy',
        instance: member('127.0.0.9', 6000, 6001, 1),
      });
      await b.join();
      await waitFor(
        'resynced with the new member',
        () => overlay.get(`sturdy.prod.www.${D}`)?.a.length === 2,
        30000,
      );
      await a.leave();
      await b.leave();
    });
  });
}
