// Aurora portmap resolution: chains, static ports, the default and replaced portmap, dropped
// names, the primary port, cycles and bad port numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePortmap, type PortmapInput, type ResolvedPorts } from '../../src/model/ports.js';
import { PortmapError } from '../../src/errors.js';

const table: [string, PortmapInput, Partial<ResolvedPorts>][] = [
  [
    'default portmap {aurora: primary}, primary http',
    { assigned: { http: 31000, health: 31001 } },
    {
      serviceEndpointPort: 31000,
      endpoints: { aurora: 31000, http: 31000, health: 31001 },
      unresolved: {},
    },
  ],
  [
    'default portmap follows a custom primary',
    { assigned: { web: 31000 }, primary: 'web' },
    { serviceEndpointPort: 31000, endpoints: { aurora: 31000, web: 31000 } },
  ],
  [
    'a given portmap replaces the default (no aurora alias)',
    { assigned: { http: 31000, tcp: 31002 }, portmap: { alias: 'http' } },
    { serviceEndpointPort: 31000, endpoints: { alias: 31000, http: 31000, tcp: 31002 } },
  ],
  [
    'chains name → name → port',
    { assigned: { http: 80 }, portmap: { aurora: 'http', https: 'aurora', thrift: 'service' } },
    {
      serviceEndpointPort: 80,
      endpoints: { aurora: 80, https: 80, http: 80 },
      unresolved: { thrift: 'service' },
    },
  ],
  [
    'static ports: numbers and numeric strings',
    {
      assigned: { http: 31000 },
      portmap: { admin: 9990, legacy: '8080', padded: ' 81 ', viaStatic: 'legacy' },
    },
    { endpoints: { admin: 9990, legacy: 8080, padded: 81, viaStatic: 8080, http: 31000 } },
  ],
  [
    'assigned ports win over a portmap entry of the same name',
    { assigned: { http: 31000 }, portmap: { http: 'nothing', aurora: 'http' } },
    { serviceEndpointPort: 31000, endpoints: { http: 31000, aurora: 31000 }, unresolved: {} },
  ],
  [
    'primary that does not resolve → port 0',
    { assigned: { health: 31001 }, primary: 'http' },
    { serviceEndpointPort: 0, endpoints: { health: 31001 }, unresolved: { aurora: 'http' } },
  ],
  [
    'primary that is an alias resolves through it',
    { assigned: { http: 31000 }, portmap: { main: 'http' }, primary: 'main' },
    { serviceEndpointPort: 31000 },
  ],
  [
    'primary may be a static port',
    { assigned: {}, portmap: { http: 8080 } },
    { serviceEndpointPort: 8080, endpoints: { http: 8080 } },
  ],
  [
    'odd names stay plain keys',
    { assigned: { constructor: 1, ['__proto__']: 2 }, portmap: {} },
    { serviceEndpointPort: 0 },
  ],
];

test('portmap resolution table', () => {
  for (const [name, input, expected] of table) {
    const got = resolvePortmap(input);
    for (const [k, v] of Object.entries(expected)) {
      assert.deepEqual(got[k as keyof ResolvedPorts], v, `${name}: ${k}`);
    }
  }
  const odd = resolvePortmap(table[table.length - 1]![1]);
  assert.deepEqual(Object.keys(odd.endpoints).sort(), ['__proto__', 'constructor']);
  assert.equal(Object.getPrototypeOf(odd.endpoints), Object.prototype);
});

test('cycles are PortmapErrors naming the cycle', () => {
  const cases: [Record<string, string>, string][] = [
    [{ a: 'b', b: 'a' }, 'alias a → b → a'],
    [{ x: 'x' }, 'alias x → x'],
    [{ start: 'a', a: 'b', b: 'c', c: 'a' }, 'a → b → c → a'],
  ];
  for (const [portmap, mention] of cases) {
    assert.throws(
      () => resolvePortmap({ assigned: { http: 1 }, portmap }),
      (e: unknown) =>
        e instanceof PortmapError && e.code === 'BEACON_E_PORTMAP' && e.message.includes(mention),
      mention,
    );
  }
  // An assigned port breaks what would otherwise be a cycle.
  assert.deepEqual(resolvePortmap({ assigned: { a: 5 }, portmap: { a: 'b', b: 'a' } }).endpoints, {
    a: 5,
    b: 5,
  });
});

test('port numbers outside 1..65535 are PortmapErrors', () => {
  const bad: [PortmapInput, string][] = [
    [{ assigned: { http: 0 } }, 'assigned port http'],
    [{ assigned: { http: 65536 } }, '65536'],
    [{ assigned: { http: 1.5 } }, '1.5'],
    [{ assigned: { http: 1 }, portmap: { s: 70000 } }, 'portmap s'],
    [{ assigned: { http: 1 }, portmap: { s: '-1' } }, 'portmap s="-1"'],
    [{ assigned: { http: 1 }, portmap: { s: '0' } }, 'port 0'],
    [{ assigned: { http: 1 }, portmap: { s: '' } }, 'portmap s'],
  ];
  for (const [input, mention] of bad) {
    assert.throws(
      () => resolvePortmap(input),
      (e: unknown) => e instanceof PortmapError && e.message.includes(mention),
      mention,
    );
  }
});
