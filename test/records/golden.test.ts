// Golden record sets: each hand-written state document in test/fixtures/state gives exactly the
// zone in NAME.zone (reviewed by hand against Mesos-DNS's naming rules). Regenerate after an
// intended change with BEACON_UPDATE_GOLDEN=1 and review the diff.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { zoneText } from '../../src/records/index.js';
import { FIXTURES, STATE_DIR, loadFixture } from './fixtures.js';

const update = process.env.BEACON_UPDATE_GOLDEN === '1';

describe('golden record sets', () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const { rs } = loadFixture(name);
      const text = zoneText(rs);
      const file = `${STATE_DIR}${name}.zone`;
      if (update) writeFileSync(file, text);
      assert.equal(text, readFileSync(file, 'utf8'));
    });
  }
});

function names(name: string): Set<string> {
  return new Set(loadFixture(name).rs.names());
}

describe('names the spec and the seed document promise', () => {
  it('the seed document examples (legacy raw-DiscoveryInfo pass)', () => {
    const { rs } = loadFixture('aurora-discovery');
    assert.deepEqual(rs.get('http_example.test.vagrant.aurora.mesos.')?.a, ['10.0.0.21']);
    const srv = rs
      .get('_http_example.test.vagrant._tcp.aurora.mesos.')!
      .srv.map((s) => s.port)
      .sort();
    assert.deepEqual(srv, [31000, 31001]);
    assert.deepEqual(rs.get('_http._http_example.test.vagrant._tcp.aurora.mesos.')!.srv, [
      {
        priority: 0,
        weight: 1,
        port: 31000,
        target: 'http_example.test.vagrant-s7nnu-s0.aurora.mesos.',
      },
    ]);
  });
  it('the sanitised DiscoveryInfo pass and the canonical names', () => {
    const n = names('aurora-discovery');
    for (const x of [
      'http-example-test-vagrant.aurora.mesos.',
      'http-example-test-vagrant-s7nnu-s0.aurora.mesos.',
      'http-example-test-vagrant.aurora.slave.mesos.',
      'http-example-test-vagrant-s7nnu-s0.aurora.slave.mesos.',
      '_http-example-test-vagrant._tcp.aurora.slave.mesos.',
      '_http-example-test-vagrant._udp.aurora.slave.mesos.',
      '_health._http-example-test-vagrant._tcp.aurora.mesos.',
      'leader.mesos.',
      'master2.mesos.',
      '_leader._udp.mesos.',
      'slave.mesos.',
      '_slave._tcp.mesos.',
      'aurora.mesos.',
      '_framework._tcp.aurora.mesos.',
      'ns1.mesos.',
      '21.0.0.10.in-addr.arpa.',
    ]) {
      assert.ok(n.has(x), x);
    }
    // With DiscoveryInfo, resource ports are SRV'd under .slave only (Mesos-DNS).
    assert.ok(!n.has('_http-example-test-vagrant._udp.aurora.mesos.'));
  });
  it('without DiscoveryInfo: task-name records, resource-port SRV in both subdomains', () => {
    const n = names('aurora-plain');
    assert.ok(n.has('vagranttesthello.aurora.mesos.'));
    assert.ok(n.has('_vagranttesthello._udp.aurora.mesos.'));
    assert.ok(n.has('_vagranttesthello._tcp.aurora.slave.mesos.'));
    // not running, or on an unknown agent: no records
    assert.ok(![...n].some((x) => x.includes('cccc') || x.includes('dddd')));
  });
  it('never a label over 63 bytes or ending in "-"', () => {
    for (const f of ['sanitize', 'sanitize-rfc952', 'marathon', 'bad-items']) {
      for (const name of names(f)) {
        for (const label of name.slice(0, -1).split('.')) {
          assert.ok(label.length >= 1 && label.length <= 63, `${f}: ${name}`);
          assert.ok(!label.endsWith('-') && !label.startsWith('-'), `${f}: ${name}`);
        }
      }
    }
  });
  it('bad items are skipped and counted, the rest is used', () => {
    const { parsed, rs } = loadFixture('bad-items');
    assert.equal(parsed.warnings.length, 15);
    assert.ok(parsed.warnings.some((w) => w.message.includes('"[31000]"')));
    assert.ok(rs.get('rec.aurora.mesos.'), 'the task with "[31000]" keeps its A records');
    assert.equal(rs.get('_rec._tcp.aurora.mesos.'), undefined);
    assert.equal(rs.get('rea.aurora.mesos.'), undefined, 'agent with a garbage pid is unknown');
    assert.deepEqual(rs.get('reb.aurora.mesos.')?.a, ['10.5.0.1']);
    assert.deepEqual(
      rs
        .get('_ree._tcp.aurora.mesos.')!
        .srv.map((s) => s.port)
        .sort(),
      [31010, 31011],
    );
  });
  it('v1 GET_STATE gives the same task records as the v0 state', () => {
    const v0 = loadFixture('aurora-discovery').rs;
    const v1 = loadFixture('v1-get-state').rs;
    const view = (r: ReturnType<typeof v0.get>) =>
      r && {
        a: [...r.a].sort(),
        aaaa: [...r.aaaa].sort(),
        srv: [...r.srv].sort((x, y) => x.port - y.port || (x.target < y.target ? -1 : 1)),
        ptr: [...r.ptr].sort(),
      };
    let n = 0;
    for (const name of v1.names()) {
      if (name.startsWith('ns1.')) continue;
      assert.deepEqual(view(v1.get(name)), view(v0.get(name)), name);
      n++;
    }
    assert.ok(n > 20);
  });
});
