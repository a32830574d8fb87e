// Bounded fuzzing of the member decoders: random and mutated buffers must never make them throw
// anything but DecodeError (decodeThrift/decodeJson) or throw at all (decodeMember).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeJson,
  decodeMember,
  decodeThrift,
  encodeJson,
  encodeThrift,
} from '../../src/serverset/codec.js';
import type { ServiceInstance } from '../../src/model/service-instance.js';
import { DecodeError } from '../../src/errors.js';
import { rng } from '../helpers/random.js';

const seeds: ServiceInstance[] = [
  {
    serviceEndpoint: { host: 'foo', port: 1000 },
    additionalEndpoints: { http: { host: 'foo', port: 8080 }, health: { host: 'foo', port: 8081 } },
    status: 'ALIVE',
    shard: 42,
    metadata: { zone: 'a' },
  },
  { serviceEndpoint: { host: 'h', port: 0 }, additionalEndpoints: {}, status: 'DEAD' },
];
const corpus: Buffer[] = seeds.flatMap((s) => [encodeJson(s), encodeThrift(s)]);

// Values that tend to hit size and type checks when spliced into Thrift.
const INTERESTING = [0x00, 0x01, 0x02, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x7f, 0x80, 0xff];

function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const pick = (n: number) => Math.floor(r() * n);
  switch (pick(6)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + pick(4); i < n; i++) b[pick(b.length)] = pick(256);
      return b;
    case 1: // interesting bytes
      for (let i = 0, n = 1 + pick(4); i < n; i++)
        b[pick(b.length)] = INTERESTING[pick(INTERESTING.length)]!;
      return b;
    case 2: // a big or negative i32 somewhere (sizes and lengths)
      if (b.length >= 4)
        b.writeInt32BE([0x7fffffff, -1, -0x80000000, 0x10000, 1e6][pick(5)]!, pick(b.length - 3));
      return b;
    case 3: // truncate
      return b.subarray(0, pick(b.length));
    case 4: {
      // duplicate a slice (nesting, repeated fields)
      const s = pick(b.length);
      const e = s + pick(b.length - s);
      return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
    }
    default: {
      // random bytes with a plausible first byte
      const out = Buffer.alloc(pick(64));
      for (let i = 0; i < out.length; i++) out[i] = pick(256);
      if (out.length > 0) out[0] = [0x0c, 0x7b, pick(256)][pick(3)]!;
      if (out.length > 1 && out[0] === 0x7b) out[1] = 0x22;
      return out;
    }
  }
}

test('50,000 random and mutated members: decodeMember never throws, decoders throw only DecodeError', () => {
  const seed = Number(process.env.BEACON_FUZZ_SEED ?? 0x5eed);
  const r = rng(seed);
  const started = performance.now();
  let accepted = 0;
  let thriftish = 0;
  for (let i = 0; i < 50_000; i++) {
    const buf = mutate(corpus[i % corpus.length]!, r);
    const res = decodeMember(buf);
    if (res.ok) accepted++;
    else
      assert.ok(
        !res.reason.startsWith('internal'),
        `seed ${seed} case ${i}: ${res.reason} for ${buf.toString('hex')}`,
      );
    const direct = buf[0] === 0x0c ? decodeThrift : buf[0] === 0x7b ? decodeJson : undefined;
    if (direct === undefined) continue;
    if (direct === decodeThrift) thriftish++;
    try {
      direct(buf);
    } catch (e) {
      assert.ok(
        e instanceof DecodeError,
        `seed ${seed} case ${i}: ${String(e)} for ${buf.toString('hex')}`,
      );
    }
  }
  const ms = performance.now() - started;
  // Sanity: the mutator must exercise both paths and keep some members decodable, else the test
  // proves nothing. (Timing is reported, not asserted: benchmarks live in bench/.)
  assert.ok(accepted > 1000, `only ${accepted} members decoded`);
  assert.ok(thriftish > 10_000, `only ${thriftish} Thrift-looking inputs`);
  console.log(`# fuzz: 50000 inputs in ${ms.toFixed(0)} ms, ${accepted} decoded, seed ${seed}`);
});
