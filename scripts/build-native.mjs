#!/usr/bin/env node
// Builds the optional native addon (native/udp_batch.c: batched UDP I/O for the DNS server with
// recvmmsg/sendmmsg) with node-gyp. Run by npm as the package's "install" script, and by
// scripts/ensure.mjs when the addon is missing. It never fails: without a C compiler, the Node
// headers or Linux, it says so in one line and Beacon uses node's dgram by itself.
// `--if-missing` skips the build when the addon is already there; BEACON_NO_NATIVE=1 skips it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'native', 'build', 'Release', 'beacon_udp_batch.node');
const source = join(root, 'native', 'udp_batch.c');

function say(msg) {
  process.stderr.write(`[build-native] ${msg}\n`);
}

/** node-gyp's entry script: npm's own copy (npm tells install scripts where), else next to node. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const npmPrefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' });
  if (npmPrefix.status === 0 && npmPrefix.stdout.trim()) {
    const p = npmPrefix.stdout.trim();
    candidates.push(join(p, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  return candidates.find((c) => existsSync(c));
}

/** Headers installed with node (distribution packages, official tarballs): no download needed. */
function findNodeDir() {
  const prefixes = [dirname(dirname(process.execPath)), '/usr', '/usr/local'];
  return prefixes.find((p) => existsSync(join(p, 'include', 'node', 'node_api.h')));
}

function main() {
  if (process.env.BEACON_NO_NATIVE === '1') return say('skipped (BEACON_NO_NATIVE=1): the DNS server will use dgram');
  if (process.platform !== 'linux') return say(`skipped on ${process.platform}: the DNS server uses dgram there`);
  if (process.argv.includes('--if-missing') && existsSync(addon) && statSync(addon).mtimeMs >= statSync(source).mtimeMs) return;
  const gyp = findNodeGyp();
  if (!gyp) return say('node-gyp not found (it comes with npm): the DNS server will use dgram');
  const nodedir = findNodeDir();
  const args = [gyp, 'rebuild', '--directory', join(root, 'native'), ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  // `rebuild` cleans first: keep a working addon to put back if this build fails.
  const keep = join(root, 'native', '.previous.node');
  if (existsSync(addon)) copyFileSync(addon, keep);
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 180_000 });
  const ok = r.status === 0 && existsSync(addon);
  if (!ok && existsSync(keep)) {
    mkdirSync(dirname(addon), { recursive: true });
    copyFileSync(keep, addon);
  }
  rmSync(keep, { force: true });
  if (!ok) {
    const why = `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`
      .split('\n')
      .filter((l) => /error|not found|ERR!.*(stack Error|find)/i.test(l))
      .slice(0, 3)
      .join(' | ');
    const kept = existsSync(addon) ? 'the previous build is kept' : 'the DNS server will use dgram';
    return say(`native UDP addon not built (${why || `node-gyp exit ${r.status}`}): ${kept}`);
  }
  say(`built ${addon.slice(root.length + 1)} (batched UDP for the DNS server)`);
}

try {
  main();
} catch (e) {
  say(`native UDP addon not built (${e instanceof Error ? e.message : String(e)}): the DNS server will use dgram`);
}
process.exit(0);
