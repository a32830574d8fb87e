// A task's canonical names (`name-hash-tail.fw.D.` and `name-hash-tail.fw.slave.D.`: 200,000 at
// 50,000 tasks with DiscoveryInfo) are its alone, so a record set need not keep them as keys: it
// finds the task from the name (the 5-character task hash in it) and makes the records from the
// task when asked. A name that something else makes too is kept as an ordinary entry.
import { hashBitsAt } from './hash.js';
import type { Kind } from './record-types.js';
import type { Sink } from './task-records.js';

/** Records held back while a task is added or removed, to apply in a chosen order. */
export class PutBuffer implements Sink {
  readonly names: string[] = [];
  readonly kinds: Kind[] = [];
  readonly values: string[] = [];
  readonly ports: number[] = [];

  put(name: string, kind: Kind, value: string, port: number): void {
    this.names.push(name);
    this.kinds.push(kind);
    this.values.push(value);
    this.ports.push(port);
  }

  get length(): number {
    return this.names.length;
  }

  replay(sink: Sink): void {
    for (let i = 0; i < this.names.length; i++)
      sink.put(this.names[i]!, this.kinds[i]!, this.values[i]!, this.ports[i]!);
  }

  clear(): void {
    this.names.length = 0;
    this.kinds.length = 0;
    this.values.length = 0;
    this.ports.length = 0;
  }
}

const DASH = 45;
const DOT = 46;

/** Calls `each` with every 5-character run of `name` that could be a task hash in a canonical
 *  name (after a '-', followed by '-' or '.'; the suffix `-hash-tail` may be cut after the hash),
 *  as its bits (hash.ts), until it returns true; returns whether one did. */
export function someHash(name: string, each: (hash: number) => boolean): boolean {
  for (let i = name.indexOf('-'); i >= 0 && i + 6 < name.length; i = name.indexOf('-', i + 1)) {
    const end = name.charCodeAt(i + 6);
    if (end !== DASH && end !== DOT) continue;
    const bits = hashBitsAt(name, i + 1);
    if (bits >= 0 && each(bits)) return true;
  }
  return false;
}
