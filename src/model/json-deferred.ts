// JSON.parse for a document with one huge array in it (a SUBSCRIBED event's 50,000 tasks): that
// array is left as text and each element is parsed when it is read, so the whole parsed document
// never exists at once. Parsed whole and made into the model, a 48 MiB SUBSCRIBED record peaked
// ~60 MiB higher, and its parse blocked the event loop ~270 ms. The scan itself is a generator
// that yields every SCAN_STEP characters, so a caller can run it in slices (a 183 MiB record of
// 200,000 tasks took 0.2–0.6 s to scan in one go; docs/records.md).
// Pure: text in, values out. Whenever the scan is in doubt the whole text goes to JSON.parse, so
// the result (its deferred elements read) is always what JSON.parse would give, or its error.
import { StateError } from '../errors.js';
import { drain } from '../slices.js';
import { isJsonSpace } from './json-text.js';
import { isObj } from './mesos-parts.js';

/** Characters scanned between two yields of parseDeferringArraySteps (~0.1 ms of scanning). */
export const SCAN_STEP = 1 << 16;

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

/** JSON.parse(text), except that the array at `path` (object keys from the root object) comes
 *  back as a DeferredJsonArray. Throws JSON.parse's SyntaxError for a document that is not JSON,
 *  except one whose only faults are inside elements of that array: those throw (a StateError)
 *  when the element is read. */
export function parseDeferringArray(text: string, path: readonly string[]): unknown {
  return drain(parseDeferringArraySteps(text, path));
}

/** parseDeferringArray, yielding every SCAN_STEP characters of its scan (the JSON.parse of the
 *  rest, without the array, is one step). */
export function* parseDeferringArraySteps(
  text: string,
  path: readonly string[],
): Generator<void, unknown> {
  const found = path.length > 0 ? yield* findArray(text, path) : undefined;
  if (!found) return JSON.parse(text);
  // The array's place holds a marker no document carries, so that a later key of the same name
  // (JSON.parse keeps the last) is told from the array that was split.
  const marker = `\u0000deferred ${++markers} ${Math.random()}`;
  let rest: unknown;
  try {
    rest = JSON.parse(
      text.slice(0, found.open) + JSON.stringify(marker) + text.slice(found.close + 1),
    );
  } catch {
    return JSON.parse(text); // throws with positions in the text as given
  }
  let parent: unknown = rest;
  for (let d = 0; d < path.length - 1; d++) parent = child(parent, path[d]!);
  const last = path[path.length - 1]!;
  if (child(parent, last) !== marker) return JSON.parse(text);
  (parent as Record<string, unknown>)[last] = new DeferredJsonArray(
    text,
    found.spans,
    path.join('.'),
  );
  return rest;
}

let markers = 0;

function child(o: unknown, key: string): unknown {
  return isObj(o) && Object.hasOwn(o, key) ? o[key] : undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;

/** Index of the quote that ends the string opened at `i`, or -1. */
function stringEnd(t: string, i: number): number {
  for (let j = t.indexOf('"', i + 1); j >= 0; j = t.indexOf('"', j + 1)) {
    let b = 0;
    while (t.charCodeAt(j - 1 - b) === BACKSLASH) b++;
    if ((b & 1) === 0) return j;
  }
  return -1;
}

/** The first array at `path`, with its elements' spans; undefined when there is none or the
 *  text between its elements is not whitespace and single commas (JSON.parse then decides).
 *  Yields once every SCAN_STEP characters. */
function* findArray(
  t: string,
  path: readonly string[],
): Generator<void, { open: number; close: number; spans: number[] } | undefined> {
  const n = t.length;
  let pause = SCAN_STEP; // where the next yield is due
  // Per open container: whether it is an object, and the key it is the value of.
  const isObject: boolean[] = [];
  const keys: (string | undefined)[] = [];
  let key: string | undefined;
  let i = 0;
  for (; i < n; i++) {
    if (i >= pause) {
      yield;
      pause = i + SCAN_STEP;
    }
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      const j = stringEnd(t, i);
      if (j < 0) return undefined;
      let k = j + 1;
      while (k < n && isJsonSpace(t.charCodeAt(k))) k++;
      if (t.charCodeAt(k) === COLON && isObject.at(-1)) {
        try {
          key = JSON.parse(t.slice(i, j + 1)) as string;
        } catch {
          return undefined;
        }
      }
      i = j;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      isObject.push(c === OPEN_OBJ);
      keys.push(key);
      key = undefined;
      if (c === OPEN_ARR && keys.length === path.length + 1 && atPath(isObject, keys, path)) break;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      isObject.pop();
      keys.pop();
      key = undefined;
    } else if (c === COMMA) key = undefined;
  }
  if (i >= n) return undefined;
  const open = i;
  const spans: number[] = [];
  let depth = 0;
  let start = -1; // of the element being read (-1: between elements)
  let end = -1; // just past its last character so far
  for (i = open + 1; i < n; i++) {
    if (i >= pause) {
      yield;
      pause = i + SCAN_STEP;
    }
    const c = t.charCodeAt(i);
    if (depth === 0) {
      if (isJsonSpace(c)) continue;
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

/** Whether the open containers are objects down `path` from the root and then this array. */
function atPath(isObject: boolean[], keys: (string | undefined)[], path: readonly string[]) {
  for (let d = 0; d < path.length; d++) {
    if (!isObject[d] || keys[d + 1] !== path[d]) return false;
  }
  return true;
}
