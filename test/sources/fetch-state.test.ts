// cutShort: a state document that begins like a JSON object but does not end like one is turned
// away from its bytes, before it is decoded and parsed; anything else is left to JSON.parse.
// releaseBody: the bytes of such a document go at the next young collection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { cutShort, releaseBody } from '../../src/sources/fetch-state.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const MAJOR_GC = perfConstants.NODE_PERFORMANCE_GC_MAJOR;

test('a whole object, with JSON whitespace around it, may be JSON', () => {
  assert.equal(cutShort(bytes('{"frameworks":[]}')), undefined);
  assert.equal(cutShort(bytes(' \r\n\t{"a":{"b":1}}\n\n ')), undefined);
});

test('what does not begin like an object is left to the parse', () => {
  for (const s of ['', '   ', '[1,2]', '"x"', '<html>', '\ufeff{"a":1']) {
    assert.equal(cutShort(bytes(s)), undefined, JSON.stringify(s));
  }
});

test('an object cut short is named with its last byte and where it is', () => {
  assert.equal(
    cutShort(bytes('{"frameworks":[{"id":"a"')),
    'it begins a JSON object but ends with "\\"" at byte 24, not "}": cut short?',
  );
  assert.match(cutShort(bytes('{"a":[1,2] \n'))!, /ends with "]" at byte 10, not "}"/);
  assert.equal(cutShort(bytes('  {  \n')), 'it is a lone "{": cut short?');
  // A multi-byte character cut in its middle: the byte is shown in hex.
  assert.match(cutShort(bytes('{"name":"é').subarray(0, -1))!, /ends with 0xc3 at byte 10/);
});

test('the check agrees with JSON.parse on what it turns away', () => {
  const doc = JSON.stringify({ frameworks: [{ id: 'f', tasks: [{ id: 't', name: 'n' }] }] });
  for (let n = 1; n < doc.length; n++) {
    const cut = doc.slice(0, n);
    if (cutShort(bytes(cut)) !== undefined) assert.throws(() => JSON.parse(cut), cut);
  }
  assert.equal(cutShort(bytes(doc)), undefined);
});

test('a released body is freed by a young collection, though its buffer object is old', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
  const MiB = 2 ** 20;
  const held = () => process.memoryUsage().arrayBuffers;
  const aged = () => {
    const b = Buffer.allocUnsafe(16 * MiB);
    b.fill(0x7b);
    // Two young collections move the buffer object to the old generation, as a long read does.
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    return b;
  };
  // V8 frees an ArrayBuffer's bytes on a helper thread after the collection: wait (bounded).
  const settled = async (done: () => boolean) => {
    for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  // Released: the next young collection lets the bytes go.
  const body = aged();
  const before = held();
  releaseBody(body);
  assert.equal(body.length, 0, 'the buffer is detached');
  gc({ type: 'minor' });
  await settled(() => before - held() >= 8 * MiB);
  assert.ok(before - held() >= 8 * MiB, `${((before - held()) / MiB).toFixed(1)} MiB let go`);
  // Not released (why releaseBody exists): V8 keeps them until a major collection. A major
  // collection V8 runs by itself meanwhile (other work in the process) would free them too and
  // tell nothing: such a window is tried again (a CI run once failed on one).
  let majors = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === MAJOR_GC) majors++;
  });
  obs.observe({ entryTypes: ['gc'] });
  try {
    let outlived: boolean | undefined;
    for (let attempt = 0; attempt < 5 && outlived === undefined; attempt++) {
      let kept: Buffer | undefined = aged();
      const with16 = held();
      const majorsBefore = majors;
      kept = undefined;
      gc({ type: 'minor' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(kept, undefined);
      const heldNow = held();
      // Entries come asynchronously: let those of the window arrive.
      await new Promise((r) => setImmediate(r));
      if (majors === majorsBefore) outlived = heldNow > with16 - 8 * MiB;
    }
    assert.equal(outlived, true, 'an old buffer object outlives a young collection');
  } finally {
    obs.disconnect();
  }
});

test('a body that shares its memory is left alone: Node’s pool, a view of a bigger buffer', () => {
  const a = Buffer.from('{"a":1}');
  const b = Buffer.from('{"b":2}');
  releaseBody(b);
  assert.equal(a.toString(), '{"a":1}');
  assert.equal(b.toString(), '{"b":2}');
  const whole = Buffer.alloc(4 * 2 ** 20, 0x20);
  const view = whole.subarray(0, 2 * 2 ** 20);
  releaseBody(view);
  assert.equal(view.length, 2 * 2 ** 20, 'the view is not detached');
  assert.equal(whole.length, 4 * 2 ** 20);
});
