// What the record generator needs from the configuration (src/config builds it from Mesos-DNS's
// config.json with `recordsConfig(config)`); defaults are Mesos-DNS's.
import type { ZoneInfo } from './types.js';

export type IpSource = 'netinfo' | 'mesos' | 'docker' | 'host';

export interface RecordsConfig {
  /** Authoritative domain, lowercase, no trailing dot. Default `mesos`. */
  domain: string;
  /** Record TTL, seconds. Default 60. */
  ttl: number;
  /** Label rules: RFC1123 (default) or RFC952 (`EnforceRFC952`). */
  spec: 'RFC1123' | 'RFC952';
  /** Task IP sources in priority order. Default `["netinfo","mesos","host"]`. */
  ipSources: IpSource[];
  /** SRV weight (`srvRecordDefaultWeight`, default 1); priority is always 0. */
  srvWeight: number;
  /** Configured masters (`masters`, `ip:port`), for `master.D.` and `masterN.D.`. */
  masters: string[];
  /** SOAMname as an FQDN (`ns1.mesos.`): owner of the self record and the SOA MNAME. */
  soaMname: string;
  /** SOARname as an FQDN (`root.ns1.mesos.`). */
  soaRname: string;
  soaRefresh: number;
  soaRetry: number;
  soaExpire: number;
  soaMinttl: number;
  /** Addresses of the DNS listener for the self record (resolved by the caller when the listener
   *  is 0.0.0.0: Mesos-DNS uses every non-loopback interface address). */
  selfAddresses: string[];
  /** Generate PTR records for task and agent IPs (Beacon; default true). */
  ptr: boolean;
  /** Initial SOA serial; every change applied to a record set increments it. Default 1. */
  serial: number;
  /** Leave tasks whose latest health check failed out of the job-level names (`healthFilter`,
   *  default true; false answers as Mesos-DNS does). Per-task names keep answering. */
  healthFilter: boolean;
  /** When every task behind a name is unhealthy, answer with all of them rather than with
   *  nothing (`healthFailOpen`, default true). */
  healthFailOpen: boolean;
}

export const DEFAULT_RECORDS_CONFIG: RecordsConfig = {
  domain: 'mesos',
  ttl: 60,
  spec: 'RFC1123',
  ipSources: ['netinfo', 'mesos', 'host'],
  srvWeight: 1,
  masters: [],
  soaMname: 'ns1.mesos.',
  soaRname: 'root.ns1.mesos.',
  soaRefresh: 60,
  soaRetry: 600,
  soaExpire: 86400,
  soaMinttl: 60,
  selfAddresses: [],
  ptr: true,
  serial: 1,
  healthFilter: true,
  healthFailOpen: true,
};

/** Defaults overlaid with `partial` (convenience for tests and callers without a config file). */
export function makeRecordsConfig(partial: Partial<RecordsConfig> = {}): RecordsConfig {
  return { ...DEFAULT_RECORDS_CONFIG, ...partial };
}

/** The zone parameters a record set made with `config` serves (SOA serial starts at `serial`). */
export function zoneInfo(config: RecordsConfig): ZoneInfo {
  return {
    domain: config.domain,
    ttl: config.ttl,
    soa: {
      mname: config.soaMname,
      rname: config.soaRname,
      serial: config.serial,
      refresh: config.soaRefresh,
      retry: config.soaRetry,
      expire: config.soaExpire,
      minttl: config.soaMinttl,
    },
  };
}
