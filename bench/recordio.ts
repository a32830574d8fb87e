// `npm run bench -- recordio [--tasks 50000,200000] [--reps 5]`: the event-stream source's
// RecordIO decoder on the stream's first record (SUBSCRIBED: the whole state; the scale bench's
// cluster, as `--source stream` serves it), pushed in the 64 KiB chunks an HTTP body comes in.
// Baseline in the same run: the same chunks joined once and decoded to a string (the least any
// decoder must do). Nothing asserted.
import { encodeRecord, RecordIoDecoder } from '../src/model/recordio.js';
import { loadAverage, machine, median } from './lib/stats.js';
import { scaleShape } from './lib/synthetic-state.js';
import { v1Subscribed } from './lib/v1-state.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const SIZES = arg('tasks', '50000,200000').split(',').map(Number);
const REPS = Number(arg('reps', '5'));
const CHUNK = 64 << 10;

console.log(`recordio benchmark — ${machine()}, load average ${loadAverage()}, ${REPS} run(s)`);
for (const tasks of SIZES) {
  const bytes = Buffer.from(encodeRecord(v1Subscribed(scaleShape(tasks))));
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += CHUNK) chunks.push(bytes.subarray(at, at + CHUNK));
  const decoder: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < REPS; i++) {
    let t0 = performance.now();
    const d = new RecordIoDecoder();
    let got = 0;
    for (const c of chunks) got += d.push(c).length;
    decoder.push(performance.now() - t0);
    if (got !== 1) throw new Error(`decoded ${got} records, expected 1`);
    t0 = performance.now();
    const text = Buffer.concat(chunks).toString('utf8');
    floor.push(performance.now() - t0);
    if (text.length === 0) throw new Error('empty');
  }
  const dm = median(decoder);
  const fm = median(floor);
  console.log(
    `== ${tasks.toLocaleString('en-US')} tasks: ${(bytes.length / 2 ** 20).toFixed(1)} MiB record, ${chunks.length} chunks of 64 KiB\n` +
      `   decoder ${dm.toFixed(1)} ms (runs ${decoder.map((x) => x.toFixed(1)).join(', ')})\n` +
      `   baseline: join once + toString ${fm.toFixed(1)} ms (runs ${floor.map((x) => x.toFixed(1)).join(', ')})\n` +
      `   ratio ${(dm / fm).toFixed(2)}x`,
  );
}
