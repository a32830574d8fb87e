// Fuzzing the job-file parser (bounded: 5,000 cases or 10 s in `npm test`; BEACON_FUZZ_CASES /
// BEACON_FUZZ_MS for longer runs): byte-level mutations of valid YAML and JSON job files, YAML
// syntax fragments (anchors, aliases, tags, flow collections, directives), structural mutations
// of a valid document (fields dropped, retyped, replaced by extreme values, unknown and
// prototype keys), and random text. The only acceptable outcomes are a validated job or a JobError
// whose message starts with the file name and says something; never another exception, never a
// hang. The seed is printed on failure so a case can be replayed. Crashes it found are below as
// regression cases.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { JobError } from '../../src/errors.js';
import { EXAMPLE_JOB } from '../../src/cluster/devcluster.js';
import { parseJobText, type JobConfig } from '../../src/cluster/job-schema.js';
import { pick, rng } from '../helpers/random.js';

const CASES = Number(process.env.BEACON_FUZZ_CASES ?? 5000);
const BUDGET_MS = Number(process.env.BEACON_FUZZ_MS ?? 10000);
const SEED = Number(process.env.BEACON_FUZZ_SEED ?? Date.now() % 2 ** 31);

const EXAMPLE = readFileSync(EXAMPLE_JOB, 'utf8');
const MIN =
  'job: devcluster/vagrant/test/hello\nprocesses:\n  - name: p\n    cmdline: sleep 1 {{thermos.ports[http]}}\nannounce: {primary_port: http}\n';
const SEED_DOC = parseJobText(EXAMPLE, 'example.yaml') as unknown as Record<string, unknown>;
const JSON_SEED = JSON.stringify({ ...SEED_DOC, job_dir: undefined }, null, 2);

const FRAGMENTS = [
  '&a ',
  '*a',
  '!!str ',
  '!!binary ',
  '!!map ',
  '!!js/function ',
  '<<: *a',
  '{',
  '}',
  '[',
  ']',
  ': ',
  '- ',
  '? ',
  '\t',
  '\n',
  '#',
  '"',
  "'",
  '\\',
  '|',
  '>',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '~',
  'null',
  '.inf',
  '-.nan',
  '0x1F',
  '1e400',
  '-0',
  '{{',
  '}}',
  '{{thermos.ports[',
  '__proto__',
  'constructor',
  '\u0000',
  '\ufeff',
  '\u202e',
  '𝔘',
];

const EXTREMES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  'x',
  '',
  ' ',
  'a'.repeat(10000),
  [],
  [null],
  {},
  { x: 1 },
  '{{thermos.ports[x]}}',
  '{{mesos.instance}}',
  '{{nope}}',
  '/',
  '../..',
  '64XB',
  '1GB',
  -0,
  '0',
  'NaN',
];

function mutateBytes(r: () => number, text: string): string {
  const chars = [...text];
  const n = 1 + Math.floor(r() * 8);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * (chars.length + 1));
    const op = Math.floor(r() * 4);
    if (op === 0) chars.splice(i, 1);
    else if (op === 1) chars.splice(i, 0, pick(r, FRAGMENTS));
    else if (op === 2) chars[i] = String.fromCharCode(Math.floor(r() * 0x80));
    else
      chars.splice(
        i,
        Math.floor(r() * 20),
        ...chars.slice(Math.floor(r() * chars.length)).slice(0, 20),
      );
  }
  return chars.join('');
}

function randomText(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 40);
  for (let k = 0; k < n; k++)
    s += r() < 0.5 ? pick(r, FRAGMENTS) : String.fromCharCode(32 + Math.floor(r() * 95));
  return s;
}

/** A structural mutation of the valid document: a field somewhere dropped, retyped or added. */
function mutateDoc(r: () => number): unknown {
  const doc = structuredClone(SEED_DOC) as Record<string, unknown>;
  delete doc.job_dir;
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    // Walk to a random container.
    let node: Record<string, unknown> | unknown[] = doc;
    for (let depth = 0; depth < 3; depth++) {
      const keys = Object.keys(node);
      if (!keys.length || r() < 0.4) break;
      const child = (node as Record<string, unknown>)[pick(r, keys)];
      if (child && typeof child === 'object') node = child as Record<string, unknown>;
      else break;
    }
    const keys = Object.keys(node);
    const op = Math.floor(r() * 4);
    const key = keys.length ? pick(r, keys) : 'x';
    if (op === 0) delete (node as Record<string, unknown>)[key];
    else if (op === 1) (node as Record<string, unknown>)[key] = structuredClone(pick(r, EXTREMES));
    else if (op === 2)
      (node as Record<string, unknown>)[
        pick(r, ['instance', '__proto__', 'constructor', 'toString', '', '0'])
      ] = structuredClone(pick(r, EXTREMES));
    else
      (node as Record<string, unknown>)[key] = structuredClone([
        pick(r, EXTREMES),
        pick(r, EXTREMES),
      ]);
  }
  return doc;
}

function makeCase(r: () => number, i: number): { text: string; source: string } {
  const kind = i % 6;
  if (kind === 0) return { text: mutateBytes(r, EXAMPLE), source: `case-${i}.yaml` };
  if (kind === 1) return { text: mutateBytes(r, MIN), source: `case-${i}.yml` };
  if (kind === 2) return { text: mutateBytes(r, JSON_SEED), source: `case-${i}.json` };
  if (kind === 3) return { text: JSON.stringify(mutateDoc(r)), source: `case-${i}.json` };
  if (kind === 4) return { text: randomText(r), source: `case-${i}.yaml` };
  // Alias fan-out: a small text that expands enormously if aliases are followed without a bound.
  const width = 2 + Math.floor(r() * 9);
  const lines = ['a0: &a0 [x, y]'];
  for (let d = 1; d < 2 + Math.floor(r() * 8); d++)
    lines.push(`a${d}: &a${d} [${Array.from({ length: width }, () => `*a${d - 1}`).join(', ')}]`);
  return { text: `${lines.join('\n')}\n${MIN}`, source: `case-${i}.yaml` };
}

/** Checks one outcome: a valid job, or a JobError naming the file with a useful message. */
function checkOutcome(text: string, source: string): 'ok' | 'rejected' {
  let job: JobConfig;
  try {
    job = parseJobText(text, source);
  } catch (e) {
    if (!(e instanceof JobError))
      throw new Error(
        `${source}: ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e)}\n--- input ---\n${text.slice(0, 2000)}`,
      );
    assert.ok(e.message.startsWith(`${source}: `), `the message names the file: ${e.message}`);
    const detail = e.message.slice(source.length + 2);
    assert.ok(
      detail.length > 5 && !/undefined|\[object Object\]/.test(detail),
      `a useful message: ${e.message}`,
    );
    return 'rejected';
  }
  assert.ok(Number.isInteger(job.instances) && job.instances >= 1, 'a valid job has instances ≥ 1');
  assert.ok(job.processes.length >= 1, 'a valid job has a process');
  return 'ok';
}

test(`job-file parser fuzz: ${CASES} cases or ${BUDGET_MS / 1000} s, only JobError (seed ${SEED})`, () => {
  const r = rng(SEED);
  const started = Date.now();
  const counts = { ok: 0, rejected: 0 };
  let slowest = 0;
  let i = 0;
  // Silence the YAML library's process warnings (collection keys) for the run: not errors.
  const emit = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  try {
    for (; i < CASES && Date.now() - started < BUDGET_MS; i++) {
      const { text, source } = makeCase(r, i);
      const t0 = performance.now();
      try {
        counts[checkOutcome(text, source)]++;
      } catch (e) {
        throw new Error(
          `case ${i} (replay with BEACON_FUZZ_SEED=${SEED}): ${(e as Error).message}`,
        );
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
  } finally {
    process.emitWarning = emit;
  }
  process.stdout.write(
    `# fuzz: job files: ${i} cases in ${Date.now() - started} ms (seed ${SEED}): ${counts.ok} valid, ${counts.rejected} rejected with JobError, 0 crashes; slowest case ${slowest.toFixed(1)} ms\n`,
  );
  assert.ok(i >= Math.min(CASES, 500), `enough cases ran (${i})`);
  assert.ok(counts.rejected > 0 && counts.ok > 0, 'the cases reach both outcomes');
  // A hang guard, not a benchmark: one case taking seconds means an unbounded expansion.
  assert.ok(slowest < 2000, `no case near a hang (slowest ${slowest.toFixed(0)} ms)`);
});

test('regressions found by the fuzzer: alias bombs and dangling aliases are JobErrors', () => {
  const bomb = [
    'a: &a [x,x,x,x,x,x,x,x,x]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  ].join('\n');
  assert.throws(
    () => parseJobText(bomb, 'bomb.yaml'),
    (e: unknown) =>
      e instanceof JobError && /^bomb\.yaml: not usable YAML: .*alias/i.test(e.message),
  );
  assert.throws(
    () => parseJobText('<<: *x\n', 'dangling.yaml'),
    (e: unknown) => e instanceof JobError && /^dangling\.yaml: /.test(e.message),
  );
});
