// decodeMember: codec selection, validation after Finagle zk2's rules, and poison members that
// must give `ok: false` (or a non-ALIVE instance) and never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeJson,
  decodeMember,
  encodeJson,
  encodeThrift,
  isAlive,
} from '../../src/serverset/codec.js';
import { DecodeError } from '../../src/errors.js';

const ok = (text: string) => {
  const r = decodeMember(Buffer.from(text, 'utf8'));
  assert.ok(r.ok, `expected ok for ${text}: ${!r.ok ? r.reason : ''}`);
  return r;
};
const bad = (buf: Uint8Array, mention: string) => {
  const r = decodeMember(buf);
  assert.equal(r.ok, false, `expected a poison member: ${Buffer.from(buf).toString('hex')}`);
  if (!r.ok)
    assert.ok(r.reason.includes(mention), `reason "${r.reason}" should mention "${mention}"`);
};

test('poison members are refused with a reason', () => {
  const cases: [string | Buffer, string][] = [
    [Buffer.alloc(0), 'empty'],
    ['garbage', 'neither a JSON object'],
    ['\ufeff{"serviceEndpoint":{"host":"h","port":1}}', 'neither a JSON object'],
    [' \n\t', 'neither a JSON object'],
    ['[{"serviceEndpoint":{"host":"h","port":1}}]', 'neither a JSON object'],
    ['{"serviceEndpoint":{"host":"h","port":1}', 'does not parse'],
    ['{"', 'does not parse'],
    [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'UTF-8'],
    ['{"status":"ALIVE"}', 'serviceEndpoint is missing'],
    ['{"serviceEndpoint":null}', 'serviceEndpoint is null'],
    ['{"serviceEndpoint":[1,2]}', 'an array'],
    ['{"serviceEndpoint":{"port":1}}', 'host missing'],
    ['{"serviceEndpoint":{"host":7,"port":1}}', 'host 7'],
    ['{"serviceEndpoint":{"host":"","port":1}}', 'empty host'],
    ['{"serviceEndpoint":{"host":"h"}}', 'port missing'],
    ['{"serviceEndpoint":{"host":"h","port":"80"}}', 'port "80"'],
    ['{"serviceEndpoint":{"host":"h","port":80.5}}', 'port 80.5'],
    ['{"serviceEndpoint":{"host":"h","port":65536}}', 'port 65536'],
    ['{"serviceEndpoint":{"host":"h","port":-1}}', 'port -1'],
    [Buffer.from([0x0c]), 'truncated'],
    [Buffer.from([0x0c, 0x00, 0x01, 0x0b, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff]), 'exceeds'],
  ];
  for (const [input, mention] of cases) {
    bad(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, mention);
  }
});

// The Python commons reader (json.loads) and Finagle's zk2 resolver (Jackson, serverset2
// EntryTest's exampleJson has spaces after every colon and comma) read any JSON object; only the
// Java commons reader requires the first two bytes to be `{"`. Pretty-printed members are read.
test('pretty-printed and whitespace-led JSON members are read (Python reader, Finagle zk2)', () => {
  const pretty = [
    '{',
    '  "serviceEndpoint": {"host": "10.0.0.3", "port": 31781},',
    '  "additionalEndpoints": {',
    '    "aurora": {"host": "10.0.0.1", "port": 31781},',
    '    "http": {"host": "10.0.0.2", "port": 31781}',
    '  },',
    '  "status": "ALIVE",',
    '  "shard": 0',
    '}',
  ].join('\n');
  for (const text of [pretty, `\r\n\t ${pretty}\n`, pretty.replace(/\n/g, '\r\n')]) {
    const r = ok(text);
    assert.equal(r.instance.serviceEndpoint.host, '10.0.0.3');
    assert.equal(r.instance.serviceEndpoint.port, 31781);
    assert.deepEqual(Object.keys(r.instance.additionalEndpoints).sort(), ['aurora', 'http']);
    assert.equal(r.instance.shard, 0);
    assert.equal(isAlive(r.instance), true);
  }
  // What Beacon writes stays compact: exactly `{"` first.
  const written = encodeJson(ok(pretty).instance);
  assert.equal(written.subarray(0, 2).toString('latin1'), '{"');
  assert.ok(!/\s/.test(written.toString('utf8')));
});

test('trailing data after the JSON object is refused', () => {
  bad(Buffer.from('{"a":1} trailing'), 'does not parse');
});

test('status: names map, missing or unknown is UNKNOWN; only ALIVE is alive', () => {
  const se = '"serviceEndpoint":{"host":"h","port":1}';
  for (const s of ['DEAD', 'STARTING', 'ALIVE', 'STOPPING', 'STOPPED', 'WARNING']) {
    const r = ok(`{${se},"status":"${s}"}`);
    assert.equal(r.instance.status, s);
    assert.equal(isAlive(r.instance), s === 'ALIVE');
  }
  assert.equal(ok(`{${se}}`).instance.status, 'UNKNOWN');
  const unknown = ok(`{${se},"status":"alive"}`);
  assert.equal(unknown.instance.status, 'UNKNOWN');
  assert.ok(unknown.warnings.some((w) => w.includes('"alive"')));
  assert.equal(ok(`{${se},"status":2}`).instance.status, 'UNKNOWN');
  assert.equal(ok(`{${se},"status":"UNKNOWN"}`).instance.status, 'UNKNOWN');
  assert.equal(isAlive(ok(`{${se},"status":"__proto__"}`).instance), false);
});

test('an invalid additional endpoint is dropped, the member stays (Finagle zk2)', () => {
  const r = ok(
    '{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{"http":{"host":"h","port":2},"bad":{"host":"h","port":"x"},"worse":5},"status":"ALIVE"}',
  );
  assert.deepEqual(r.instance.additionalEndpoints, { http: { host: 'h', port: 2 } });
  assert.equal(r.warnings.length, 2);
  assert.ok(r.warnings[0]!.includes('"bad"'));
  assert.ok(r.warnings[1]!.includes('"worse"'));
});

test('missing additionalEndpoints reads as {}; a non-object one is ignored with a warning', () => {
  assert.deepEqual(
    ok('{"serviceEndpoint":{"host":"h","port":1}}').instance.additionalEndpoints,
    {},
  );
  const r = ok('{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":[]}');
  assert.deepEqual(r.instance.additionalEndpoints, {});
  assert.equal(r.warnings.length, 1);
});

test('unknown keys are ignored; shard and metadata are type-checked', () => {
  const r = ok(
    '{"serviceEndpoint":{"host":"h","port":0,"inet":"1.2.3.4"},"future":{"x":[1]},"shard":"3","metadata":{"a":"b","n":1}}',
  );
  assert.deepEqual(r.instance, {
    serviceEndpoint: { host: 'h', port: 0 },
    additionalEndpoints: {},
    status: 'UNKNOWN',
    metadata: { a: 'b' },
  });
  assert.equal(r.warnings.length, 2);
  assert.equal(ok('{"serviceEndpoint":{"host":"h","port":1},"shard":7}').instance.shard, 7);
  assert.equal(ok('{"serviceEndpoint":{"host":"h","port":1},"shard":null}').warnings.length, 0);
});

test('an endpoint named __proto__ stays an ordinary key', () => {
  const r = ok(
    '{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{"__proto__":{"host":"p","port":9}}}',
  );
  assert.equal(Object.getPrototypeOf(r.instance.additionalEndpoints), Object.prototype);
  assert.deepEqual(Object.keys(r.instance.additionalEndpoints), ['__proto__']);
  assert.deepEqual(
    Object.getOwnPropertyDescriptor(r.instance.additionalEndpoints, '__proto__')?.value,
    {
      host: 'p',
      port: 9,
    },
  );
});

test('Thrift blobs are routed to the Thrift decoder', () => {
  const r = decodeMember(
    encodeThrift({
      serviceEndpoint: { host: 't', port: 5 },
      additionalEndpoints: {},
      status: 'DEAD',
    }),
  );
  assert.ok(r.ok);
  assert.equal(r.instance.serviceEndpoint.host, 't');
  assert.equal(isAlive(r.instance), false);
});

test('decodeJson throws DecodeError with the reason', () => {
  assert.throws(
    () => decodeJson(Buffer.from('{"serviceEndpoint":5}')),
    (e: unknown) =>
      e instanceof DecodeError &&
      e.code === 'BEACON_E_DECODE' &&
      e.message.includes('serviceEndpoint'),
  );
});
