// Fuzzing the config loader (bounded: 5,000 objects + 1,000 JSON texts by default;
// BEACON_FUZZ_CASES=N for longer runs, BEACON_FUZZ_SEED to replay): random and mutated config
// objects (known keys in any case, valid and invalid values, odd JS values) go through
// parseConfig, mutated JSON texts through loadConfig. The loader must either return a config
// whose every value is usable, or throw a ConfigError whose message names a key it was given —
// never anything else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  defaultConfig,
  loadConfig,
  parseConfig,
  redactConfig,
  type ConfigResult,
} from '../../src/config/mesos-dns.js';
import { parseNetworks } from '../../src/dns/index.js';
import { ConfigError } from '../../src/errors.js';
import { pick, rng } from '../helpers/random.js';

const CASES = Number(process.env.BEACON_FUZZ_CASES ?? 5000);
const SEED = Number(process.env.BEACON_FUZZ_SEED ?? 0xc0f1);

const KEYS = Object.keys(defaultConfig());

/** Values that are valid for some key: mixed in so fuzzing reaches the cross-key checks. */
const GOOD: Record<string, unknown[]> = {
  zk: ['', 'zk://10.0.0.1:2181/mesos', 'zk://u:p@h1:2181,h2/mesos'],
  masters: [[], ['10.0.0.1:5050'], ['https://m1:5050', '[::1]:5050']],
  MesosAuthentication: ['', 'basic'],
  MesosCredentials: [
    { Principal: 'p', Secret: 's' },
    { principal: '', SECRET: 'x' },
    { Principal: 'p', other: 1 },
  ],
  forwardAllowedNetworks: [
    [],
    ['10.0.0.0/8'],
    ['::/0', '0.0.0.0/0'],
    ['10.0.0.1/8'],
    ['fc00::/7', 'x'],
  ],
  rrlExemptNetworks: [[], ['127.0.0.0/8', '::1/128'], ['::ffff:10.0.0.0/104'], ['1.2.3.4/33']],
  rrlResponsesPerSecond: [0, 1, 100, 1_000_000, 1_000_001],
  rrlSlip: [0, 1, 2, 10, 11],
  IPSources: [['host'], ['netinfo', 'mesos', 'docker', 'host'], []],
  domain: ['mesos', 'Example.COM.', '-bad-', ''],
  listener: ['0.0.0.0', '::', '127.0.0.1', 'localhost'],
  port: [0, 53, 65535, 65536],
  stateSource: ['poll', 'stream', 'push'],
  zoneResolvers: [{}, { 'a.b': ['1.2.3.4'] }, { x: 'nope' }],
};

function randomString(r: () => number): string {
  const alphabet = 'ab0:./@%-_ zZ\u00e9\u0000\ud83d\ude00[]"\\';
  let s = '';
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 16);
  switch (k) {
    case 0:
      return Math.floor(r() * 2 ** 33) - 2 ** 32;
    case 1:
      return r() * 1e6 - 5e5;
    case 2:
      return pick(r, [NaN, Infinity, -Infinity, -0, Number.MAX_SAFE_INTEGER + 2, 1e308]);
    case 3:
      return randomString(r);
    case 4:
      return r() < 0.5;
    case 5:
      return null;
    case 6:
      return undefined;
    case 7:
      return depth > 2
        ? []
        : Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 8:
      return depth > 2 ? {} : randomObject(r, depth + 1);
    case 9:
      return pick(r, ['10.0.0.0/8', '::1', '300.1.1.1', 'fe80::1%lo', '1.2.3.4/', '/8', '::/0']);
    case 10:
      return BigInt(Math.floor(r() * 1000));
    case 11:
      return Symbol('s');
    case 12:
      return () => 1;
    case 13: {
      const cyc: Record<string, unknown> = { a: 1 };
      cyc.self = cyc;
      return cyc;
    }
    default:
      return pick(r, Object.values(GOOD).flat());
  }
}

/** Spells a known key in a random case, sometimes misspelled. */
function keyName(r: () => number, key: string): string {
  if (r() < 0.1) return `${key}x`;
  let out = '';
  for (const c of key)
    out += r() < 0.3 ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c;
  return out;
}

function randomObject(r: () => number, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const key =
      r() < 0.8
        ? keyName(r, pick(r, KEYS))
        : pick(r, ['__proto__', 'constructor', 'toString', randomString(r)]);
    const good = GOOD[key];
    const value = good && r() < 0.6 ? pick(r, good) : randomValue(r, depth + 1);
    // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it.
    Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return o;
}

/** The config object for one case: random, or the defaults with one or two keys mutated. */
function configCase(r: () => number): unknown {
  const c = Math.floor(r() * 10);
  if (c === 0) return randomValue(r);
  if (c < 5) return randomObject(r);
  const o: Record<string, unknown> = {};
  for (const k of KEYS)
    if (r() < 0.3)
      o[keyName(r, k)] = structuredClone(
        defaultConfig()[k as keyof ReturnType<typeof defaultConfig>],
      );
  for (let i = 0; i < 2; i++) {
    const k = pick(r, KEYS);
    o[k] = GOOD[k] && r() < 0.5 ? pick(r, GOOD[k]) : randomValue(r);
  }
  return o;
}

/** Either a usable config or a ConfigError naming one of the keys given. */
function check(input: unknown, run: () => ConfigResult, replay: string): void {
  let res: ConfigResult;
  try {
    res = run();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `${replay}: threw ${String(e)}`);
    const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
    if (!isObject) {
      assert.match(e.message, /must be a JSON object|not JSON/, replay);
      return;
    }
    const given = Object.keys(input);
    assert.ok(
      given.some((k) => e.message.includes(`"${k}"`)),
      `${replay}: the message names no key given: ${e.message}`,
    );
    return;
  }
  const c = res.config;
  // Every key present, and the values the server will compile are valid.
  for (const k of KEYS) assert.ok(k in c, `${replay}: ${k} missing`);
  parseNetworks(c.forwardAllowedNetworks, 'forwardAllowedNetworks');
  parseNetworks(c.rrlExemptNetworks, 'rrlExemptNetworks');
  assert.ok(Number.isInteger(c.rrlResponsesPerSecond) && c.rrlResponsesPerSecond >= 0, replay);
  assert.ok(Number.isInteger(c.port) && c.port >= 0 && c.port <= 65535, replay);
  assert.ok(c.maxStateAgeSeconds > 0, replay);
  JSON.stringify(redactConfig(c));
  for (const w of res.warnings) assert.equal(typeof w, 'string');
}

describe('config loader fuzzing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-config-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`parseConfig: ${CASES} random and mutated objects`, () => {
    const r = rng(SEED);
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < CASES; i++) {
      const input = configCase(r);
      let threw = false;
      check(
        input,
        () => {
          try {
            return parseConfig(input, 'fuzz.json');
          } catch (e) {
            threw = true;
            throw e;
          }
        },
        `case ${i} (BEACON_FUZZ_SEED=${SEED})`,
      );
      if (threw) rejected++;
      else ok++;
    }
    // Both outcomes were exercised (otherwise the generator is broken, not the loader).
    assert.ok(ok > CASES / 20 && rejected > CASES / 20, `ok ${ok}, rejected ${rejected}`);
  });

  it(`loadConfig: ${Math.ceil(CASES / 5)} mutated JSON texts`, async () => {
    const r = rng(SEED + 1);
    const base = JSON.stringify({
      zk: 'zk://u:p@10.0.0.1:2181/mesos',
      masters: ['10.0.0.1:5050'],
      forwardAllowedNetworks: ['10.0.0.0/8', 'fc00::/7'],
      rrlResponsesPerSecond: 50,
      rrlExemptNetworks: ['127.0.0.0/8'],
      MesosCredentials: { Principal: 'p', Secret: 's' },
      domain: 'mesos',
    });
    const file = join(dir, 'config.json');
    const n = Math.ceil(CASES / 5);
    for (let i = 0; i < n; i++) {
      const chars = [...base];
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(r() * chars.length);
        const op = Math.floor(r() * 3);
        const c = pick(r, [...'{}[]",:0129./-x \\', '\u00e9', 'true', 'null', '"a"']);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, c);
        else chars[at] = c;
      }
      const text = chars.join('');
      writeFileSync(file, text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const replay = `text case ${i} (BEACON_FUZZ_SEED=${SEED}): ${text}`;
      let res: ConfigResult | undefined;
      try {
        res = await loadConfig(file);
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${replay}: threw ${String(e)}`);
        if (parsed === undefined) assert.match(e.message, /not JSON/, replay);
        else
          check(
            parsed,
            () => {
              throw e;
            },
            replay,
          );
        continue;
      }
      check(parsed, () => res, replay);
    }
  });
});
