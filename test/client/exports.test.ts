// `beacon/client` is importable by package name (package.json `exports`, with types), and adding
// `exports` keeps the `beacon` bin working.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createClient, NoMembersError, type ClientOptions } from 'beacon/client';

const BIN = fileURLToPath(new URL('../../../bin/beacon.js', import.meta.url));

test('beacon/client resolves through the package exports, with its types', async () => {
  const options: ClientOptions = { balancer: 'round-robin', requestTimeoutMs: 50 };
  assert.equal(typeof createClient, 'function');
  const mod = await import('beacon/client');
  assert.equal(mod.createClient, createClient);
  // The same module instance as the source build: the error class is the registry's.
  const errors = await import('../../src/errors.js');
  assert.equal(NoMembersError, errors.NoMembersError);
  assert.throws(() => createClient('not a name', options), { code: 'BEACON_E_NAME' });
  assert.throws(() => createClient('zk!127.0.0.1:1!/a', { balancer: 'random' as never }), {
    code: 'BEACON_E_CONFIG',
  });
});

test('deep imports outside exports are refused; the bin still runs', async () => {
  await assert.rejects(import('beacon/dist/src/errors.js' as string), {
    code: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  });
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
});
