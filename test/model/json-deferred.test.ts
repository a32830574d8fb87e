// parseDeferringArray must be JSON.parse with one array left as text: the same value once its
// elements are read, and an error exactly when JSON.parse throws. Checked on generated documents
// (tricky strings, random whitespace, decoy and repeated keys) and on every kind of one-character
// damage to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeferredJsonArray,
  parseDeferringArray,
  parseDeferringArraySteps,
  SCAN_STEP,
} from '../../src/model/json-deferred.js';
import { StateError } from '../../src/errors.js';
import { rng, pick } from '../helpers/random.js';

const PATH = ['subscribed', 'get_state', 'get_tasks', 'tasks'];

/** The value with every DeferredJsonArray read into an array. */
function materialize(v: unknown): unknown {
  if (v instanceof DeferredJsonArray) return [...v].map(materialize);
  if (Array.isArray(v)) return v.map(materialize);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = materialize(x);
    return o;
  }
  return v;
}

function outcome(f: () => unknown): { ok: true; value: unknown } | { ok: false; error: Error } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, error: e as Error };
  }
}

const TRICKY = ['"', '\\', '[', ']', '{', '}', ',', ':', ' ', 'é', '\u2028', '\n', 'tasks', 'x'];

function genString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) s += pick(r, TRICKY);
  return s;
}

function genValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 4 : 7));
  if (k === 0) return Math.floor(r() * 2000) - 1000 + (r() < 0.3 ? 0.5 : 0);
  if (k === 1) return pick(r, [true, false, null]);
  if (k <= 3) return genString(r);
  if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => genValue(r, depth + 1));
  return genObject(r, depth + 1, []);
}

type Entry = [string, unknown];
/** An object as entries (so keys can repeat); `path` is planted along the way when given. */
function genObject(r: () => number, depth: number, path: string[]): { entries: Entry[] } {
  const entries: Entry[] = [];
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    // Now and then a decoy: a key of the path, at another depth or repeated.
    const key = r() < 0.1 ? pick(r, PATH) : pick(r, ['a', 'b', genString(r)]);
    entries.push([key, genValue(r, depth)]);
  }
  if (path.length > 0) {
    const [head, ...rest] = path;
    const v =
      rest.length > 0
        ? genObject(r, depth + 1, rest)
        : Array.from({ length: Math.floor(r() * 5) }, () => genValue(r, depth + 1));
    entries.splice(Math.floor(r() * (entries.length + 1)), 0, [head!, v]);
    // Sometimes the same key again after it: JSON.parse keeps the last.
    if (r() < 0.04) entries.push([head!, genValue(r, depth)]);
  }
  return { entries };
}

function ws(r: () => number): string {
  return r() < 0.7 ? '' : pick(r, [' ', '\n', '\t', '\r\n', '  ']);
}

function serialize(v: unknown, r: () => number): string {
  if (Array.isArray(v))
    return `[${ws(r)}${v.map((x) => serialize(x, r)).join(`${ws(r)},${ws(r)}`)}${ws(r)}]`;
  if (typeof v === 'object' && v !== null && 'entries' in v) {
    const es = (v as { entries: Entry[] }).entries;
    const key = (k: string) =>
      r() < 0.2 ? JSON.stringify(k).replace(/s/g, '\\u0073') : JSON.stringify(k);
    return `{${ws(r)}${es.map(([k, x]) => `${key(k)}${ws(r)}:${ws(r)}${serialize(x, r)}`).join(`${ws(r)},${ws(r)}`)}${ws(r)}}`;
  }
  return JSON.stringify(v);
}

function genDoc(r: () => number): string {
  const planted = r() < 0.85 ? PATH.slice(0, 1 + Math.floor(r() * PATH.length)) : [];
  const full = planted.length === PATH.length || r() < 0.5;
  return ws(r) + serialize(genObject(r, 0, full ? PATH : planted), r) + ws(r);
}

test('valid documents: the same value as JSON.parse once the deferred elements are read', () => {
  let deferred = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    const text = genDoc(r);
    const got = parseDeferringArray(text, PATH);
    assert.deepEqual(materialize(got), JSON.parse(text), `seed ${seed}: ${text}`);
    if (
      JSON.stringify(got, (_k, v: unknown) => (v instanceof DeferredJsonArray ? 'D' : v)).includes(
        '"D"',
      )
    )
      deferred++;
  }
  // The generator must reach the split path often, or this test proves little.
  assert.ok(deferred > 1000, `only ${deferred} of 3000 documents had their array deferred`);
});

const DAMAGE = ['\u000b', '"', '\\', '[', ']', '{', '}', ',', ':', ' ', '1', 'x', '\u0001'];

test('damaged documents: an error exactly when JSON.parse throws, else the same value', () => {
  let broken = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed + 100_000);
    const text = genDoc(r);
    for (let m = 0; m < 8; m++) {
      const at = Math.floor(r() * text.length);
      const kind = Math.floor(r() * 3);
      const c = pick(r, DAMAGE);
      const bad =
        kind === 0
          ? text.slice(0, at) + text.slice(at + 1)
          : kind === 1
            ? text.slice(0, at) + c + text.slice(at)
            : text.slice(0, at) + c + text.slice(at + 1);
      const want = outcome(() => JSON.parse(bad));
      const got = outcome(() => materialize(parseDeferringArray(bad, PATH)));
      const replay = `seed ${seed} damage ${m}: ${JSON.stringify(bad)}`;
      assert.equal(got.ok, want.ok, `${replay}: ${got.ok ? 'accepted' : got.error.message}`);
      if (got.ok && want.ok) assert.deepEqual(got.value, want.value, replay);
      if (!want.ok) {
        broken++;
        const e = (got as { error: Error }).error;
        assert.ok(e instanceof SyntaxError || e instanceof StateError, replay);
      }
    }
  }
  assert.ok(broken > 5000, `only ${broken} damaged documents were not JSON`);
});

test('a SUBSCRIBED event: the tasks come back deferred, one parse per element read', () => {
  const tasks = [{ task_id: { value: 'a' } }, { task_id: { value: 'b "[}' } }, []];
  const text = JSON.stringify({
    type: 'SUBSCRIBED',
    subscribed: { get_state: { get_tasks: { tasks }, get_agents: { agents: [] } } },
  });
  const doc = parseDeferringArray(text, PATH) as {
    subscribed: { get_state: { get_tasks: { tasks: unknown } } };
  };
  const d = doc.subscribed.get_state.get_tasks.tasks;
  assert.ok(d instanceof DeferredJsonArray);
  assert.equal(d.length, 3);
  assert.deepEqual([...d], tasks);
  assert.deepEqual([...d], tasks, 'it can be read again');
});

test('no array at the path, or one inside an array: JSON.parse whole', () => {
  for (const v of [
    { subscribed: { get_state: { get_tasks: { tasks: 'no' } } } },
    { subscribed: [{ get_state: { get_tasks: { tasks: [1] } } }] },
    { other: { subscribed: { get_state: { get_tasks: { tasks: [1] } } } } },
    [1, 2],
    'text',
  ]) {
    const got = parseDeferringArray(JSON.stringify(v), PATH);
    assert.deepEqual(got, v, JSON.stringify(v));
  }
});

test('a later key of the same name wins, as in JSON.parse', () => {
  const text = '{"subscribed":{"get_state":{"get_tasks":{"tasks":[1,2],"tasks":[3]}}}}';
  assert.deepEqual(parseDeferringArray(text, ['subscribed', 'get_state', 'get_tasks', 'tasks']), {
    subscribed: { get_state: { get_tasks: { tasks: [3] } } },
  });
});

test('a broken element throws when read, naming the element', () => {
  const text = '{"a":{"b":[{"ok":1}, {"bad":01}, 3]}}';
  const doc = parseDeferringArray(text, ['a', 'b']) as { a: { b: DeferredJsonArray } };
  const it = doc.a.b[Symbol.iterator]();
  assert.deepEqual(it.next().value, { ok: 1 });
  assert.throws(
    () => it.next(),
    (e: unknown) =>
      e instanceof StateError && e.documentRead && /^a\.b\[1\] is not JSON \(/.test(e.message),
  );
  // Outside the array the error is JSON.parse's own, with its position in the whole text.
  assert.throws(() => parseDeferringArray('{"x":01,"a":{"b":[1]}}', ['a', 'b']), SyntaxError);
});

test('the scan yields every SCAN_STEP characters, and gives what the whole scan gives', () => {
  // Strings with quotes and brackets in them, so the scan walks strings and depths across the
  // points where it yields: ~2.5 M characters, ~8 steps before the array and ~29 inside it.
  const pad = 'x"[{\\'.repeat(40);
  const doc = {
    before: Array.from({ length: 2000 }, (_, i) => ({ s: pad.slice(i % 50), i })),
    subscribed: {
      get_state: {
        get_tasks: {
          tasks: Array.from({ length: 8000 }, (_, i) => ({ id: `t${i}`, s: [pad.slice(i % 90)] })),
        },
      },
    },
  };
  const text = JSON.stringify(doc);
  const steps = parseDeferringArraySteps(text, PATH);
  let yields = 0;
  let r = steps.next();
  for (; !r.done; r = steps.next()) yields++;
  // A string is skipped in one jump (< 500 characters here), so a step covers a little more.
  assert.ok(yields <= Math.ceil(text.length / SCAN_STEP), `${yields} yields`);
  assert.ok(yields >= Math.floor(text.length / (SCAN_STEP + 500)) - 1, `${yields} yields`);
  const tasks = (r.value as typeof doc).subscribed.get_state.get_tasks.tasks as unknown;
  assert.ok(tasks instanceof DeferredJsonArray);
  assert.deepEqual(materialize(r.value), doc);

  // Damage near the end, far past the first yields: JSON.parse's error, as at once.
  const broken = `${text.slice(0, -3)}]]}`;
  const steps2 = parseDeferringArraySteps(broken, PATH);
  assert.throws(
    () => {
      for (let x = steps2.next(); !x.done; x = steps2.next());
    },
    (e: unknown) => e instanceof SyntaxError,
  );
});
