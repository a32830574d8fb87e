// Fresh copies of the strings a long-lived record set keeps, so it never holds on to the parsed
// state document: a string from JSON.parse pins the heap page it was allocated on, and a few such
// strings per page keep most of a 100,000-task document's pages resident (~100 MB of RSS).

/** A flat copy of `s`. V8 hands back `s` itself for `s + ''`, `[s].join('')` and `concat`; a
 *  join of two pieces allocates a new string (the short-lived slice is young garbage). */
export function ownString(s: string): string {
  return s.length < 2 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

// Bounded: a long-running event stream sees values come and go; clearing only loses sharing.
// A full build shares across the whole state; the changes after it share little (each new
// instance brings its own id and address), so the table then stays small.
const INTERN_MAX = 100_000;
const INTERN_MAX_AFTER_BUILD = 10_000;

/** How a record generator keeps what it was given: its own copies (a long-lived set) or the
 *  given strings and arrays themselves (a one-shot listing). */
export interface Owner {
  /** A copy of a string unlikely to repeat (task ids). */
  copy(s: string): string;
  /** The shared copy of a string that repeats on many tasks (IPs, job names, port names). */
  get(s: string): string;
  all(list: readonly string[]): readonly string[];
}

/** For one-shot listings: the document outlives the listing anyway, so nothing is copied. */
export const BORROW: Owner = { copy: (s) => s, get: (s) => s, all: (l) => l };

/** One shared copy per distinct value. */
export class Interner implements Owner {
  private readonly map = new Map<string, string>();
  private limit = INTERN_MAX;

  copy(s: string): string {
    return ownString(s);
  }

  get(s: string): string {
    let v = this.map.get(s);
    if (v === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      v = ownString(s);
      this.map.set(v, v);
    }
    return v;
  }

  /** Forgets the shared copies (the strings stay wherever they are kept): after a full build
   *  the table is ~36,000 entries (1.8 MiB at 50,000 tasks) that only later changes would use,
   *  and those re-fill it as they come, up to the smaller limit. */
  clear(): void {
    this.map.clear();
    this.limit = INTERN_MAX_AFTER_BUILD;
  }

  all(list: readonly string[]): string[] {
    return list.map((s) => this.get(s));
  }
}
