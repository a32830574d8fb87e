#!/usr/bin/env node
// The `beacon` executable: runs the compiled CLI (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    'beacon: the CLI is not built (dist/ is missing). Run `npm install` or `npm run build` in the beacon checkout.\n',
  );
  process.exit(1);
}
await import(main.href);
