// The RecordIO decoder: the same records however the bytes are cut into chunks, a record copied
// in once rather than joined chunk by chunk, and a clear StateError for a bad length prefix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateError } from '../../src/errors.js';
import { encodeRecord, RecordIoDecoder } from '../../src/model/recordio.js';
import { rng } from '../helpers/random.js';

/** Decodes `bytes` pushed in chunks cut at `cuts` (sorted offsets). */
function decode(bytes: Buffer, cuts: number[]): { records: string[]; pending: number } {
  const d = new RecordIoDecoder();
  const records: string[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    records.push(...d.push(bytes.subarray(at, cut)));
    at = cut;
  }
  return { records, pending: d.pending };
}

const values = [{}, { type: 'HEARTBEAT' }, 'é漢字🙂', '', { big: 'x'.repeat(70_000) }, [1, 2]];
const stream = Buffer.from(values.map((v) => encodeRecord(v)).join(''));
const expected = values.map((v) => JSON.stringify(v));

describe('RecordIoDecoder', () => {
  it('gives the same records for every place one cut can go', () => {
    // Every offset of the small records; every 997th inside the big one.
    for (let cut = 0; cut <= stream.length; cut += cut < 100 || cut > stream.length - 100 ? 1 : 997)
      assert.deepEqual(decode(stream, [cut]), { records: expected, pending: 0 }, `cut at ${cut}`);
  });
  it('gives the same records for random chunkings, bytes one at a time, and one chunk', () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      const cuts = Array.from({ length: 1 + Math.floor(r() * 40) }, () =>
        Math.floor(r() * stream.length),
      ).sort((a, b) => a - b);
      assert.deepEqual(decode(stream, cuts).records, expected);
    }
    const small = Buffer.from(encodeRecord({ a: 'ü' }) + encodeRecord(''));
    const bytes = Array.from({ length: small.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(decode(small, bytes).records, ['{"a":"ü"}', '""']);
    assert.deepEqual(decode(stream, []).records, expected);
  });
  it('holds a partial record and says how many bytes it holds', () => {
    const d = new RecordIoDecoder();
    assert.deepEqual(d.push(Buffer.from('1')), []);
    assert.equal(d.pending, 1);
    assert.deepEqual(d.push(Buffer.from('1\n{"a":')), []);
    assert.equal(d.pending, 8);
    assert.deepEqual(d.push(Buffer.from('"xyz"}2\n[]')), ['{"a":"xyz"}', '[]']);
    assert.equal(d.pending, 0);
  });
  it('a 40 MiB record in 64 KiB chunks (the first event of a 50,000-task stream)', () => {
    const big = Buffer.from(encodeRecord({ state: 'y'.repeat(40 << 20) }));
    const cuts: number[] = [];
    for (let at = 65536; at < big.length; at += 65536) cuts.push(at);
    const { records } = decode(big, cuts);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.length, big.length - big.indexOf(0x0a) - 1);
  });
  it('refuses a bad length prefix, a too long one and a record over the limit', () => {
    assert.throws(() => new RecordIoDecoder().push(Buffer.from('12a\n')), StateError);
    assert.throws(
      () => new RecordIoDecoder().push(Buffer.from('x\n')),
      /expected a record length, got "x"/,
    );
    assert.throws(
      () => new RecordIoDecoder().push(Buffer.from('1'.repeat(21))),
      /longer than 20 digits/,
    );
    const d = new RecordIoDecoder(10);
    assert.throws(() => d.push(Buffer.from('11\n')), /record of 11 bytes is over the limit/);
    assert.deepEqual(new RecordIoDecoder(10).push(Buffer.from('10\n0123456789')), ['0123456789']);
  });
});
