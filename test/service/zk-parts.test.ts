// The ZooKeeper parts load only for a config that uses them: a `zk` source or ServerSets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config/mesos-dns.js';
import { loadZkParts, needsZk, zkParts } from '../../src/service/zk-parts.js';

test('the ZooKeeper parts load only when a config needs them', async () => {
  const plain = defaultConfig();
  assert.equal(needsZk(plain), false);
  await loadZkParts(plain);
  assert.throws(() => zkParts(), /ZooKeeper modules were not loaded/);
  assert.equal(needsZk({ ...plain, zk: 'zk://127.0.0.1:2181/mesos' }), true);
  const withSets = { ...plain, serversets: [{ path: '/aurora', name: 'aurora' }] } as never;
  assert.equal(needsZk(withSets), true);
  await loadZkParts(withSets);
  assert.equal(typeof zkParts().ServersetSource, 'function');
  assert.equal(typeof zkParts().openCoordination, 'function');
});
