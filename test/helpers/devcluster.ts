// Options for a devcluster run in-process (`startDevcluster`): a fresh data dir, free ports, a
// unique agent address, and 1 s HEARTBEATs so stream tests see them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevclusterOptions } from '../../src/cluster/devcluster.js';
import { freePort, uniqueAgentIp } from './net.js';

export async function devclusterOptions(prefix: string): Promise<Partial<DevclusterOptions>> {
  return {
    dataDir: mkdtempSync(join(tmpdir(), prefix)),
    masterPort: await freePort(),
    agentIp: uniqueAgentIp(),
    agentPort: await freePort(),
    zkPort: await freePort(),
    agentPorts: '31000-31100',
    heartbeatSeconds: 1,
  };
}
