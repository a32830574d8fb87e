// The package's own files (the native addon, examples, the dashboard's files, the compiled task
// runner and DNS worker) are found from the package root, not from the importing module's place:
// the CLI also runs as one bundled file (dist/beacon.mjs, scripts/bundle.mjs), which sits
// elsewhere than the tsc output in dist/src it is made from.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above `from` holding bin/beacon.js. */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'beacon.js'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`beacon's package root not found above ${from} (no bin/beacon.js)`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A file of the tsc output, by its path under dist/src (e.g. `cluster/runner.js`). */
export function compiledFile(path: string): string {
  return join(PACKAGE_ROOT, 'dist', 'src', path);
}
