// Copies of strings and arrays a long-lived record set keeps, so it never holds on to the parsed
// state document: a string from JSON.parse pins the whole heap page it was allocated on, and a
// few such strings per page keep most of a 100,000-task document's pages resident.

/** A flat copy of `s` (V8 hands back the same string for `s + ''`, `[s].join('')`, concat). */
export function ownString(s: string): string {
  return s.length < 2 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/** Interns short strings that repeat on every task (IPs, port names, protocols). */
export class Interner {
  private readonly map = new Map<string, string>();
  get(s: string): string {
    let v = this.map.get(s);
    if (v === undefined) {
      v = ownString(s);
      this.map.set(v, v);
    }
    return v;
  }
}
