// Bodies of Mesos-DNS's /v1 HTTP API, built from the served record set with Mesos-DNS's JSON
// shapes (field names and casing as Mesos-DNS writes them). Pure: no sockets here.
import {
  A,
  AAAA,
  enumerableRecords,
  forEachValue,
  PTR,
  sortedRecords,
  specId,
  SRV,
  type ServedView,
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

/** A and AAAA records of `host` (empty when it has none). `onFailOpen` is called when the reply
 *  holds records of unhealthy tasks served because none behind the name is healthy. */
export function hostsBody(rs: RecordSet, host: string, onFailOpen?: () => void): HostEntry[] {
  const name = toFqdn(host);
  const r = rs.get(name);
  if (!r) return [];
  if (r.failOpen?.a || r.failOpen?.aaaa) onFailOpen?.();
  return [...r.a, ...r.aaaa].map((ip) => ({ host: name, ip }));
}

/** Each SRV target of `service` with each of the target's addresses, as Mesos-DNS lists them
 *  (a target without A/AAAA records is left out, as in Mesos-DNS). `onFailOpen` as hostsBody's,
 *  called once for a non-empty reply. */
export function servicesBody(
  rs: RecordSet,
  service: string,
  onFailOpen?: () => void,
): ServiceEntry[] {
  const name = toFqdn(service);
  const r = rs.get(name);
  if (!r) return [];
  const out: ServiceEntry[] = [];
  let failOpen = r.failOpen?.srv === true;
  for (const srv of r.srv) {
    const t = rs.get(srv.target);
    if (!t) continue;
    if (t.failOpen?.a || t.failOpen?.aaaa) failOpen = true;
    for (const ip of [...t.a, ...t.aaaa])
      out.push({ service: name, host: srv.target, ip, port: String(srv.port) });
  }
  if (failOpen && out.length > 0) onFailOpen?.();
  return out;
}

// ---- streamed bodies ----------------------------------------------------------------------------
// /v1/axfr and /v1/enumerate of a 200,000-task set are hundreds of MB of JSON: built as one object
// and one string they cost several times that in memory. These generators give the same JSON as
// `JSON.stringify(axfrBody(…))` / `enumerateBody(…)` (plus the ServerSet records) in pieces of
// about CHUNK characters, for the server to write with backpressure (test/http/streamed-listings
// compares them with those one-object bodies).

const CHUNK = 1 << 16;

/** Collects small strings into pieces of about CHUNK characters. */
class Pieces {
  private buf = '';
  add(s: string): string | undefined {
    this.buf += s;
    if (this.buf.length < CHUNK) return undefined;
    const out = this.buf;
    this.buf = '';
    return out;
  }
  rest(): string {
    return this.buf;
  }
}

const AXFR_KEYS = [
  [A, 'As'],
  [AAAA, 'AAAAs'],
  [SRV, 'SRVs'],
  [PTR, 'PTRs'],
] as const;

/** The /v1/axfr body as JSON pieces: the view's records (ServerSet ones included), names and
 *  values sorted. The SOA serial is the view's (it moves with ServerSet changes too), or `serial`
 *  when DNS hands out another (zone transfers). */
export function* axfrJson(
  v: ServedView,
  refreshSeconds: number,
  serial?: number,
): Generator<string> {
  const zone = (v.overlay ?? v.state).zone;
  const p = new Pieces();
  p.add(
    `{"TTL":${zone.ttl},"Serial":${serial ?? zone.soa.serial},"RefreshSeconds":${refreshSeconds},` +
      `"Mname":${JSON.stringify(zone.soa.mname)},"Rname":${JSON.stringify(zone.soa.rname)},` +
      `"Domain":${JSON.stringify(zone.domain)},"Records":{`,
  );
  const all = sortedRecords(v.overlay ?? v.state);
  const vals: string[] = [];
  const collect = (value: string) => void vals.push(value);
  for (let k = 0; k < AXFR_KEYS.length; k++) {
    const [kind, key] = AXFR_KEYS[k]!;
    let first = true;
    let out = p.add(`${k === 0 ? '' : ','}"${key}":{`);
    if (out) yield out;
    for (const [name, r] of all) {
      vals.length = 0;
      if (kind === SRV) forEachValue(r, kind, (t, port) => void vals.push(`${t}:${port}`));
      else forEachValue(r, kind, collect);
      if (vals.length === 0) continue;
      out = p.add(`${first ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(vals)}`);
      first = false;
      if (out) yield out;
    }
    out = p.add('}');
    if (out) yield out;
  }
  yield `${p.rest()}}}\n`;
}

/** The /v1/enumerate body as JSON pieces: Mesos-DNS's frameworks → tasks → records, then (when
 *  there are any) Beacon's `serversets`: each ServerSet's records, by source (`zk!path`). */
export function* enumerateJson(v: ServedView): Generator<string> {
  const p = new Pieces();
  p.add('{"frameworks":[');
  let out: string | undefined;
  const groups = v.state.taskGroups();
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    out = p.add(`${gi === 0 ? '' : ','}{"name":${JSON.stringify(g.frameworkName)},"tasks":[`);
    if (out) yield out;
    for (let ti = 0; ti < g.tasks.length; ti++) {
      const spec = g.tasks[ti]!;
      const records = enumerableRecords(v.state, spec);
      out = p.add(
        `${ti === 0 ? '' : ','}${JSON.stringify({ name: spec.name, id: specId(spec), records })}`,
      );
      if (out) yield out;
    }
    out = p.add(']}');
    if (out) yield out;
  }
  p.add(']');
  const sources = v.overlay?.sources();
  if (sources && sources.size > 0) {
    p.add(',"serversets":[');
    let first = true;
    for (const key of [...sources.keys()].sort()) {
      const records = sources.get(key)!.map((r) => ({
        name: r.name,
        host: r.type === 'SRV' ? `${r.value}:${r.port}` : r.value,
        rtype: r.type,
      }));
      out = p.add(`${first ? '' : ','}${JSON.stringify({ source: key, records })}`);
      first = false;
      if (out) yield out;
    }
    p.add(']');
  }
  yield `${p.rest()}}\n`;
}
