#!/usr/bin/env node
// Runs the whole suite with node's built-in test runner over the compiled tests (dist/test).
// Extra arguments are passed to `node --test` (e.g. a single file).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

// Arguments name test files or directories of them (compiled, under dist/test).
const files = extra.length
  ? extra.flatMap((p) => (statSync(p).isDirectory() ? testFiles(p) : [p]))
  : testFiles(join(root, 'dist', 'test'));
// TAP goes to stdout as always; each run's failures also go to a file, printed after the run.
const failDir = mkdtempSync(join(tmpdir(), 'beacon-test-failures-'));
const failFiles = [];
const run = (list, env = {}) => {
  const failFile = join(failDir, `run-${failFiles.length}.txt`);
  failFiles.push(failFile);
  const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout'];
  reporters.push(`--test-reporter=${join(root, 'scripts', 'failures-reporter.mjs')}`);
  reporters.push(`--test-reporter-destination=${failFile}`);
  const args = ['--test', '--test-concurrency=2', '--test-timeout=180000', ...reporters, ...list];
  return (
    spawnSync(process.execPath, args, {
      stdio: 'inherit',
      cwd: root,
      env: { ...process.env, BEACON_TEST: '1', BEACON_LOG: process.env.BEACON_LOG ?? 'error', ...env },
    }).status ?? 1
  );
};

let status = run(files);
// The DNS server has two UDP paths (src/dns/udp.ts): the run above used the batched native one
// where the addon is built; run the DNS tests again on node's dgram path.
const dnsDir = join(root, 'dist', 'test', 'dns');
const dnsFiles = files.filter((f) => join(root, f).startsWith(dnsDir) || f.startsWith(dnsDir));
if (dnsFiles.length > 0 && process.env.BEACON_DNS_UDP !== 'dgram') {
  process.stderr.write(`\n[run-tests] the DNS tests again on the dgram UDP path (BEACON_DNS_UDP=dgram)\n`);
  const again = run(dnsFiles, { BEACON_DNS_UDP: 'dgram' });
  if (status === 0) status = again;
}
const failures = failFiles.map((f) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
});
rmSync(failDir, { recursive: true, force: true });
if (failures.some((f) => f.length > 0)) {
  process.stderr.write(`\n[run-tests] failures (the TAP output above has the details):\n`);
  process.stderr.write(failures.join(''));
}
process.exit(status);
