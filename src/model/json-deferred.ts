// JSON.parse for a document with one huge array in it (a SUBSCRIBED event's 50,000 tasks): that
// array is left as text and each element is parsed when it is read, so the whole parsed document
// never exists at once. Parsed whole, a 48 MiB SUBSCRIBED record held ~110 MiB more at its peak
// and blocked the event loop 300 ms; scanned for its elements, 83 ms (docs/records.md).
// Pure: text in, values out. Whenever the scan is in doubt the whole text goes to JSON.parse, so
// the result (its deferred elements read) is always what JSON.parse would give, or its error.
import { StateError } from '../errors.js';

/** A JSON array kept as text: iterating parses one element at a time (once per iteration). */
export class DeferredJsonArray implements Iterable<unknown> {
  constructor(
    private readonly text: string,
    /** [start, end) of each element in `text`, two numbers per element. */
    private readonly spans: readonly number[],
    /** Where the array is in its document (for errors). */
    readonly where: string,
  ) {}

  get length(): number {
    return this.spans.length / 2;
  }

  *[Symbol.iterator](): Generator<unknown, void> {
    for (let i = 0; i < this.spans.length; i += 2) {
      let v: unknown;
      try {
        v = JSON.parse(this.text.slice(this.spans[i], this.spans[i + 1]));
      } catch (e) {
        // Each element of a valid array parses alone, so this one makes the document not JSON.
        throw new StateError(`${this.where}[${i / 2}] is not JSON (${(e as Error).message})`, {
          documentRead: true,
        });
      }
      yield v;
    }
  }
}

/** An array's elements, whether it was parsed (an array) or left as text; nothing for another
 *  value. */
export function elements(v: unknown): Iterable<unknown> {
  return Array.isArray(v) || v instanceof DeferredJsonArray ? v : [];
}

/** JSON.parse(text), except that each array at `path` comes back as a DeferredJsonArray. `path`
 *  is object keys from the root object, `*` standing for each element of an array (the tasks of
 *  a v0 state: `frameworks.*.tasks`). Throws JSON.parse's SyntaxError for a document that is not
 *  JSON, except one whose only faults are inside elements of those arrays: those throw (a
 *  StateError) when the element is read. */
export function parseDeferringArrays(text: string, path: readonly string[]): unknown {
  const found = path.length > 0 ? findArrays(text, path) : undefined;
  if (!found || found.length === 0) return JSON.parse(text);
  // Each array's place holds a marker no document carries, so that an array JSON.parse would
  // drop (a later key of the same name wins) is noticed.
  const marker = `\u0000deferred ${++markers} ${Math.random()} `;
  let joined = '';
  let from = 0;
  for (let k = 0; k < found.length; k++) {
    joined += text.slice(from, found[k]!.open) + JSON.stringify(marker + k);
    from = found[k]!.close + 1;
  }
  joined += text.slice(from);
  let rest: unknown;
  try {
    rest = JSON.parse(joined);
  } catch {
    return JSON.parse(text); // throws, with positions in the text as given
  }
  let placed = 0;
  const place = (
    parent: Record<string, unknown> | unknown[],
    key: string | number,
    d: number,
    where: string,
  ) => {
    const v = (parent as Record<string | number, unknown>)[key];
    if (d < path.length) return visit(v, d, where);
    if (typeof v !== 'string' || !v.startsWith(marker)) return;
    const a = found[Number(v.slice(marker.length))]!;
    (parent as Record<string | number, unknown>)[key] = new DeferredJsonArray(text, a.spans, where);
    placed++;
  };
  const visit = (v: unknown, d: number, where: string): void => {
    const seg = path[d]!;
    if (seg === '*') {
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) place(v, i, d + 1, `${where}[${i}]`);
    } else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, seg)) {
      place(v as Record<string, unknown>, seg, d + 1, where ? `${where}.${seg}` : seg);
    }
  };
  visit(rest, 0, '');
  return placed === found.length ? rest : JSON.parse(text);
}

let markers = 0;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the quote that ends the string opened at `i`, or -1. */
function stringEnd(t: string, i: number): number {
  for (let j = t.indexOf('"', i + 1); j >= 0; j = t.indexOf('"', j + 1)) {
    let b = 0;
    while (t.charCodeAt(j - 1 - b) === BACKSLASH) b++;
    if ((b & 1) === 0) return j;
  }
  return -1;
}

/** Every array at `path`, with its elements' spans; undefined when the text between an array's
 *  elements is not whitespace and single commas, or a string does not end (JSON.parse then
 *  decides). Without `*` in `path` only the first is looked for (a repeated key is told by the
 *  marker). */
function findArrays(t: string, path: readonly string[]): Found[] | undefined {
  const n = t.length;
  const all = path.includes('*');
  const out: Found[] = [];
  // Per open container: whether it is an object, and the key it is the value of.
  const isObject: boolean[] = [];
  const keys: (string | undefined)[] = [];
  let key: string | undefined;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      const j = stringEnd(t, i);
      if (j < 0) return undefined;
      // Only keys down to the path's depth can matter.
      if (isObject.length <= path.length && isObject.at(-1)) {
        let k = j + 1;
        while (k < n && isWs(t.charCodeAt(k))) k++;
        if (t.charCodeAt(k) === COLON) {
          const raw = t.slice(i + 1, j);
          if (!raw.includes('\\')) key = raw;
          else {
            try {
              key = JSON.parse(t.slice(i, j + 1)) as string;
            } catch {
              return undefined;
            }
          }
        }
      }
      i = j;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (c === OPEN_ARR && isObject.length === path.length && atPath(isObject, keys, key, path)) {
        const a = arrayAt(t, i);
        if (!a) return undefined;
        out.push(a);
        if (!all) return out;
        i = a.close;
        key = undefined;
        continue;
      }
      isObject.push(c === OPEN_OBJ);
      keys.push(key);
      key = undefined;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      isObject.pop();
      keys.pop();
      key = undefined;
    } else if (c === COMMA) key = undefined;
  }
  return out;
}

interface Found {
  open: number;
  close: number;
  spans: number[];
}

/** The array opened at `open`: where it closes and its elements' spans. */
function arrayAt(t: string, open: number): Found | undefined {
  const n = t.length;
  const spans: number[] = [];
  let depth = 0;
  let start = -1; // of the element being read (-1: between elements)
  let end = -1; // just past its last character so far
  for (let i = open + 1; i < n; i++) {
    const c = t.charCodeAt(i);
    if (depth === 0) {
      if (isWs(c)) continue;
      if (c === COMMA || c === CLOSE_ARR) {
        if (start >= 0) spans.push(start, end);
        else if (c === COMMA || spans.length > 0) return undefined; // `[,` `,,` `,]`
        if (c === CLOSE_ARR) return { open, close: i, spans };
        start = -1;
        continue;
      }
    }
    if (start < 0) start = i;
    if (c === QUOTE) {
      i = stringEnd(t, i);
      if (i < 0) return undefined;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) depth++;
    else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (--depth < 0) return undefined;
    }
    end = i + 1;
  }
  return undefined;
}

/** Whether an array opened now, as the value of `key` in the open containers, is at `path`. */
function atPath(
  isObject: boolean[],
  keys: (string | undefined)[],
  key: string | undefined,
  path: readonly string[],
): boolean {
  for (let d = 0; d < path.length; d++) {
    const seg = path[d]!;
    // The container at depth d holds the value at path[d]: an object by key, an array for `*`.
    if (
      seg === '*' ? isObject[d] : !isObject[d] || (d + 1 < path.length ? keys[d + 1] : key) !== seg
    )
      return false;
  }
  return true;
}
