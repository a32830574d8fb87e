// Empty non-terminals: a name that has no records but has names below it exists (NODATA, not
// NXDOMAIN). A record set tells this class which of its keys come and go; the index is built
// from them on the first question (most sets are never asked) and kept current after that.
//
// Keyless canonical names (own-names.ts: found through the task hash in the name, 200,000 at
// 50,000 tasks) are counted once per parent above their task's hash label (`fw.D.`,
// `fw.slave.D.`: a few per framework), so building the index never names every task. The names
// between such a name and that parent (a legacy DiscoveryInfo name's `prod.www-data-7d3uc-s2.fw.D.`,
// one per task) hold the task hash; the record set finds those through the task, as it finds the
// canonical names themselves.
import { hashAfterDash } from './own-names.js';

export class Ancestors {
  /** Names above something, each with how many things are directly below it; undefined until
   *  the first question. */
  private index: Map<string, number> | undefined;
  /** How many keyless canonical names each parent above a task hash label has. */
  private readonly keylessParents = new Map<string, number>();

  /** True when something is below `name`; `keys` is the set's name map (read on the first call). */
  has(name: string, keys: ReadonlyMap<string, unknown>): boolean {
    if (!this.index) {
      this.index = new Map();
      for (const k of keys.keys()) this.count(k, 1);
      for (const parent of this.keylessParents.keys()) this.count(`.${parent}`, 1);
    }
    return this.index.has(name);
  }

  /** A key was added (1) or removed (-1). */
  key(name: string, delta: 1 | -1): void {
    if (this.index) this.count(name, delta);
  }

  /** A keyless canonical name of a task with hash bits `hash` was added (1) or removed (-1):
   *  counted under the parent of the last label holding the hash (every longer ancestor holds
   *  it too). Always kept, so the index can be built without naming tasks. */
  keyless(name: string, hash: number, delta: 1 | -1): void {
    // From the end: the hash label is the name's last but its parent's.
    let at = name.lastIndexOf('-');
    while (at >= 0 && hashAfterDash(name, at) !== hash)
      at = at > 0 ? name.lastIndexOf('-', at - 1) : -1;
    const parent = name.slice(name.indexOf('.', at) + 1);
    const before = this.keylessParents.get(parent) ?? 0;
    const n = before + delta;
    if (n > 0) this.keylessParents.set(parent, n);
    else this.keylessParents.delete(parent);
    // The parent and its ancestors count when the first keyless name under it comes, and are
    // taken back when the last goes.
    if (this.index && before > 0 !== n > 0) this.count(`.${parent}`, delta);
  }

  /** `delta` for `name` under its parent. A name counts once under its parent, and a parent
   *  counts under its own parent while it has anything under it, so a name's further ancestors
   *  are touched only when its parent starts or stops existing. */
  private count(name: string, delta: number): void {
    const index = this.index!;
    for (let n = name; ;) {
      const i = n.indexOf('.');
      if (i < 0 || i >= n.length - 1) return;
      const parent = n.slice(i + 1);
      const before = index.get(parent) ?? 0;
      const after = before + delta;
      if (after > 0) index.set(parent, after);
      else index.delete(parent);
      if (before > 0 === after > 0) return;
      n = parent;
    }
  }
}
