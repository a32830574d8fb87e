// Options for a devcluster run in-process (`startDevcluster`): a fresh data dir, free ports, a
// unique agent address, and 1 s HEARTBEATs so stream tests see them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevclusterOptions } from '../../src/cluster/devcluster.js';
import type { DevclusterDnsOptions } from '../../src/cluster/dns.js';
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

/** Where the devcluster's DNS service of `dc` listens in tests and benches: loopback, free DNS and
 *  HTTP ports, the `mesos` domain. Spread into startDevclusterDns's options. */
export async function loopbackDns(dc: {
  masterUrl: string;
}): Promise<
  Pick<DevclusterDnsOptions, 'master' | 'dnsHost' | 'dnsPort' | 'httpHost' | 'httpPort' | 'domain'>
> {
  return {
    master: dc.masterUrl.replace('http://', ''),
    dnsHost: '127.0.0.1',
    dnsPort: await freePort(),
    httpHost: '127.0.0.1',
    httpPort: await freePort(),
    domain: 'mesos',
  };
}
