// The error registry: every code has a class declaring its own `name` and `code` and an HTTP
// status; errors re-made from a code (an HTTP reply's, or with more context) keep it; and no source
// file but src/errors.ts spells a code (read from the sources, so a new literal fails here).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import * as errors from '../src/errors.js';
import {
  BeaconError,
  ErrorCodes,
  ErrorRegistry,
  errorFor,
  isErrorCode,
  NotFoundError,
  withContext,
  ZkAuthError,
  type ErrorCode,
} from '../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|js|mjs)$/.test(name) ? [p] : [];
  });
}

describe('error registry', () => {
  const rows = Object.entries(ErrorRegistry);

  test('every row has a distinct BEACON_E_ code, its kind in the name, and an HTTP error status', () => {
    assert.ok(rows.length >= 20, `${rows.length} codes`);
    const codes = new Set<string>();
    for (const [kind, { code, status }] of rows) {
      assert.equal(code, `BEACON_E_${kind}`, kind);
      assert.ok(!codes.has(code), `${code} twice`);
      codes.add(code);
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
      assert.equal(ErrorCodes[kind as keyof typeof ErrorCodes], code);
      assert.ok(isErrorCode(code));
    }
    assert.ok(!isErrorCode('BEACON_E_HTTP'), 'retired: every code has one status');
    assert.ok(!isErrorCode(undefined));
  });

  test('every code has its own class declaring name and code, with the registry status', () => {
    const exported = (Object.values(errors) as unknown[]).filter(
      (v): v is { name: string; prototype: unknown } =>
        typeof v === 'function' && v.prototype instanceof BeaconError,
    );
    const classOf = new Map<ErrorCode, unknown>();
    for (const [, { code, status }] of rows) {
      const e = errorFor(code, 'boom');
      assert.ok(e instanceof BeaconError, code);
      assert.equal(e.code, code);
      assert.equal(e.status, status, code);
      assert.equal(e.message, 'boom');
      // The class declares its own name (not inherited, not BeaconError's or Error's).
      assert.equal(e.name, e.constructor.name, code);
      assert.ok(Object.hasOwn(e, 'name') && Object.hasOwn(e, 'code'), code);
      assert.ok(exported.includes(e.constructor as never), `${e.name} is exported`);
      assert.ok(!classOf.has(code));
      classOf.set(code, e.constructor);
      assert.match(String(e), new RegExp(`^${e.name}: boom$`));
    }
    // And no exported class is left without a code of its own.
    const used = new Set(classOf.values());
    for (const c of exported) assert.ok(used.has(c), `${c.name} has no code in the registry`);
  });

  test('classes that build their message still report their code', () => {
    const p = new errors.PortInUseError('DNS server (UDP)', '127.0.0.1', 53);
    assert.equal(p.code, ErrorCodes.PORT_IN_USE);
    assert.match(p.message, /127\.0\.0\.1:53 is already in use/);
    const z = new ZkAuthError('noAuth', 'no');
    assert.equal(z.code, ErrorCodes.ZK_AUTH);
    assert.equal(z.reason, 'noAuth');
    assert.equal(new errors.ZkClosedError().code, ErrorCodes.ZK_CLOSED);
  });

  test('withContext keeps the code, and adds none to what has none', () => {
    const e = withContext('master 1', new NotFoundError('no job x'));
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.message, 'master 1: no job x');
    assert.equal(errors.formatError(e), 'master 1: no job x [BEACON_E_NOT_FOUND]');
    const plain = withContext('master 1', new TypeError('oops'));
    assert.ok(!(plain instanceof BeaconError));
    assert.equal(plain.message, 'master 1: oops');
  });

  test('no file in src/ but src/errors.ts spells a BEACON_E_ code', () => {
    const files = sourceFiles(join(ROOT, 'src'));
    assert.ok(files.length > 50, `${files.length} files read`);
    const offenders: string[] = [];
    for (const f of files) {
      const rel = relative(ROOT, f);
      if (rel === join('src', 'errors.ts')) continue;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/BEACON_E_[A-Z]/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
  });
});
