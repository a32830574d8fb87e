// A `beacon dns` service (in-process) that follows a master's v1 event stream, as the fault
// scenarios run it: loopback, free ports, no forwarding, fast retries; resolves once loaded.
import { parseConfig } from '../../src/config/mesos-dns.js';
import { DnsService } from '../../src/service/dns-service.js';
import { nextEvent } from '../helpers/wait.js';

export async function startStreamDns(
  masterPort: number,
  backoff: { baseMs: number; capMs: number },
): Promise<DnsService> {
  const { config } = parseConfig(
    {
      masters: [`127.0.0.1:${masterPort}`],
      stateSource: 'stream',
      refreshSeconds: 1,
      stateTimeoutSeconds: 1,
      port: 0,
      httpport: 0,
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      externalon: false,
      resolvers: [],
    },
    'fault test',
  );
  const service = await DnsService.start({ config, processMetrics: false, backoff });
  if (!service.records()) await nextEvent(service, 'loaded', 10000);
  return service;
}
