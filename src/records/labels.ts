// DNS label rules of Mesos-DNS (records/labels): the RFC1123/RFC952 label function with its
// trim/cut/refill rule, DomainFrag for framework names, and Beacon's fix for the labels Mesos-DNS
// gets wrong (longer than 63 bytes after composition, or ending in '-').

/** A label function: arbitrary text → one DNS label (possibly empty). */
export type LabelFunc = (name: string) => string;

/** Longest DNS label (RFC 1035). Composed labels are shortened to fit it. */
export const MAX_LABEL = 63;

/** Longest owner name (with the trailing dot) that can be encoded; longer names are not emitted. */
export const MAX_NAME = 254;

// Lowercase A–Z, keep a–z 0–9, map - . _ to '-', drop everything else (as Mesos-DNS's mapping()).
function mapChars(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) out += name[i];
    else if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
    else if (c === 45 || c === 46 || c === 95) out += '-';
  }
  return out;
}

function trimLeftSet(s: string, set: string): string {
  let i = 0;
  while (i < s.length && set.includes(s[i]!)) i++;
  return s.slice(i);
}

function trimRightDash(s: string): string {
  let j = s.length;
  while (j > 0 && s.charCodeAt(j - 1) === 45) j--;
  return s.slice(0, j);
}

// Mesos-DNS's trimCut: trim the left cutset, cut at maxlen, trim trailing '-', and when that
// removed characters refill from the text after the cut (its leading '-' trimmed).
function trimCut(mapped: string, maxlen: number, left: string): string {
  const trim = trimLeftSet(mapped, left);
  const size = Math.min(trim.length, maxlen);
  const head = trimRightDash(trim.slice(0, size));
  if (head.length === size) return head;
  const tail = trimLeftSet(trim.slice(size), '-');
  if (tail.length > 0) return head + tail.slice(0, size - head.length);
  return head;
}

// Fast path: text that is already a valid lowercase label comes out unchanged.
const PLAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** RFC 1123 label (Mesos-DNS default). Beacon also trims a trailing '-' the refill can leave. */
export function rfc1123(name: string): string {
  if (name.length <= MAX_LABEL && PLAIN.test(name)) return name;
  return trimRightDash(trimCut(mapChars(name), MAX_LABEL, '-'));
}

/** RFC 952 label (`EnforceRFC952`): at most 24 characters, no leading digits. */
export function rfc952(name: string): string {
  return trimRightDash(trimCut(mapChars(name), 24, '-0123456789'));
}

/** Framework names: split on '.', label each part, drop empty parts, join with '.'. */
export function domainFrag(name: string, label: LabelFunc): string {
  const parts: string[] = [];
  for (const part of name.split('.')) {
    const l = label(part);
    if (l !== '') parts.push(l);
  }
  return parts.join('.');
}

/** Cuts `label` to at most `room` characters and trims the '-' the cut exposes. A label that
 *  already fits is returned unchanged, so names valid in Mesos-DNS stay the same. */
export function fitLabel(label: string, room: number): string {
  if (label.length <= room) return label;
  return trimRightDash(label.slice(0, Math.max(0, room)));
}

// A label of the legacy (raw DiscoveryInfo name) pass: letters, digits, '_' and inner '-'.
const LEGACY_LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** The raw DiscoveryInfo name of Mesos-DNS's legacy pass, lowercased and split into labels; or
 *  undefined when it cannot be a valid DNS name as it is (characters that need escaping, empty
 *  labels, a label over 63 bytes, a label starting or ending in '-'), so no legacy records. */
export function legacyLabels(raw: string): string[] | undefined {
  if (raw === '') return undefined;
  const labels = raw.toLowerCase().split('.');
  for (const l of labels) {
    if (l.length > MAX_LABEL || !LEGACY_LABEL.test(l)) return undefined;
  }
  return labels;
}
