// Runs the DNS service (service/dns-service.ts: source → records → DNS + HTTP API) in the
// devcluster process, fed from the devcluster's own master (and its ServerSets), with Mesos-DNS
// settings suited to one machine: loopback listeners, no forwarding of other names, and a short
// poll interval.
import { parseConfig } from '../config/mesos-dns.js';
import { DnsService } from '../service/dns-service.js';

export interface DevclusterDnsOptions {
  /** `ip:port` of the master. */
  master: string;
  dnsHost: string;
  dnsPort: number;
  httpHost: string;
  httpPort: number;
  domain: string;
  /** `stream`: follow the master's v1 SUBSCRIBE stream; `poll`: poll /master/state. */
  source: 'stream' | 'poll';
  /** Poll interval, seconds (refreshSeconds). */
  refreshSeconds: number;
  /** The cluster's ZooKeeper: every ServerSet under `/aurora` is served too, so anything
   *  announced there (not only Aurora tasks) gets names. Omit to serve state records only. */
  serversetsZk?: string;
}

export interface DevclusterDns {
  /** `ip:port` of the DNS server (UDP and TCP). */
  readonly dnsAddress: string;
  readonly httpUrl: string;
  readonly domain: string;
  /** What feeds it, e.g. `poll every 1 s`. */
  readonly source: string;
  readonly service: DnsService;
  close(): Promise<void>;
}

export async function startDevclusterDns(o: DevclusterDnsOptions): Promise<DevclusterDns> {
  const { config } = parseConfig(
    {
      masters: [o.master],
      refreshSeconds: o.refreshSeconds,
      stateTimeoutSeconds: 10,
      domain: o.domain,
      listener: o.dnsHost,
      port: o.dnsPort,
      HTTPListener: o.httpHost,
      httpport: o.httpPort,
      // Only the cluster's names: a devcluster should not forward the rest of the world's.
      externalon: false,
      recurseon: false,
      resolvers: [],
      stateSource: o.source,
      serversets: o.serversetsZk ? [{ zk: o.serversetsZk, root: '/aurora' }] : [],
    },
    'devcluster DNS settings',
  );
  const service = await DnsService.start({ config, processMetrics: false });
  const dns = service.dnsAddress()!;
  const http = service.httpAddress()!;
  return {
    dnsAddress: `${dns.host}:${dns.port}`,
    httpUrl: `http://${http.host}:${http.port}`,
    domain: o.domain,
    source: describeSource(service.sourceDescription(), o),
    service,
    close: () => service.close(),
  };
}

/** What really feeds the DNS service: the stream when the service runs it, else polling (say so
 *  when the stream was asked for but this build's DNS service does not take it yet). */
function describeSource(desc: string, o: DevclusterDnsOptions): string {
  if (desc.includes('event stream')) return desc;
  const polling = `${desc}, polled every ${o.refreshSeconds} s`;
  return o.source === 'stream'
    ? `${polling}; the DNS service does not run the stream source yet`
    : polling;
}
