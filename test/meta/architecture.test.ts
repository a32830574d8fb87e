// The code's shape, checked: every import statement of src/ (type-only ones included) is read;
// there is no import cycle, and no module imports from a layer above its own in the order that
// docs/architecture.md writes down (its "Layer order:" line). A move that breaks either fails here
// with the files named.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

// `import … from './x.js'`, `import type …`, `export … from`, side-effect `import './x.js'`, and
// dynamic `import('./x.js')` (command groups load on demand).
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources(SRC)) {
    // Comments may mention imports (JSDoc `import('…')` types of a script): not edges.
    const text = readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      deps.push(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
    }
    g.set(f, deps);
  }
  return g;
}

/** `model` for src/model/…; `base` for files directly in src/. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? 'base' : parts[0]!;
}

function documentedOrder(): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const line = doc.split('\n').find((l) => l.startsWith('Layer order:'));
  assert.ok(line, 'docs/architecture.md has a "Layer order:" line');
  return [...line.matchAll(/`([a-z]+)`/g)].map((m) => m[1]!);
}

/** Strongly connected components with more than one file (or a file importing itself). */
function cycles(g: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(relative(ROOT, w));
      } while (w !== v);
      if (c.length > 1 || (g.get(v) ?? []).includes(v)) out.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('architecture', () => {
  const g = graph();

  it('every relative import names a file that exists', () => {
    const missing: string[] = [];
    for (const [f, deps] of g)
      for (const d of deps)
        if (!g.has(d)) missing.push(`${relative(ROOT, f)} → ${relative(ROOT, d)}`);
    assert.deepEqual(missing, []);
  });

  it('has no import cycles (type-only imports included)', () => {
    assert.deepEqual(cycles(g), []);
  });

  it('imports only from its own layer or those below it, in the documented order', () => {
    const order = documentedOrder();
    const rank = new Map(order.map((l, i) => [l, i]));
    const undocumented = [...new Set([...g.keys()].map(layerOf))].filter((l) => !rank.has(l));
    assert.deepEqual(undocumented, [], 'every folder of src/ is in the layer order');
    const against: string[] = [];
    for (const [f, deps] of g) {
      for (const d of deps) {
        if (rank.get(layerOf(d))! > rank.get(layerOf(f))!)
          against.push(
            `${relative(ROOT, f)} (${layerOf(f)}) → ${relative(ROOT, d)} (${layerOf(d)})`,
          );
      }
    }
    assert.deepEqual(against, []);
  });

  it('the checks can fail: a made-up cycle is found', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    assert.equal(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ).length,
      1,
    );
  });
});
