// Mesos-DNS config.json: same keys and defaults, case-insensitive keys, Beacon's keys, clear
// errors naming the key, unknown keys warned, secrets redacted, records config derived.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  defaultConfig,
  loadConfig,
  parseConfig,
  recordsConfig,
  redactConfig,
} from '../../src/config/mesos-dns.js';
import { ConfigError } from '../../src/errors.js';

describe('config.json', () => {
  it('defaults are Mesos-DNS defaults plus Beacon keys', () => {
    const c = defaultConfig();
    assert.equal(c.zk, '');
    assert.deepEqual(c.masters, []);
    assert.equal(c.refreshSeconds, 60);
    assert.equal(c.stateTimeoutSeconds, 300);
    assert.equal(c.zkDetectionTimeout, 30);
    assert.equal(c.ttl, 60);
    assert.equal(c.srvRecordDefaultWeight, 1);
    assert.equal(c.domain, 'mesos');
    assert.equal(c.port, 53);
    assert.equal(c.listener, '0.0.0.0');
    assert.equal(c.HTTPListener, '0.0.0.0');
    assert.equal(c.httpport, 8123);
    assert.equal(
      c.dnson && c.httpon && c.externalon && c.recurseon && c.SetTruncateBit && c.EnumerationOn,
      true,
    );
    assert.deepEqual(c.resolvers, ['8.8.8.8']);
    assert.deepEqual(c.zoneResolvers, {});
    assert.equal(c.timeout, 5);
    assert.equal(c.SOAMname, 'ns1.mesos');
    assert.equal(c.SOARname, 'root.ns1.mesos');
    assert.deepEqual([c.SOARefresh, c.SOARetry, c.SOAExpire, c.SOAMinttl], [60, 600, 86400, 60]);
    assert.deepEqual(c.IPSources, ['netinfo', 'mesos', 'host']);
    assert.equal(c.EnforceRFC952, false);
    assert.equal(c.MesosHTTPSOn, false);
    assert.equal(c.MesosAuthentication, '');
    assert.deepEqual(c.MesosCredentials, { Principal: '', Secret: '' });
    assert.equal(c.stateSource, 'poll');
    assert.equal(c.maxStateAgeSeconds, 180);
    assert.equal(c.ednsMaxUdp, 1232);
    assert.equal(c.forwardMode, 'sequential');
    assert.equal(c.compat404, false);
    assert.equal(c.ptr, true);
  });
  it('keys match case-insensitively', () => {
    const { config, warnings } = parseConfig({
      TTL: 5,
      soamname: 'NS.Example.',
      ipsources: ['host'],
      enforcerfc952: true,
      mesoscredentials: { principal: 'p', SECRET: 's' },
      RefreshSeconds: 10,
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.ttl, 5);
    assert.equal(config.SOAMname, 'ns.example');
    assert.deepEqual(config.IPSources, ['host']);
    assert.equal(config.EnforceRFC952, true);
    assert.deepEqual(config.MesosCredentials, { Principal: 'p', Secret: 's' });
    assert.equal(config.maxStateAgeSeconds, 30, 'default follows refreshSeconds');
  });
  it('unknown keys are warnings, not errors', () => {
    const { config, warnings } = parseConfig(
      { ttl: 7, bogus: 1, Domain: 'x', domain: 'y' },
      'c.json',
    );
    assert.equal(config.ttl, 7);
    assert.equal(config.domain, 'y');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /c\.json: unknown key "bogus"/);
    assert.match(warnings[1]!, /same key/);
  });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ttl: 'abc' }, /^config\.json: "ttl" must be a positive integer \(seconds\), got "abc"$/],
    [{ TTL: -1 }, /"TTL" must be a positive integer/],
    [{ port: 70000 }, /"port" must be a port number 0-65535, got 70000/],
    [
      { IPSources: ['netinfo', 'dns'] },
      /"IPSources" must be a non-empty list of "netinfo", "mesos", "docker", "host"/,
    ],
    [{ IPSources: [] }, /"IPSources"/],
    [
      { resolvers: ['8.8.8.8', 'dns.google'] },
      /"resolvers"\[1\]: "dns\.google" is not an IP address with an optional port/,
    ],
    [{ resolvers: ['10.0.0.2:99999'] }, /"resolvers"\[0\]: "10\.0\.0\.2:99999"/],
    [{ listener: 'localhost' }, /"listener" must be an IP address/],
    [{ zk: 'http://x' }, /"zk" must be a zk:\/\/ URL/],
    [{ domain: 'a..b' }, /"domain" must be a domain name/],
    [{ MesosAuthentication: 'digest' }, /"MesosAuthentication" must be "" or "basic"/],
    [{ MesosAuthentication: 'basic' }, /Principal is empty/],
    [{ MesosCredentials: { User: 'x' } }, /unknown key "User"/],
    [{ stateSource: 'push' }, /"stateSource" must be "poll" or "stream"/],
    [{ ednsMaxUdp: 100 }, /"ednsMaxUdp" must be an integer 512-65535/],
    [{ forwardMode: 'random' }, /"forwardMode"/],
    [{ compat404: 'yes' }, /"compat404" must be true or false/],
    [{ ptr: 1 }, /"ptr" must be true or false/],
  ];
  for (const [obj, re] of bad) {
    it(`rejects ${JSON.stringify(obj)}`, () => {
      assert.throws(
        () => parseConfig(obj),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
      );
    });
  }
  it('a rejected serversets entry is named without echoing its password', () => {
    assert.throws(
      () =>
        parseConfig({ serversets: [{ zk: 'h:2181', root: 'aurora', auth: 'digest:u:topsecret' }] }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /"serversets"/.test(e.message) &&
        !e.message.includes('topsecret'),
    );
  });
  it('rejects a config that is not an object', () => {
    assert.throws(() => parseConfig([1]), ConfigError);
  });
  it('redacts secrets', () => {
    const { config } = parseConfig({
      MesosAuthentication: 'basic',
      MesosCredentials: { Principal: 'dns', Secret: 'hunter2' },
      zk: 'zk://user:pw@10.0.0.1:2181/mesos',
    });
    const r = redactConfig(config);
    assert.equal(r.MesosCredentials.Secret, '******');
    assert.equal(r.MesosCredentials.Principal, 'dns');
    assert.equal(r.zk, 'zk://******@10.0.0.1:2181/mesos');
    assert.ok(!JSON.stringify(r).includes('hunter2') && !JSON.stringify(r).includes(':pw@'));
    assert.equal(config.MesosCredentials.Secret, 'hunter2', 'the original is untouched');
  });
  it('derives the records config', () => {
    const { config } = parseConfig({
      domain: 'Example.Com',
      EnforceRFC952: true,
      listener: '10.0.0.5',
      ptr: false,
    });
    const rc = recordsConfig(config);
    assert.equal(rc.domain, 'example.com');
    assert.equal(rc.spec, 'RFC952');
    assert.deepEqual(rc.selfAddresses, ['10.0.0.5']);
    assert.equal(rc.soaMname, 'ns1.mesos.');
    assert.equal(rc.ptr, false);
    assert.deepEqual(recordsConfig(config, ['1.2.3.4']).selfAddresses, ['1.2.3.4']);
  });
  it('loadConfig names the file in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beacon-cfg-'));
    const ok = join(dir, 'ok.json');
    writeFileSync(ok, '{"ttl": 9, "x": 1}');
    const r = await loadConfig(ok);
    assert.equal(r.config.ttl, 9);
    assert.equal(r.warnings.length, 1);
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ttl: 9}');
    await assert.rejects(
      loadConfig(notJson),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${notJson}: not JSON`),
    );
    await assert.rejects(
      loadConfig(join(dir, 'missing.json')),
      (e: unknown) => e instanceof ConfigError && /ENOENT/.test(e.message),
    );
  });
});
