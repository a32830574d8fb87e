#!/usr/bin/env node
// `npm run bench -- NAME [ARGS]`: runs bench/NAME.ts (compiled to dist/bench/NAME.js).
// Installs the baseline servers (dnsperf, nsd, knot) first when running as root.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const dir = join(root, 'dist', 'bench');
const available = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3))
  : [];
if (!name || !available.includes(name)) {
  process.stderr.write(
    `usage: npm run bench -- NAME [ARGS]\n${name ? `unknown benchmark '${name}'. ` : ''}available: ${available.join(', ') || '(none built)'}\n`,
  );
  process.exit(2);
}
spawnSync(process.execPath, [join(root, 'scripts', 'ensure.mjs'), '--bench'], { stdio: 'inherit' });
const r = spawnSync(process.execPath, ['--expose-gc', join(dir, `${name}.js`), ...rest], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
