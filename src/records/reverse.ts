// Reverse-lookup owner names for PTR records: `4.3.2.1.in-addr.arpa.` and the nibble form under
// `ip6.arpa.`. Input is a normalised IP literal (see model/mesos-addr normalizeIp).

export function reverseName(ip: string): string {
  if (!ip.includes(':')) {
    const p = ip.split('.');
    return [p[3], p[2], p[1], p[0], 'in-addr.arpa.'].join('.');
  }
  return `${expandV6(ip).split('').reverse().join('.')}.ip6.arpa.`;
}

/** A PTR owner name's form (what reverseName makes): only a domain under `arpa.` holds both
 *  these and other names. */
const REVERSE = /^(?:(?:\d{1,3}\.){4}in-addr|(?:[0-9a-f]\.){32}ip6)\.arpa\.$/;
export function isReverseName(name: string): boolean {
  return name.endsWith('.arpa.') && REVERSE.test(name);
}

/** A PTR owner name or a name above one (`1.10.in-addr.arpa.`, `in-addr.arpa.`). */
export function inReverseTree(name: string): boolean {
  return /(?:^|\.)(?:in-addr|ip6)\.arpa\.$/.test(name);
}

/** 32 lowercase hex digits of an IPv6 literal (compressed or not; embedded IPv4 tail allowed). */
export function expandV6(ip: string): string {
  let text = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const h = (n: string) => Number(n).toString(16).padStart(2, '0');
    text = `${text.slice(0, v4.index)}${h(v4[1]!)}${h(v4[2]!)}:${h(v4[3]!)}${h(v4[4]!)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - hs.length - ts.length).fill('0');
  return [...hs, ...fill, ...ts].map((g) => g.padStart(4, '0')).join('');
}
