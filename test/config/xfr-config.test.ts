// The zone-transfer keys of the config: defaults (transfers off), validation naming the entry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/mesos-dns.js';
import { ConfigError } from '../../src/errors.js';

test('zone-transfer keys default to off', () => {
  const { config } = parseConfig({}, 't');
  assert.deepEqual(config.allowTransfer, []);
  assert.deepEqual(config.notify, []);
  assert.equal(config.ixfrHistory, 100);
  assert.equal(config.notifyMinIntervalMs, 250);
});

test('zone-transfer keys are validated with the entry named', () => {
  const { config } = parseConfig(
    { allowTransfer: ['10.0.0.0/8', '::1/128'], notify: ['10.0.0.5', '[fd00::1]:5353'] },
    't',
  );
  assert.equal(config.notify.length, 2);
  assert.throws(
    () => parseConfig({ allowTransfer: ['10.0.0.0/33'] }, 'c.json'),
    (e: Error) => e instanceof ConfigError && /"allowTransfer"\[0\]/.test(e.message),
  );
  assert.throws(
    () => parseConfig({ notify: ['10.0.0.5', 'secondary.example'] }, 'c.json'),
    (e: Error) => e instanceof ConfigError && /"notify"\[1\]/.test(e.message),
  );
  assert.throws(() => parseConfig({ ixfrHistory: -1 }, 'c.json'), ConfigError);
  assert.throws(() => parseConfig({ notifyMinIntervalMs: 'fast' }, 'c.json'), ConfigError);
});
