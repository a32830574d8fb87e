// Records for ServerSet members, in the same naming scheme as DiscoveryInfo records: the path
// below the root, reversed, is the service name (`/aurora/vagrant/test/http_example` →
// `http_example.test.vagrant`), so a ServerSet-announced service answers under the name Aurora
// users already know — with portmap aliases, static ports and non-Aurora announcers included.
// Pure: members (with their hosts already resolved to IPs) in, records out.
import type { Member } from '../serverset/watcher.js';
import { DRAIN_WEIGHT, weightOf } from '../serverset/weights.js';
import { taskHash } from './hash.js';
import type { RecordTypeName } from './record-types.js';
import { domainFrag, fitLabel, legacyLabels, MAX_LABEL, rfc1123 } from './labels.js';

export interface ServersetNaming {
  /** The watched root, e.g. `/aurora`. */
  root: string;
  /** Framework label, as in `<name>.<framework>.<domain>` (default `aurora`). */
  framework: string;
  /** Service name from the path segments below the root: `{reversed}` (default: segments
   *  reversed, joined by `.`), or a template with `{0}`, `{1}`… for single segments. */
  template?: string;
}

export interface ServersetRecord {
  name: string;
  type: Exclude<RecordTypeName, 'PTR'>;
  /** An IP for A/AAAA; the target FQDN for SRV. */
  value: string;
  port: number;
  /** SRV: the endpoint's Finagle weight (`vector_*` nodes), 1 when unweighted. */
  weight?: number;
}

/** The service name labels for a ServerSet path, or undefined when it cannot be a DNS name. */
export function serversetServiceName(path: string, naming: ServersetNaming): string | undefined {
  const rootParts = naming.root.split('/').filter(Boolean);
  const parts = path.split('/').filter(Boolean).slice(rootParts.length);
  if (parts.length === 0) return undefined;
  const template = naming.template ?? '{reversed}';
  const text = template.replace(/\{(reversed|\d+)\}/g, (_, k: string) =>
    k === 'reversed' ? [...parts].reverse().join('.') : (parts[Number(k)] ?? ''),
  );
  // Raw names keep `_` as Aurora's DiscoveryInfo names do; otherwise sanitise label by label.
  const raw = legacyLabels(text);
  if (raw) return raw.join('.');
  const clean = text.split('.').map(rfc1123).filter(Boolean);
  return clean.length ? clean.join('.') : undefined;
}

/**
 * Records of one ServerSet: `<name>.<fw>.<D>` A/AAAA (each member's service host),
 * `_<name>._tcp.<fw>.<D>` SRV (every port of every member), `_<endpoint>._<name>._tcp.<fw>.<D>`
 * SRV (each named endpoint, aliases included), each SRV with the endpoint's Finagle weight; an
 * endpoint of weight -1 (drained) gets no SRV record. SRV targets are per member:
 * `<name>-<hash of the member path>-ss.<fw>.<D>` with the member's address.
 * `ips(host)` gives the addresses of a host (an IP literal gives itself).
 */
export function serversetRecords(
  path: string,
  members: readonly Member[],
  naming: ServersetNaming,
  domain: string,
  ips: (host: string) => readonly string[],
): ServersetRecord[] {
  const name = serversetServiceName(path, naming);
  if (!name) return [];
  const fw = domainFrag(naming.framework, rfc1123);
  const suffix = fw ? `${fw}.${domain}.` : `${domain}.`;
  // Composed labels must stay within 63 bytes: shorten only the part that would not fit (as for
  // state records), so names that fit are never changed.
  const labels = name.split('.');
  const srvName = [`_${fitLabel(labels[0]!, MAX_LABEL - 1)}`, ...labels.slice(1)].join('.');
  const last = labels.length - 1;
  const targetBase = [...labels.slice(0, last), fitLabel(labels[last]!, MAX_LABEL - 9)].join('.');
  const out: ServersetRecord[] = [];
  const addr = (owner: string, ip: string) =>
    out.push({ name: owner, type: ip.includes(':') ? 'AAAA' : 'A', value: ip, port: 0 });
  for (const m of members) {
    const { serviceEndpoint, additionalEndpoints } = m.instance;
    const targets = new Map<string, string>(); // host → target name
    const target = (host: string) => {
      let t = targets.get(host);
      if (!t) {
        t = `${targetBase}-${taskHash(`${path}/${m.name}@${host}`)}-ss.${suffix}`;
        targets.set(host, t);
        for (const ip of ips(host)) addr(t, ip);
      }
      return t;
    };
    for (const ip of ips(serviceEndpoint.host)) addr(`${name}.${suffix}`, ip);
    const ports = new Set<string>();
    const endpoints = [['', serviceEndpoint] as const, ...Object.entries(additionalEndpoints)];
    for (const [endpoint, e] of endpoints) {
      if (ips(e.host).length === 0) continue;
      const weight = weightOf(m.vectors, {
        member: m.name,
        host: e.host,
        port: e.port,
        shard: m.instance.shard,
      });
      if (weight === DRAIN_WEIGHT) continue;
      const t = target(e.host);
      if (!ports.has(`${t}:${e.port}`)) {
        ports.add(`${t}:${e.port}`);
        out.push({
          name: `${srvName}._tcp.${suffix}`,
          type: 'SRV',
          value: t,
          port: e.port,
          weight,
        });
      }
      const label = endpoint && rfc1123(endpoint);
      if (label) {
        const portLabel = `_${fitLabel(label, MAX_LABEL - 1)}`;
        out.push({
          name: `${portLabel}.${srvName}._tcp.${suffix}`,
          type: 'SRV',
          value: t,
          port: e.port,
          weight,
        });
      }
    }
  }
  return out;
}
