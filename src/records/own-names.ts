// A task's canonical names (`name-hash-tail.fw.D.` and `name-hash-tail.fw.slave.D.`: 200,000 at
// 50,000 tasks with DiscoveryInfo) are its alone, so a record set need not keep them as keys: it
// finds the task from the name (the 5-character task hash in it) and makes the records from the
// task when asked. A name that something else makes too is kept as an ordinary entry.
import { hashBitsAt } from './hash.js';
import type { Kind } from './record-types.js';
import type { Sink } from './task-records.js';

/** Records held back while a task is added or removed, to apply in a chosen order. Reused from
 *  task to task: clear() keeps the arrays (truncating them made every task's puts grow new ones,
 *  ~30 MB of garbage in a 50,000-task build); entries past `length` are stale. */
export class PutBuffer implements Sink {
  readonly names: string[] = [];
  readonly kinds: Kind[] = [];
  readonly values: string[] = [];
  readonly ports: number[] = [];
  private n = 0;

  put(name: string, kind: Kind, value: string, port: number): void {
    const i = this.n++;
    if (i === this.names.length) {
      this.names.push(name);
      this.kinds.push(kind);
      this.values.push(value);
      this.ports.push(port);
    } else {
      this.names[i] = name;
      this.kinds[i] = kind;
      this.values[i] = value;
      this.ports[i] = port;
    }
  }

  get length(): number {
    return this.n;
  }

  replay(sink: Sink): void {
    for (let i = 0; i < this.n; i++)
      sink.put(this.names[i]!, this.kinds[i]!, this.values[i]!, this.ports[i]!);
  }

  clear(): void {
    this.n = 0;
  }
}

const DASH = 45;
const DOT = 46;

/** The bits (hash.ts) of the 5 characters after the '-' at `dash` in `name` when they could be a
 *  task hash in a canonical name (followed by '-' or '.': the suffix `-hash-tail` may be cut after
 *  the hash); else -1. Callers walk every '-' of the name. */
export function hashAfterDash(name: string, dash: number): number {
  if (dash + 6 >= name.length) return -1;
  const end = name.charCodeAt(dash + 6);
  return end === DASH || end === DOT ? hashBitsAt(name, dash + 1) : -1;
}
