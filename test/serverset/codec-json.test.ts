// JSON member encoding: the byte-exact reference from spec/serverset.md, key order, round trips,
// and refusal to write members other readers would reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJson, decodeMember, encodeJson } from '../../src/serverset/codec.js';
import type { ServiceInstance } from '../../src/model/service-instance.js';
import { InputError } from '../../src/errors.js';

const REFERENCE =
  '{"serviceEndpoint":{"host":"foo","port":1000},"additionalEndpoints":{"http":{"host":"foo","port":8080}},"status":"ALIVE","shard":42}';

const reference: ServiceInstance = {
  serviceEndpoint: { host: 'foo', port: 1000 },
  additionalEndpoints: { http: { host: 'foo', port: 8080 } },
  status: 'ALIVE',
  shard: 42,
};

test('encodes the commons reference bytes exactly', () => {
  const bytes = encodeJson(reference);
  assert.ok(Buffer.isBuffer(bytes));
  assert.equal(bytes.toString('utf8'), REFERENCE);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x7b, 0x22]);
});

test('key order is fixed whatever order the instance object has', () => {
  const shuffled = {
    shard: 42,
    status: 'ALIVE',
    additionalEndpoints: { http: { port: 8080, host: 'foo' } },
    serviceEndpoint: { port: 1000, host: 'foo' },
  } as ServiceInstance;
  assert.equal(encodeJson(shuffled).toString(), REFERENCE);
});

test('additionalEndpoints is always written, shard and metadata only when set', () => {
  const bare: ServiceInstance = {
    serviceEndpoint: { host: 'h', port: 1 },
    additionalEndpoints: {},
    status: 'ALIVE',
  };
  assert.equal(
    encodeJson(bare).toString(),
    '{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{},"status":"ALIVE"}',
  );
  assert.equal(
    encodeJson({ ...bare, metadata: {} }).toString(),
    '{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{},"status":"ALIVE"}',
  );
  assert.equal(
    encodeJson({ ...bare, shard: 0, metadata: { zone: 'a' } }).toString(),
    '{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{},"status":"ALIVE","shard":0,"metadata":{"zone":"a"}}',
  );
});

test('extra properties on endpoints do not reach the wire', () => {
  const inst = {
    serviceEndpoint: { host: 'h', port: 1, inet: 'x' },
    additionalEndpoints: {},
    status: 'ALIVE',
  } as unknown as ServiceInstance;
  assert.ok(!encodeJson(inst).toString().includes('inet'));
});

test('round trip through decodeMember and decodeJson', () => {
  const full: ServiceInstance = {
    ...reference,
    additionalEndpoints: {
      http: { host: 'foo', port: 8080 },
      'health-check': { host: 'ĥöst', port: 0 },
    },
    metadata: { a: 'b', '': 'empty key' },
  };
  for (const inst of [reference, full]) {
    const r = decodeMember(encodeJson(inst));
    assert.ok(r.ok, !r.ok ? r.reason : '');
    assert.deepEqual(r.instance, inst);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(decodeJson(encodeJson(inst)), inst);
  }
});

test('the encoder refuses members other readers would reject', () => {
  const bad: [string, Partial<ServiceInstance>][] = [
    ['port', { serviceEndpoint: { host: 'h', port: 70000 } }],
    ['port', { serviceEndpoint: { host: 'h', port: 1.5 } }],
    ['host', { serviceEndpoint: { host: '', port: 1 } }],
    ['additionalEndpoints["x"]', { additionalEndpoints: { x: { host: 'h', port: -1 } } }],
    ['status', { status: 'UNKNOWN' }],
    ['status', { status: 'BOGUS' as 'ALIVE' }],
    ['shard', { shard: 2 ** 31 }],
    ['metadata["k"]', { metadata: { k: 1 as unknown as string } }],
  ];
  for (const [mention, patch] of bad) {
    assert.throws(
      () => encodeJson({ ...reference, ...patch }),
      (e: unknown) => e instanceof InputError && e.message.includes(mention),
      mention,
    );
  }
});

test('the encoder writes the instance status, whatever it is', () => {
  const dead = encodeJson({ ...reference, status: 'DEAD' }).toString();
  assert.ok(dead.includes('"status":"DEAD"'));
});
