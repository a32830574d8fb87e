// Which file `beacon` runs (bin/entry.js): the one-file bundle while it is current, else the tsc
// output; and the bundle, as built by `npm run build`, answers exactly as the tsc output does.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { beaconAsync as beacon, ROOT } from '../helpers/cli.js';
import { STATE_DIR } from '../records/fixtures.js';

type CliEntry = (root: string, env?: NodeJS.ProcessEnv, argv?: string[]) => string | undefined;
const { cliEntry } = (await import(pathToFileURL(join(ROOT, 'bin', 'entry.js')).href)) as {
  cliEntry: CliEntry;
};

/** A package dir with a tsc output and, when `bundleAge` is given, a bundle that many seconds
 *  older (negative: newer) than it. */
function pkg(bundleAge?: number): { root: string; main: string; bundle: string } {
  const root = mkdtempSync(join(tmpdir(), 'beacon-entry-'));
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  const bundle = join(root, 'dist', 'beacon.mjs');
  mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
  writeFileSync(main, '');
  const now = Date.now() / 1000;
  utimesSync(main, now, now);
  if (bundleAge !== undefined) {
    writeFileSync(bundle, '');
    utimesSync(bundle, now - bundleAge, now - bundleAge);
  }
  return { root, main, bundle };
}

describe('bin/entry.js: which compiled CLI runs', () => {
  it('the bundle when it is as new as the tsc output or newer', () => {
    for (const age of [0, -5]) {
      const p = pkg(age);
      assert.equal(cliEntry(p.root, {}, []), p.bundle);
      rmSync(p.root, { recursive: true });
    }
  });
  it('the tsc output when the bundle is older (tsc ran after it), missing, or not wanted', () => {
    const stale = pkg(5);
    assert.equal(cliEntry(stale.root, {}, []), stale.main);
    const none = pkg();
    assert.equal(cliEntry(none.root, {}, []), none.main);
    const fresh = pkg(-5);
    assert.equal(cliEntry(fresh.root, { BEACON_NO_BUNDLE: '1' }, []), fresh.main);
    assert.equal(cliEntry(fresh.root, {}, ['node', 'beacon', 'dns', '--debug']), fresh.main);
    for (const p of [stale, none, fresh]) rmSync(p.root, { recursive: true });
  });
  it('nothing when the CLI is not built', () => {
    const root = mkdtempSync(join(tmpdir(), 'beacon-entry-'));
    assert.equal(cliEntry(root, {}, []), undefined);
    rmSync(root, { recursive: true });
  });
});

describe('the bundled CLI (dist/beacon.mjs)', () => {
  it('is built and current, and prints the same zone and errors as the tsc output', async () => {
    assert.equal(
      cliEntry(ROOT, {}, []),
      join(ROOT, 'dist', 'beacon.mjs'),
      'npm run build makes dist/beacon.mjs after the tsc output',
    );
    const args = [
      'records',
      '--state',
      join(STATE_DIR, 'aurora-discovery.json'),
      '--config',
      join(STATE_DIR, 'aurora-discovery.config.json'),
    ];
    const bundled = await beacon(args);
    const plain = await beacon(args, { BEACON_NO_BUNDLE: '1' });
    assert.equal(bundled.status, 0, bundled.stderr);
    assert.equal(bundled.stdout, readFileSync(join(STATE_DIR, 'aurora-discovery.zone'), 'utf8'));
    assert.deepEqual(bundled, plain);
    const bad = ['records', '--state', join(STATE_DIR, 'no-such-state.json')];
    const badBundled = await beacon(bad);
    assert.notEqual(badBundled.status, 0);
    assert.match(badBundled.stderr, /^beacon: .*no-such-state\.json/);
    assert.deepEqual(badBundled, await beacon(bad, { BEACON_NO_BUNDLE: '1' }));
  });
});
