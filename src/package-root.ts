// The package's own files (the native addon, examples, the dashboard's files, the compiled task
// runner and DNS worker) are found from the package root, in one place, rather than by counting
// `..` from wherever the importing module was compiled to.
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
