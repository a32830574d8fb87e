// What Mesos-DNS refuses, Beacon refuses with one message naming the key and the value; what it
// accepts, Beacon accepts (cases from Mesos-DNS's records/validation_test.go, in
// mesos-dns-cases.ts). The CLI side (one line, exit ≠ 0) is test/cli/dns-config.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/mesos-dns.js';
import { ConfigError } from '../../src/errors.js';
import { ACCEPTED, REFUSED } from './mesos-dns-cases.js';

describe('config values Mesos-DNS refuses (records/validation_test.go)', () => {
  for (const c of REFUSED) {
    it(`refused: ${c.why}`, () => {
      assert.throws(
        () => parseConfig(c.config, 'config.json'),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.ok(!e.message.includes('\n'), e.message);
          assert.ok(e.message.includes(`"${c.key}"`), `names the key: ${e.message}`);
          assert.ok(e.message.includes(c.value), `quotes ${c.value}: ${e.message}`);
          return true;
        },
      );
    });
  }
});

describe('config values Mesos-DNS accepts stay accepted', () => {
  for (const c of ACCEPTED) {
    it(`accepted: ${c.why}`, () => {
      const got = new Map(Object.entries(parseConfig(c.config, 'config.json').config));
      for (const [k, v] of Object.entries(c.config)) assert.deepEqual(got.get(k), v, k);
    });
  }

  it('SOAMname with a trailing dot is still accepted (Mesos-DNS trims it)', () => {
    assert.equal(parseConfig({ SOAMname: 'ns1.mesos.' }).config.SOAMname, 'ns1.mesos');
  });

  it('the domain is still lowercased', () => {
    assert.equal(parseConfig({ domain: 'DC.Mesos' }).config.domain, 'dc.mesos');
  });
});
