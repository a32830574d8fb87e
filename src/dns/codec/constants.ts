// DNS wire constants (RFC 1035, 2782, 3596, 6891, 8482) shared by the codecs and the server.

export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  AXFR: 252,
  IXFR: 251,
  ANY: 255,
  CAA: 257,
} as const;

export const QCLASS = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS) rcode 16: the high 8 bits go in the OPT TTL. */
  BADVERS: 16,
} as const;

const typeNames = new Map<number, string>(Object.entries(QTYPE).map(([k, v]) => [v, k]));
const rcodeNames = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** Metric-friendly name of a query type; rare types collapse to OTHER to bound label cardinality. */
export function qtypeName(t: number): string {
  return typeNames.get(t) ?? 'OTHER';
}

export function rcodeName(r: number): string {
  return rcodeNames.get(r) ?? `RCODE${r}`;
}

/** Header flag bits (second 16-bit word). */
export const FLAG = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

export const HEADER_LEN = 12;
/** Classic DNS UDP payload limit without EDNS. */
export const CLASSIC_UDP_MAX = 512;
/** Bytes of the OPT pseudo-record we append (root name, type, class, ttl, rdlen 0). */
export const OPT_RR_LEN = 11;
