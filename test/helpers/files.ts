// Files a test writes: JSON documents (configs, states) into a directory it owns.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `obj` as JSON to `dir/name` and returns the path. */
export function writeJson(dir: string, name: string, obj: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(obj));
  return p;
}
