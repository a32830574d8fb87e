// Small pure parsers for the address-like strings in Mesos state: libprocess pids
// (`slave(1)@10.0.0.21:5051`), IP literals (normalised the way Go's net.IP prints them, so names and
// values match Mesos-DNS), and resource port ranges (`"[31000-31001, 31005-31005]"`).
import { isIP } from 'node:net';

export interface HostPort {
  /** IP or host name; IPv6 without brackets. */
  host: string;
  port: number;
}

/** Parses `id@host:port` (host may be `[v6]`). Undefined when the text is not a pid. */
export function parsePid(text: unknown): HostPort | undefined {
  if (typeof text !== 'string') return undefined;
  const at = text.indexOf('@');
  if (at <= 0) return undefined;
  const rest = text.slice(at + 1).trim();
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0 || rest[end + 1] !== ':') return undefined;
    host = rest.slice(1, end);
    portText = rest.slice(end + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon <= 0) return undefined;
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || host === '' || /[\s@/]/.test(host)) return undefined;
  return { host, port };
}

/** An IP literal in the text form Go's net.IP.String() gives (IPv4-mapped IPv6 becomes IPv4,
 *  IPv6 compressed and lowercase), or undefined when the text is not an IP literal. */
export function normalizeIp(text: string): string | undefined {
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6) return undefined;
  const mapped = /^(?:0{0,4}:){0,5}(?::|0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1];
  // The WHATWG URL parser prints IPv6 hosts in RFC 5952 form (what Go prints too).
  let out: string;
  try {
    out = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const m4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(out);
  if (m4) {
    const hi = parseInt(m4[1]!, 16);
    const lo = parseInt(m4[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return out;
}

/** `a` without the spare capacity push() leaves (V8 grows small arrays to 17+ slots): the model
 *  keeps millions of short arrays alive, so each is copied to its exact size once built. */
export function tight<T>(a: T[]): T[] {
  return a.length === 0 ? [] : a.slice();
}

/** Result of parsing a ports resource string: the ports, and one message per bad range item. */
export interface PortRangeParse {
  ports: number[];
  bad: string[];
}

const MAX_PORTS_PER_TASK = 65536;

/** Expands `"[31000-31001, 31005-31005]"` to its ports. Items that are not `lo-hi` with
 *  0 ≤ lo ≤ hi ≤ 65535 (e.g. `"[31000]"`, which crashes Mesos-DNS) are reported and skipped. */
export function parsePortRanges(text: string): PortRangeParse {
  const ports: number[] = [];
  const bad: string[] = [];
  const s = text.trim();
  if (s === '' || s === '[]') return { ports, bad };
  if (s[0] !== '[' || s[s.length - 1] !== ']') {
    bad.push(`port ranges ${JSON.stringify(text)} are not of the form "[lo-hi, …]"`);
    return { ports, bad };
  }
  for (const raw of s.slice(1, -1).split(',')) {
    const item = raw.trim();
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(item);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2]) : NaN;
    if (!m || lo > hi || hi > 65535) {
      bad.push(`port range ${JSON.stringify(item)} in ${JSON.stringify(text)} is not "lo-hi"`);
      continue;
    }
    if (ports.length + (hi - lo + 1) > MAX_PORTS_PER_TASK) {
      bad.push(`port ranges ${JSON.stringify(text)} name more than ${MAX_PORTS_PER_TASK} ports`);
      break;
    }
    for (let p = lo; p <= hi; p++) ports.push(p);
  }
  return { ports: tight(ports), bad };
}
