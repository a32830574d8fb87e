#!/usr/bin/env node
// The `beacon` executable: runs the compiled CLI (built by `npm install` / `npm run build`).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliEntry } from './entry.js';

const entry = cliEntry(join(dirname(fileURLToPath(import.meta.url)), '..'));
if (!entry) {
  process.stderr.write(
    'beacon: the CLI is not built (dist/ is missing). Run `npm install` or `npm run build` in the beacon checkout.\n',
  );
  process.exit(1);
}
await import(pathToFileURL(entry).href);
