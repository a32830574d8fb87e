// Public surface of the DNS server module (no knowledge of Mesos: it serves any RecordSet).
export { createDnsServer } from './server.js';
export type { DnsServer, DnsServerOptions, QueryInfo, Transport } from './server.js';
export type { ForwardMode, Upstream } from './forward.js';
export { parseResolver } from './forward.js';
