#!/usr/bin/env node
// Set-up that `npm start`, `npm test` and `npm run bench` do for themselves on a fresh machine:
// npm dependencies when missing, Debian packages the suite needs (only as root, only when
// missing), and an up-to-date build of the TypeScript sources. Node built-ins only: it runs
// before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

// Debian packages by purpose: test = what `npm test` needs; bench = also the baselines.
export const SYSTEM_PACKAGES = {
  test: [
    { pkg: 'zookeeper', probe: '/usr/share/zookeeper/bin/zkServer.sh' },
    { pkg: 'bind9-dnsutils', probe: '/usr/bin/dig' },
    { pkg: 'openssl', probe: '/usr/bin/openssl' },
    // Real secondaries for the zone-transfer tests.
    { pkg: 'nsd', probe: '/usr/sbin/nsd' },
    { pkg: 'knot', probe: '/usr/sbin/knotd' },
    { pkg: 'bind9', probe: '/usr/sbin/named' },
  ],
  bench: [{ pkg: 'dnsperf', probe: '/usr/bin/dnsperf' }],
  browser: [{ pkg: 'chromium', probe: '/usr/bin/chromium' }],
};

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  return r.status === 0;
}

function say(msg) {
  process.stderr.write(`[ensure] ${msg}\n`);
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && existsSync(join(root, 'node_modules', 'typescript'))) return;
  const hasLock = existsSync(join(root, 'package-lock.json'));
  say(`installing npm dependencies (${hasLock ? 'npm ci' : 'npm install'})`);
  if (!run('npm', [hasLock ? 'ci' : 'install', '--no-audit', '--no-fund'])) {
    say('npm could not install the dependencies; see the output above');
    process.exit(1);
  }
}

function ensureSystem(groups) {
  const missing = groups.flatMap((g) => SYSTEM_PACKAGES[g]).filter((p) => !existsSync(p.probe));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  if (process.getuid?.() !== 0) {
    say(`missing Debian packages: ${names.join(' ')} — install them (apt-get install ${names.join(' ')}); tests needing them will fail`);
    return;
  }
  say(`installing Debian packages: ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env });
  if (!install()) {
    run('apt-get', ['update', '-qq'], { env });
    if (!install()) {
      say(`apt-get could not install ${names.join(' ')}`);
      process.exit(1);
    }
  }
}

// The sources, then the dashboard's browser script against their types (checked, not emitted).
function build() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const project of ['tsconfig.json', 'tsconfig.dashboard.json']) {
    if (!run(process.execPath, [tsc, '-p', project])) {
      say(`the TypeScript build failed (${project}); see the errors above`);
      process.exit(1);
    }
  }
}

/** The optional native UDP addon: npm ci builds it (the "install" script); an existing checkout
 *  that predates it, or a changed source, gets it here. Never fails (dgram is the fallback). */
function ensureNative() {
  run(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--if-missing']);
}

ensureNodeModules();
ensureNative();
const groups = [];
if (args.has('--system')) groups.push('test');
if (args.has('--bench')) groups.push('test', 'bench');
if (args.has('--browser')) groups.push('browser');
if (groups.length) ensureSystem([...new Set(groups)]);
if (args.has('--build')) build();
