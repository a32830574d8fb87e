// Starts a DnsService in-process against fake masters (or a state file) on free loopback ports,
// with fast timings, plus small HTTP helpers for the endpoint tests.
import { parseConfig, type Config } from '../../src/config/mesos-dns.js';
import {
  DnsService,
  type DnsServiceOptions,
  type LoadInfo,
} from '../../src/service/dns-service.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { nextEvent } from '../helpers/wait.js';

export interface Started {
  service: DnsService;
  masters: FakeMaster[];
  base: string;
  dnsPort: number;
  close(): Promise<void>;
}

/** A validated config with loopback listeners on port 0 and `extra` keys on top. */
export function testConfig(extra: Record<string, unknown> = {}): Config {
  return parseConfig({
    port: 0,
    httpport: 0,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    resolvers: [],
    externalon: false,
    refreshSeconds: 60,
    ...extra,
  }).config;
}

export async function startService(
  opts: {
    masters?: FakeMaster[];
    config?: Record<string, unknown>;
    service?: Partial<DnsServiceOptions>;
    /** Wait for the first load before returning. Default true. */
    waitLoaded?: boolean;
  } = {},
): Promise<Started> {
  const masters = opts.masters ?? [await FakeMaster.start()];
  const config = testConfig({ masters: masters.map((m) => m.address), ...opts.config });
  const options: DnsServiceOptions = {
    config,
    selfAddresses: ['127.0.0.1'],
    processMetrics: false,
    backoff: { baseMs: 20, capMs: 200 },
    ...opts.service,
  };
  // Subscribe before any event can fire: start() begins loading before it resolves.
  const serviceP = DnsService.start(options);
  const service = await serviceP;
  if (opts.waitLoaded ?? true) {
    if (!service.records()) await nextEvent<[LoadInfo]>(service, 'loaded');
  }
  const http = service.httpAddress()!;
  return {
    service,
    masters,
    base: `http://${http.host}:${http.port}`,
    dnsPort: service.dnsAddress()?.port ?? 0,
    async close() {
      await service.close();
      for (const m of masters) await m.stop();
    },
  };
}
