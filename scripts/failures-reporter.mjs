// A node:test reporter that writes one block per failure: where, how (test code, hook, timeout)
// and the error. scripts/run-tests.mjs prints these blocks again after the whole run, so a CI log
// that keeps only part of the TAP output still shows why each test failed. Tests cancelled
// because their parent failed are counted, not repeated: the parent's block says why.
import { relative } from 'node:path';

export default async function* failures(source) {
  let cancelled = 0;
  for await (const ev of source) {
    if (ev.type !== 'test:fail') continue;
    const error = ev.data.details?.error;
    if (error?.failureType === 'cancelledByParent') {
      cancelled++;
      continue;
    }
    const where = ev.data.file ? `${relative(process.cwd(), ev.data.file)}:${ev.data.line}` : '?';
    const cause = error?.cause ?? error;
    const text = cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause);
    const lines = text.split('\n').slice(0, 5).join('\n    ');
    yield `✖ ${ev.data.name} (${where}, ${error?.failureType ?? 'failure'})\n    ${lines}\n`;
  }
  if (cancelled > 0) yield `(${cancelled} more cancelled because their suite failed)\n`;
}
