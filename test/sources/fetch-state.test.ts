// cutShort: a state document that begins like a JSON object but does not end like one is turned
// away from its bytes, before it is decoded and parsed; anything else is left to JSON.parse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutShort } from '../../src/sources/fetch-state.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

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
