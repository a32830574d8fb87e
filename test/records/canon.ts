// One name's records as a string, order aside: for comparing two record sets' answers.
import type { NameRecords } from '../../src/records/index.js';

export function canonRecords(r: NameRecords | undefined): string {
  if (!r) return 'none';
  const srv = r.srv.map((s) => `${s.priority}/${s.weight}/${s.port}/${s.target}`);
  return JSON.stringify([
    [...r.a].sort(),
    [...r.aaaa].sort(),
    srv.sort(),
    [...r.ptr].sort(),
    r.failOpen ?? {},
  ]);
}
