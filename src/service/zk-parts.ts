// The ZooKeeper client and the ServerSet source load only when a config uses them (`zk`,
// `serversets`): a DNS server reading state from masters or a file does not keep their modules
// (node-zookeeper-client, the session, the ServerSet tree: ~3 MiB of heap) alive.
import type { Config } from '../config/mesos-dns.js';

type Parts = {
  openCoordination: (typeof import('../zk/index.js'))['openCoordination'];
  ServersetSource: (typeof import('../sources/serversets.js'))['ServersetSource'];
};
let parts: Parts | undefined;

/** True when `config` needs the ZooKeeper parts. */
export function needsZk(config: Config): boolean {
  return Boolean(config.zk) || config.serversets.length > 0;
}

/** Loads the ZooKeeper parts when `config` needs them (once per process). */
export async function loadZkParts(config: Config): Promise<void> {
  if (parts || !needsZk(config)) return;
  const [zk, serversets] = await Promise.all([
    import('../zk/index.js'),
    import('../sources/serversets.js'),
  ]);
  parts = { openCoordination: zk.openCoordination, ServersetSource: serversets.ServersetSource };
}

/** The loaded parts; loadZkParts(config) must have run for a config that needs them. */
export function zkParts(): Parts {
  if (!parts) throw new Error('internal: the ZooKeeper modules were not loaded for this config');
  return parts;
}
