// Facts of JSON text that every scanner of it shares: json-deferred's scan, fetch-state's
// cut-short check, the ServerSet codec's sniffing.

/** JSON's insignificant whitespace (RFC 8259): space, tab, line feed, carriage return. */
export function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
