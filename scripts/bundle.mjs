#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js) and its npm dependencies into one file,
// dist/beacon.mjs, which bin/beacon.js runs while it is current. Why: `beacon dns` at 50,000
// tasks answered its first query ~80 ms later when Node loaded ~200 files and their packages one
// by one (docs/operations.md, "Start-up"). Only the module loading changes: the code is tsc's
// output as is. Without esbuild (an install without dev dependencies) the bundle is left out and
// the CLI runs from dist/src; a stale one is removed so it can never run older code.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'beacon.mjs');

let esbuild;
try {
  esbuild = createRequire(join(root, 'package.json'))('esbuild');
} catch {
  rmSync(out, { force: true });
  process.stderr.write('[bundle] esbuild is not installed: the CLI runs unbundled from dist/src\n');
  process.exit(0);
}

try {
  await esbuild.build({
    entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Less text to compile at start (2.4 → 1.6 MB); names are kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    // Bundled CommonJS packages (commander, pino, prom-client, the ZooKeeper client) call require.
    banner: {
      js: "import { createRequire as __beaconRequire } from 'node:module'; const require = __beaconRequire(import.meta.url);",
    },
  });
} catch (e) {
  rmSync(out, { force: true });
  process.stderr.write(`[bundle] the bundle failed, the CLI runs unbundled: ${e.message}\n`);
  process.exit(0);
}
