// Pure helpers of the sources: master addresses, pids, zk:// URLs, MasterInfo, backoff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { backoffDelay } from '../../src/sources/backoff.js';
import {
  hostPort,
  parseMasterAddress,
  parsePid,
  stateUrl,
} from '../../src/sources/master-address.js';
import { masterInfoAddress } from '../../src/sources/zk-leader.js';
import { parseZkUrl, redactZkUrl } from '../../src/sources/zk-url.js';

describe('master addresses', () => {
  it('parses the forms config and state use', () => {
    assert.deepEqual(parseMasterAddress('10.0.0.1:5050'), { host: '10.0.0.1', port: 5050 });
    assert.deepEqual(parseMasterAddress('master-1'), { host: 'master-1', port: 5050 });
    assert.deepEqual(parseMasterAddress('https://m1:5051/'), {
      host: 'm1',
      port: 5051,
      scheme: 'https',
    });
    assert.deepEqual(parseMasterAddress('[fd00::1]:5050'), { host: 'fd00::1', port: 5050 });
    assert.equal(hostPort({ host: 'fd00::1', port: 5050 }), '[fd00::1]:5050');
    assert.equal(stateUrl({ host: 'm1', port: 5050 }, true), 'https://m1:5050/master/state');
    assert.equal(
      stateUrl({ host: 'm1', port: 5050, scheme: 'http' }, true),
      'http://m1:5050/master/state',
    );
  });
  it('rejects bad entries naming the key', () => {
    assert.throws(
      () => parseMasterAddress('m1:99999'),
      (e: unknown) => e instanceof ConfigError && /masters/.test(e.message),
    );
    assert.throws(() => parseMasterAddress('a b:1'), ConfigError);
    assert.throws(() => parseMasterAddress(''), ConfigError);
  });
  it('reads libprocess pids', () => {
    assert.deepEqual(parsePid('master@10.0.0.10:5050'), { host: '10.0.0.10', port: 5050 });
    assert.equal(parsePid('nonsense'), undefined);
    assert.equal(parsePid(42), undefined);
    assert.equal(parsePid(undefined), undefined);
  });
});

describe('zk:// URLs', () => {
  it('splits hosts, path and credentials', () => {
    assert.deepEqual(parseZkUrl('zk://h1:2181,h2:2182/mesos'), {
      connectString: 'h1:2181,h2:2182',
      path: '/mesos',
    });
    assert.deepEqual(parseZkUrl('zk://h1/a/b/'), { connectString: 'h1:2181', path: '/a/b' });
    assert.deepEqual(parseZkUrl('zk://u:p@h1:2181/mesos'), {
      connectString: 'h1:2181',
      path: '/mesos',
      digest: 'u:p',
    });
    assert.equal(parseZkUrl('zk://h1:2181').path, '/mesos');
    assert.equal(redactZkUrl('zk://u:p@h1:2181/mesos'), 'zk://***@h1:2181/mesos');
  });
  it('rejects what is not a zk URL, naming the key', () => {
    assert.throws(
      () => parseZkUrl('http://h1/mesos'),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith('zk:'),
    );
    assert.throws(() => parseZkUrl('zk://h 1/mesos'), ConfigError);
  });
});

describe('MasterInfo', () => {
  it('prefers address.ip, then pid, then hostname', () => {
    assert.deepEqual(
      masterInfoAddress({
        address: { ip: '10.0.0.1', port: 5050, hostname: 'm1' },
        hostname: 'm1',
      }),
      {
        address: { host: '10.0.0.1', port: 5050 },
        hostname: 'm1',
      },
    );
    assert.deepEqual(masterInfoAddress({ pid: 'master@10.0.0.2:5050', port: 5050 })?.address, {
      host: '10.0.0.2',
      port: 5050,
    });
    assert.deepEqual(masterInfoAddress({ hostname: 'm3', port: 5050 })?.address, {
      host: 'm3',
      port: 5050,
    });
    assert.equal(masterInfoAddress({ hostname: 'm3' }), undefined);
    assert.equal(masterInfoAddress('x'), undefined);
  });
});

describe('backoff', () => {
  it('grows exponentially within [half, full] and stops at the cap', () => {
    const lo = { baseMs: 100, capMs: 1000, random: () => 0 };
    const hi = { baseMs: 100, capMs: 1000, random: () => 0.999999 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, lo)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, hi)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });
});
