// Preloaded into the devcluster process by `npm run bench -- soak --trace-stalls`
// (NODE_OPTIONS=--import …): names what stalls the devcluster's main event loop. A 10 ms timer
// measures how late it fires; a lateness over STALL_MS is printed as one `beacon-stall {json}`
// line with what overlapped it: garbage collections (perf_hooks 'gc' entries: kind, duration),
// and slow synchronous calls the devcluster makes on that thread (fs write/fdatasync/rename/open,
// child_process.spawn), each timed by a wrapper. Only in the devcluster's main thread; other
// node processes that inherit NODE_OPTIONS (task runners) and worker threads are left alone.
// Every 10 s a `beacon-mem {json}` line gives the heap beside the RSS.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const STALL_MS = Number(process.env.BEACON_STALL_MS ?? 100);
const SLOW_CALL_MS = 5;

interface Span {
  what: string;
  start: number;
  ms: number;
}

if (isMainThread && process.argv.includes('devcluster')) {
  const recent: Span[] = [];
  const keep = (s: Span) => {
    recent.push(s);
    if (recent.length > 500) recent.splice(0, recent.length - 500);
  };
  const GC_KINDS: Record<number, string> = {
    1: 'scavenge',
    2: 'mark-compact',
    4: 'incremental',
    8: 'weak-callbacks',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      if (e.duration >= 1)
        keep({ what: `gc ${GC_KINDS[kind] ?? kind}`, start: e.startTime, ms: e.duration });
    }
  }).observe({ entryTypes: ['gc'] });

  const wrap = <T extends object>(obj: T, name: keyof T & string, label: string) => {
    const orig = obj[name] as unknown as (...a: unknown[]) => unknown;
    (obj as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try {
        return orig.apply(this, args);
      } finally {
        const ms = performance.now() - t;
        if (ms >= SLOW_CALL_MS) keep({ what: label, start: t, ms });
      }
    };
  };
  for (const n of [
    'writeSync',
    'fdatasyncSync',
    'fsyncSync',
    'renameSync',
    'openSync',
    'closeSync',
    'writeFileSync',
    'mkdirSync',
    'readFileSync',
  ] as const)
    wrap(fs, n, `fs.${n}`);
  for (const n of ['spawn', 'spawnSync', 'execFileSync'] as const)
    wrap(childProcess, n, `child_process.${n}`);
  syncBuiltinESMExports();

  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - 10;
    last = now;
    if (late < STALL_MS) return;
    const from = now - late - 10;
    const overlapping = recent
      .filter((s) => s.start + s.ms >= from && s.start <= now)
      .map((s) => `${s.what} ${s.ms.toFixed(1)} ms`);
    const mem = process.memoryUsage();
    process.stderr.write(
      `beacon-stall ${JSON.stringify({
        at: Date.now(),
        ms: Math.round(late),
        during: overlapping,
        heapUsedMiB: Math.round(mem.heapUsed / 1048576),
        rssMiB: Math.round(mem.rss / 1048576),
      })}\n`,
    );
  }, 10);
  timer.unref();
  // The heap as well as the RSS, every 10 s: tells retained JavaScript objects from allocator
  // and code-space growth.
  setInterval(() => {
    const m = process.memoryUsage();
    const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
    process.stderr.write(
      `beacon-mem ${JSON.stringify({ at: Date.now(), rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) })}\n`,
    );
  }, 10000).unref();
}
