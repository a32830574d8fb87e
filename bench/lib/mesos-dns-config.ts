// The config file of a DNS server under benchmark: Mesos-DNS's format, which `beacon dns --config`
// reads too. One master on loopback, polled once an hour (the bench serves one state), no
// forwarding and no HTTP, DNS on 127.0.0.1:port.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `dir/NAME-PORT.json` for Mesos-DNS (`-config`) or Beacon (`--config`) and returns its
 *  path. `extra` adds or overrides keys. */
export function writeDnsConfig(
  dir: string,
  name: string,
  masterPort: number,
  port: number,
  extra: Record<string, unknown> = {},
): string {
  const file = join(dir, `${name}-${port}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      masters: [`127.0.0.1:${masterPort}`],
      refreshSeconds: 3600,
      ttl: 60,
      domain: 'mesos',
      port,
      listener: '127.0.0.1',
      externalon: false,
      httpon: false,
      dnson: true,
      IPSources: ['netinfo', 'host'],
      ...extra,
    }),
  );
  return file;
}

/** What Mesos-DNS needs besides: a resolver (it refuses an empty list) and its SOA names. */
export const MESOS_DNS_EXTRA = {
  resolvers: ['127.0.0.1'],
  timeout: 5,
  SOAMname: 'ns1.mesos',
  SOARname: 'root.ns1.mesos',
};
