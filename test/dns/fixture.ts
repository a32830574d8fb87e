// Starts a DNS server on a free loopback port for one test file, with the fixture records.
import { createDnsServer, type DnsServer, type DnsServerOptions } from '../../src/dns/index.js';
import { fixtureRecords, memoryRecordSet } from '../helpers/recordset.js';

export interface Running {
  server: DnsServer;
  port: number;
  close(): Promise<void>;
}

export async function startDns(opts: DnsServerOptions = {}): Promise<Running> {
  const server = createDnsServer({
    host: '127.0.0.1',
    port: 0,
    records: 'records' in opts ? opts.records : memoryRecordSet(fixtureRecords()),
    ...opts,
  });
  await server.listen();
  return { server, port: server.address().port, close: () => server.close() };
}
