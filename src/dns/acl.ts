// Client address matching for the DNS server: CIDR lists (forwardAllowedNetworks,
// rrlExemptNetworks) compiled once into integer (network, mask) pairs, and a parser that reads a
// socket's address string into a reused scratch array, so checking a client costs a short loop
// and no allocation. An IPv4-mapped IPv6 client (`::ffff:10.1.2.3`, what a dual-stack `::`
// listener reports for IPv4 peers) is treated as the IPv4 address it carries.
import { ConfigError } from '../errors.js';

/** Family of a parsed address: 4 (also IPv4-mapped IPv6), 6, or 0 when it is not an IP. */
export type Family = 0 | 4 | 6;

/**
 * A parsed client address. `w[0]` holds an IPv4 address; an IPv6 address is `w[0..3]`, big-endian
 * 32-bit words. One instance is reused per server, so parsing allocates nothing.
 */
export class ClientAddress {
  family: Family = 0;
  readonly w = new Uint32Array(4);
  private readonly groups = new Uint16Array(8);

  /** Parses `s` (an address string as node reports it; a `%zone` suffix is ignored). */
  parse(s: string): Family {
    this.family = parseInto(s, this.w, this.groups);
    return this.family;
  }
}

const MAPPED_W2 = 0x0000ffff;

function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let octet = -1;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (octet < 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = -1;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      // No leading zeros (`010` is octal to some parsers): refuse the ambiguity.
      if (digits > 0 && octet === 0) return -1;
      octet = (octet < 0 ? 0 : octet) * 10 + (c - 0x30);
      if (octet > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || octet < 0) return -1;
  return value * 256 + octet;
}

function parseInto(s: string, w: Uint32Array, g: Uint16Array): Family {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  if (s.indexOf(':') < 0) {
    const v = parseV4(s, 0, end);
    if (v < 0) return 0;
    w[0] = v;
    return 4;
  }
  // IPv6: up to 8 hex groups, at most one `::`, optionally ending in a dotted IPv4 address.
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 0x3a) {
    if (s.charCodeAt(1) !== 0x3a) return 0;
    gap = 0;
    i = 2;
    if (i === end) {
      g.fill(0);
      return finishV6(w, g);
    }
  }
  for (;;) {
    // One group: hex digits up to ':' or the end; or a trailing IPv4 part.
    let v = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else break;
      v = v * 16 + d;
      if (++digits > 4) return 0;
    }
    if (j < end && s.charCodeAt(j) === 0x2e) {
      // Embedded IPv4 takes the last two groups.
      const v4 = parseV4(s, i, end);
      if (v4 < 0 || n > 6) return 0;
      g[n++] = v4 >>> 16;
      g[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || n >= 8) return 0;
    g[n++] = v;
    if (j === end) break;
    if (s.charCodeAt(j) !== 0x3a) return 0;
    j++;
    if (s.charCodeAt(j) === 0x3a) {
      if (gap >= 0) return 0;
      gap = n;
      j++;
      if (j === end) break;
    } else if (j === end) return 0;
    i = j;
  }
  if (gap >= 0) {
    if (n > 7) return 0;
    // Move the groups after `::` to the end and zero the gap.
    const tail = n - gap;
    for (let k = 0; k < tail; k++) g[7 - k] = g[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++) g[k] = 0;
  } else if (n !== 8) return 0;
  return finishV6(w, g);
}

function finishV6(w: Uint32Array, g: Uint16Array): Family {
  w[0] = ((g[0] << 16) | g[1]) >>> 0;
  w[1] = ((g[2] << 16) | g[3]) >>> 0;
  w[2] = ((g[4] << 16) | g[5]) >>> 0;
  w[3] = ((g[6] << 16) | g[7]) >>> 0;
  if (w[0] === 0 && w[1] === 0 && w[2] === MAPPED_W2) {
    w[0] = w[3];
    return 4;
  }
  return 6;
}

/** Mask of the first `bits` bits of a 32-bit word (bits clamped to 0..32). */
function maskOf(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** One parsed CIDR, before compilation. */
export interface Cidr {
  family: 4 | 6;
  /** Network words (IPv4: one word; IPv6: four). */
  words: number[];
  prefix: number;
}

/**
 * Parses `10.0.0.0/8`, `fc00::/7`, or a bare address (a host: /32 or /128). An IPv4-mapped IPv6
 * CIDR (`::ffff:10.0.0.0/104`) becomes its IPv4 form. Throws ConfigError naming `where`.
 */
export function parseCidr(text: string, where = 'network'): Cidr {
  const bad = (why: string) =>
    new ConfigError(`${where}: ${JSON.stringify(text)} is not a network: ${why}`);
  if (typeof text !== 'string') throw bad('expected a string such as "10.0.0.0/8"');
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  if (addr.includes('%')) throw bad('zone indexes (%…) are not allowed');
  const a = new ClientAddress();
  const fam = a.parse(addr);
  if (fam === 0) throw bad('expected an IP address with an optional /prefix, e.g. "10.0.0.0/8"');
  const mapped = fam === 4 && addr.includes(':');
  const max = fam === 4 && !mapped ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max)
      throw bad(`the prefix length must be a number 0-${max}`);
    prefix = Number(p);
  }
  if (mapped) {
    if (prefix < 96) {
      // Covers more than the mapped range: keep it as the IPv6 network it is (see compile()).
      return checkHostBits(bad, { family: 6, words: [0, 0, MAPPED_W2, a.w[0]], prefix });
    }
    return checkHostBits(bad, { family: 4, words: [a.w[0]], prefix: prefix - 96 });
  }
  const words = fam === 4 ? [a.w[0]] : [a.w[0], a.w[1], a.w[2], a.w[3]];
  return checkHostBits(bad, { family: fam, words, prefix });
}

function checkHostBits(bad: (why: string) => ConfigError, c: Cidr): Cidr {
  const net = c.words.map((w, i) => (w & maskOf(c.prefix - 32 * i)) >>> 0);
  if (net.some((w, i) => w !== c.words[i])) {
    throw bad(
      `bits are set past the /${c.prefix} prefix (did you mean ${formatCidr({ ...c, words: net })}?)`,
    );
  }
  return c;
}

/** Presentation form of a parsed CIDR (for messages). */
export function formatCidr(c: Cidr): string {
  if (c.family === 4) {
    const w = c.words[0];
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}/${c.prefix}`;
  }
  const groups: string[] = [];
  for (const w of c.words) groups.push((w >>> 16).toString(16), (w & 0xffff).toString(16));
  return `${groups.join(':')}/${c.prefix}`;
}

/**
 * A compiled list of networks. `has` takes an address parsed by ClientAddress; a list is
 * checked with a linear scan of integer compares (lists are short: a handful of ranges).
 */
export class NetworkSet {
  /** IPv4 (network, mask) pairs, flattened. */
  private readonly v4: Uint32Array;
  /** IPv6 networks: 4 network words then 4 mask words per entry. */
  private readonly v6: Uint32Array;
  /** The entries as given, for messages and debugging. */
  readonly source: readonly string[];

  constructor(cidrs: readonly Cidr[], source: readonly string[] = []) {
    this.source = source;
    const v4: number[] = [];
    const v6: number[] = [];
    for (const c of cidrs) {
      if (c.family === 4) {
        v4.push(c.words[0], maskOf(c.prefix));
        continue;
      }
      const masks = [0, 1, 2, 3].map((i) => maskOf(c.prefix - 32 * i));
      v6.push(...c.words, ...masks);
      // An IPv6 network that contains all of ::ffff:0:0/96 also contains every IPv4 client (they
      // are parsed as IPv4): keep the two families consistent.
      const mappedInside =
        (0 & masks[0]) === c.words[0] &&
        (0 & masks[1]) === c.words[1] &&
        (MAPPED_W2 & masks[2]) >>> 0 === c.words[2];
      if (c.prefix <= 96 && mappedInside) v4.push(0, 0);
    }
    this.v4 = Uint32Array.from(v4);
    this.v6 = Uint32Array.from(v6);
  }

  get empty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  /** True when the parsed address is inside one of the networks. */
  has(a: ClientAddress): boolean {
    const w = a.w;
    if (a.family === 4) {
      const x = w[0];
      const l = this.v4;
      for (let i = 0; i < l.length; i += 2) if ((x & l[i + 1]) >>> 0 === l[i]) return true;
      return false;
    }
    if (a.family === 6) {
      const l = this.v6;
      for (let i = 0; i < l.length; i += 8) {
        if (
          (w[0] & l[i + 4]) >>> 0 === l[i] &&
          (w[1] & l[i + 5]) >>> 0 === l[i + 1] &&
          (w[2] & l[i + 6]) >>> 0 === l[i + 2] &&
          (w[3] & l[i + 7]) >>> 0 === l[i + 3]
        )
          return true;
      }
    }
    return false;
  }
}

/** Parses and compiles a list of CIDRs; errors name `key` and the entry's index. */
export function parseNetworks(list: readonly string[], key = 'networks'): NetworkSet {
  if (!Array.isArray(list))
    throw new ConfigError(`"${key}" must be a list of networks such as ["10.0.0.0/8"]`);
  const cidrs = list.map((s, i) => parseCidr(s, `"${key}"[${i}]`));
  return new NetworkSet(cidrs, list);
}

/** Loopback networks: the default of rrlExemptNetworks. */
export const LOOPBACK_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** Loopback and private ranges: the default of forwardAllowedNetworks. */
export const PRIVATE_NETWORKS: readonly string[] = [
  ...LOOPBACK_NETWORKS,
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
];
