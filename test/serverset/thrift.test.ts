// Thrift member encoding: the spec's field layout byte by byte, round trips, skipping unknown
// fields of every TBinaryProtocol type, and bounds checks on hostile input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMember, decodeThrift, encodeThrift } from '../../src/serverset/codec.js';
import { MAX_DEPTH } from '../../src/serverset/thrift.js';
import type { ServiceInstance } from '../../src/model/service-instance.js';
import { DecodeError } from '../../src/errors.js';

const reference: ServiceInstance = {
  serviceEndpoint: { host: 'foo', port: 1000 },
  additionalEndpoints: { http: { host: 'foo', port: 8080 } },
  status: 'ALIVE',
  shard: 42,
};

// Written out by hand from spec/serverset.md, independently of the encoder.
const REFERENCE_HEX = [
  '0c0001', //                 field 1 serviceEndpoint STRUCT
  '0b0001',
  '00000003',
  '666f6f', // host STRING "foo"
  '080002',
  '000003e8', //     port I32 1000
  '00', //                     end Endpoint
  '0d0002',
  '0b',
  '0c',
  '00000001', // field 2 additionalEndpoints MAP<STRING,STRUCT> size 1
  '00000004',
  '68747470', //   key "http"
  '0b0001',
  '00000003',
  '666f6f',
  '080002',
  '00001f90',
  '00', // Endpoint foo:8080
  '080003',
  '00000002', //     field 3 status I32 ALIVE=2
  '080004',
  '0000002a', //     field 4 shard I32 42
  '00', //                     end ServiceInstance
].join('');

test('encodes the spec field layout byte by byte', () => {
  assert.equal(encodeThrift(reference).toString('hex'), REFERENCE_HEX);
});

test('decodes the hand-written reference', () => {
  assert.deepEqual(decodeThrift(Buffer.from(REFERENCE_HEX, 'hex')), reference);
});

test('round trips every status, metadata, no shard, empty endpoints', () => {
  const statuses = ['DEAD', 'STARTING', 'ALIVE', 'STOPPING', 'STOPPED', 'WARNING'] as const;
  statuses.forEach((status, i) => {
    const inst: ServiceInstance = {
      serviceEndpoint: { host: 'hôst.example', port: i },
      additionalEndpoints:
        i % 2 ? {} : { a: { host: 'x', port: 65535 }, b: { host: 'y', port: 1 } },
      status,
      ...(i % 3 ? { shard: i * 1000 } : {}),
      ...(i % 2 ? { metadata: { k: 'v', ü: '' } } : {}),
    };
    const bytes = encodeThrift(inst);
    assert.equal(bytes[0], 0x0c);
    assert.deepEqual(decodeThrift(bytes), inst);
    const r = decodeMember(bytes);
    assert.ok(r.ok);
    assert.deepEqual(r.instance, inst);
  });
});

test('status values outside the enum read as UNKNOWN', () => {
  const bytes = encodeThrift(reference);
  const at = bytes.indexOf(Buffer.from('08000300000002', 'hex'));
  bytes.writeInt32BE(99, at + 3);
  const r = decodeMember(bytes);
  assert.ok(r.ok);
  assert.equal(r.instance.status, 'UNKNOWN');
  assert.ok(r.warnings.some((w) => w.includes('99')));
});

/** One unknown field (id 99) of each TBinaryProtocol type, with nested containers. */
const UNKNOWN_FIELDS: Record<string, string> = {
  BOOL: '020063' + '01',
  BYTE: '030063' + 'ff',
  DOUBLE: '040063' + '400921fb54442d18',
  I16: '060063' + '7fff',
  I32: '080063' + '00000007',
  I64: '0a0063' + '0000000000000001',
  STRING: '0b0063' + '00000002' + '6869',
  STRUCT:
    '0c0063' + '0b0001' + '00000001' + '78' + '0f0002' + '08' + '00000001' + '00000001' + '00',
  MAP: '0d0063' + '0b' + '0f' + '00000001' + '00000001' + '6b' + '03' + '00000002' + '0102',
  SET: '0e0063' + '0c' + '00000002' + '00' + '020001' + '0100',
  LIST: '0f0063' + '0d' + '00000001' + '0808' + '00000001' + '00000001' + '00000002',
  'empty MAP with type 0': '0d0063' + '0000' + '00000000',
  'empty LIST': '0f0063' + '0b' + '00000000',
};

test('unknown fields of every Thrift type are skipped, at top level and in endpoints', () => {
  for (const [type, hex] of Object.entries(UNKNOWN_FIELDS)) {
    const ref = Buffer.from(REFERENCE_HEX, 'hex');
    // Before the final STOP of the ServiceInstance…
    const top = Buffer.concat([ref.subarray(0, ref.length - 1), Buffer.from(hex + '00', 'hex')]);
    assert.deepEqual(decodeThrift(top), reference, `top-level ${type}`);
    // …and first thing inside serviceEndpoint (right after its field header).
    const inner = Buffer.concat([ref.subarray(0, 3), Buffer.from(hex, 'hex'), ref.subarray(3)]);
    assert.deepEqual(decodeThrift(inner), reference, `in Endpoint ${type}`);
  }
});

test('Endpoint inet/inet6 fields and known ids with an unexpected type are skipped', () => {
  const hex = REFERENCE_HEX.replace(
    '080002000003e800',
    '080002000003e8' +
      '0b0003' +
      '00000007' +
      '312e322e332e34' +
      '0b0004' +
      '00000003' +
      '3a3a31' +
      '00',
  );
  assert.deepEqual(decodeThrift(Buffer.from(hex, 'hex')), reference);
  // shard written as a STRING: skipped like generated Thrift code does, so no shard.
  const wrongType = REFERENCE_HEX.replace('0800040000002a', '0b0004' + '00000002' + '3432');
  const { shard, ...noShard } = reference;
  assert.equal(shard, 42);
  assert.deepEqual(decodeThrift(Buffer.from(wrongType, 'hex')), noShard);
});

test('bytes after the final STOP are ignored, as TDeserializer does', () => {
  assert.deepEqual(decodeThrift(Buffer.from(REFERENCE_HEX + 'deadbeef', 'hex')), reference);
});

const expectDecodeError = (hex: string | Buffer, mention: string) => {
  const buf = typeof hex === 'string' ? Buffer.from(hex, 'hex') : hex;
  assert.throws(
    () => decodeThrift(buf),
    (e: unknown) => e instanceof DecodeError && e.message.includes(mention),
    `${buf.toString('hex').slice(0, 60)} should fail mentioning "${mention}"`,
  );
  const r = decodeMember(buf);
  assert.equal(r.ok, false);
};

test('every truncation of a valid blob is a DecodeError', () => {
  const ref = Buffer.from(REFERENCE_HEX, 'hex');
  for (let n = 1; n < ref.length; n++) expectDecodeError(ref.subarray(0, n), '');
});

test('hostile sizes, types and nesting are DecodeErrors, not RangeErrors or hangs', () => {
  const base = '0c0001' + '0b0001' + '00000001' + '68' + '080002' + '00000001' + '00';
  expectDecodeError('0c0001' + '0b0001' + 'ffffffff', 'negative');
  expectDecodeError('0c0001' + '0b0001' + '7fffffff', 'exceeds');
  expectDecodeError(base + '0d0063' + '0808' + '80000000', 'negative');
  expectDecodeError(base + '0d0063' + '0808' + '10000000', 'exceeds');
  expectDecodeError(base + '0f0063' + '08' + '7fffffff', 'exceeds');
  expectDecodeError(base + '0e0063' + '00' + '00000001' + '00', 'STOP');
  expectDecodeError(base + '070063' + '00', 'unknown type 7');
  expectDecodeError(base + '010063' + '00', 'unknown type 1');
  expectDecodeError(
    base + '0d0002' + '0b08' + '00000001' + '00000001' + '61' + '00000001',
    'MAP<STRING,I32>',
  );
  expectDecodeError(base + '0d0005' + '0b0c' + '00000001' + '00000001' + '61' + '00', 'metadata');
  // A list nested deeper than MAX_DEPTH: 0f 0f 00000001 repeated.
  const deep = base + '0f0063' + '0f00000001'.repeat(MAX_DEPTH + 5) + '08' + '00000000';
  expectDecodeError(deep, 'deeper');
  // A string that is not UTF-8.
  expectDecodeError(
    '0c0001' + '0b0001' + '00000002' + 'c328' + '080002' + '00000001' + '0000',
    'UTF-8',
  );
  // A million-element claim in a small buffer must fail fast.
  const t0 = performance.now();
  expectDecodeError(base + '0f0063' + '02' + '000f4240' + '01'.repeat(100), 'exceeds');
  assert.ok(performance.now() - t0 < 1000);
});

test('members without a valid serviceEndpoint are refused after decoding', () => {
  expectDecodeError('00', 'serviceEndpoint is missing');
  expectDecodeError('0c0001' + '080002' + '00000001' + '00' + '00', 'host missing');
  expectDecodeError(
    '0c0001' + '0b0001' + '00000001' + '68' + '080002' + '00010000' + '00' + '00',
    'port 65536',
  );
});
