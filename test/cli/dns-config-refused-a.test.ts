// `beacon dns --config` refuses what Mesos-DNS refuses (masters and resolvers; cases from Mesos-DNS's
// records/validation_test.go in test/config/mesos-dns-cases.ts): one line naming the key and the
// value, exit ≠ 0, nothing served. Split by key so each file stays well within the test timeout.
import { describe, it } from 'node:test';
import { checkRefused, refusedFor } from './dns-config-run.js';

describe('beacon dns --config: what Mesos-DNS refuses (masters and resolvers)', () => {
  it('each refused config: one line naming the key and the value, exit ≠ 0', async () => {
    await checkRefused(refusedFor('masters', 'resolvers'), 'a');
  });
});
