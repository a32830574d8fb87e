/* global process, console */
// Summarises a V8 .cpuprofile (node --cpu-prof): self-time shares of busy time by function and by
// category, optionally only the samples after SKIP seconds (to leave start-up out). Used for the
// DNS profiles in docs/dns.md: node bench/lib/cpuprofile-summary.mjs FILE [TOP] [SKIP]
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const N = Number(process.argv[3] ?? 25);
const skipUs = Number(process.argv[4] ?? 0) * 1e6;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
let total = 0;
let t = 0;
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]);
  const d = dt[i] ?? 0;
  t += d;
  if (t < skipUs) continue;
  total += d;
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*\/(dist|node:)/, '$1').replace('file://', '')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + d);
}
const rows = [...self].sort((a, b) => b[1] - a[1]);
const idle = rows.filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
console.log(
  `total ${(total / 1e6).toFixed(1)} s, idle ${((100 * idle) / total).toFixed(1)}%; shares of busy time:`,
);
const busy = total - idle;
for (const [k, v] of rows.slice(0, N))
  if (!k.startsWith('(idle)')) console.log(`${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
const cat = (k) =>
  /prom-client/.test(k)
    ? 'prom-client'
    : /garbage/.test(k)
      ? 'GC'
      : /dist\/src\/dns\/codec/.test(k)
        ? 'codec'
        : /dist\/src\/dns/.test(k)
          ? 'dns other'
          : /node:dgram|doSend|node:internal\/dgram/.test(k)
            ? 'dgram'
            : /dist\/src\/http/.test(k)
              ? 'metrics glue'
              : /\(program\)/.test(k)
                ? 'program'
                : 'other';
const c = new Map();
for (const [k, v] of rows) if (!k.startsWith('(idle)')) c.set(cat(k), (c.get(cat(k)) ?? 0) + v);
console.log(
  'by category:',
  [...c]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${((100 * v) / busy).toFixed(1)}%`)
    .join(', '),
);
