// Which compiled entry `beacon` runs: the one-file bundle (dist/beacon.mjs, scripts/bundle.mjs)
// while it is at least as new as the tsc output it is made from, else dist/src/cli/main.js: a
// `tsc` run after the bundle leaves it stale, BEACON_NO_BUNDLE=1 asks for the tsc output, and so
// does --debug (its stack traces then name the compiled files and lines, not one bundled line).
import { statSync } from 'node:fs';
import { join } from 'node:path';

/** The file to import, or undefined when the CLI is not built. */
export function cliEntry(root, env = process.env, argv = process.argv) {
  const main = join(root, 'dist', 'src', 'cli', 'main.js');
  const bundle = join(root, 'dist', 'beacon.mjs');
  const mainAt = mtime(main);
  if (mainAt === undefined) return undefined;
  if (env.BEACON_NO_BUNDLE === '1' || argv.includes('--debug')) return main;
  const bundleAt = mtime(bundle);
  return bundleAt !== undefined && bundleAt >= mainAt ? bundle : main;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
