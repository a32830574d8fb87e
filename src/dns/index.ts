// Public surface of the DNS server module (no knowledge of Mesos: it serves any RecordSet).
export { createDnsServer } from './server.js';
export type {
  DnsServer,
  DnsServerOptions,
  QueryInfo,
  RateLimitAction,
  Transport,
} from './server.js';
export {
  LOOPBACK_NETWORKS,
  PRIVATE_NETWORKS,
  parseCidr,
  parseNetworks,
  ClientAddress,
  NetworkSet,
} from './acl.js';
export { ResponseRateLimiter, type RrlOptions, type RrlVerdict } from './rrl.js';
export type { ForwardMode, Upstream } from './forward.js';
export { parseResolver } from './forward.js';
