// Bodies of Mesos-DNS's /v1 HTTP API, built from the served record set with Mesos-DNS's JSON
// shapes (field names and casing as Mesos-DNS writes them). Pure: no sockets here.
import {
  axfrRecords,
  enumerate,
  type EnumerableFramework,
  type MemRecordSet,
} from '../records/index.js';
import type { RecordSet } from '../records/types.js';
import { VERSION } from '../version.js';

export interface HostEntry {
  host: string;
  ip: string;
}
export interface ServiceEntry {
  service: string;
  host: string;
  ip: string;
  /** A string, as Mesos-DNS writes it. */
  port: string;
}
export interface AxfrBody {
  TTL: number;
  Serial: number;
  RefreshSeconds: number;
  Mname: string;
  Rname: string;
  Domain: string;
  Records: ReturnType<typeof axfrRecords>;
}

/** Mesos-DNS's empty entries, returned (with 200) on a miss in compatibility mode. */
export const EMPTY_HOST: HostEntry = { host: '', ip: '' };
export const EMPTY_SERVICE: ServiceEntry = { service: '', host: '', ip: '', port: '' };

/** A name as the record set keys it: lowercase, with the trailing dot. */
export function toFqdn(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n : `${n}.`;
}

export function versionBody(): { Service: string; URL: string; Version: string } {
  // URL is kept for Mesos-DNS clients that read it; Beacon publishes no project URL.
  return { Service: 'Beacon', URL: '', Version: VERSION };
}

/** A and AAAA records of `host` (empty when it has none). */
export function hostsBody(rs: RecordSet, host: string): HostEntry[] {
  const name = toFqdn(host);
  const r = rs.get(name);
  if (!r) return [];
  return [...r.a, ...r.aaaa].map((ip) => ({ host: name, ip }));
}

/** Each SRV target of `service` with each of the target's addresses, as Mesos-DNS lists them
 *  (a target without A/AAAA records is left out, as in Mesos-DNS). */
export function servicesBody(rs: RecordSet, service: string): ServiceEntry[] {
  const name = toFqdn(service);
  const r = rs.get(name);
  if (!r) return [];
  const out: ServiceEntry[] = [];
  for (const srv of r.srv) {
    const t = rs.get(srv.target);
    if (!t) continue;
    for (const ip of [...t.a, ...t.aaaa])
      out.push({ service: name, host: srv.target, ip, port: String(srv.port) });
  }
  return out;
}

export function enumerateBody(rs: MemRecordSet): { frameworks: EnumerableFramework[] } {
  return enumerate(rs);
}

export function axfrBody(rs: MemRecordSet, refreshSeconds: number): AxfrBody {
  return {
    TTL: rs.zone.ttl,
    Serial: rs.zone.soa.serial,
    RefreshSeconds: refreshSeconds,
    Mname: rs.zone.soa.mname,
    Rname: rs.zone.soa.rname,
    Domain: rs.zone.domain,
    Records: axfrRecords(rs),
  };
}
