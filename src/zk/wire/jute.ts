// Jute binary primitives (ZooKeeper's record serialisation): a bounds-checked reader and a
// growable writer. Pure: bytes in, values out. Truncated or inconsistent input throws DecodeError
// instead of reading past the end or allocating what a length prefix claims.
import { DecodeError } from '../../errors.js';

export class JuteReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`jute: truncated ${what} (need ${n} bytes, ${this.remaining} left)`);
    }
  }

  int(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }

  long(): bigint {
    this.need(8, 'long');
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }

  bool(): boolean {
    this.need(1, 'boolean');
    return this.buf[this.off++] !== 0;
  }

  /** A length-prefixed byte buffer; length -1 (jute's null) reads as an empty buffer. */
  buffer(): Buffer {
    const len = this.int();
    if (len === -1) return Buffer.alloc(0);
    if (len < 0) throw new DecodeError(`jute: negative buffer length ${len}`);
    this.need(len, 'buffer');
    const v = Buffer.from(this.buf.subarray(this.off, this.off + len));
    this.off += len;
    return v;
  }

  /** A length-prefixed UTF-8 string; length -1 (jute's null) reads as "". */
  ustring(): string {
    const len = this.int();
    if (len === -1) return '';
    if (len < 0) throw new DecodeError(`jute: negative string length ${len}`);
    this.need(len, 'string');
    const v = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return v;
  }

  /** A count-prefixed vector. Each element takes at least `minItemBytes`, so a count larger than
   *  the bytes left can be refused before any allocation. */
  vector<T>(item: (r: JuteReader) => T, minItemBytes: number): T[] {
    const n = this.int();
    if (n === -1) return [];
    if (n < 0) throw new DecodeError(`jute: negative vector length ${n}`);
    if (n * minItemBytes > this.remaining) {
      throw new DecodeError(`jute: vector of ${n} items cannot fit in ${this.remaining} bytes`);
    }
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
}

export class JuteWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  int(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v | 0);
    return this.push(b);
  }

  long(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt.asIntN(64, v));
    return this.push(b);
  }

  bool(v: boolean): this {
    return this.push(Buffer.from([v ? 1 : 0]));
  }

  buffer(v: Buffer): this {
    this.int(v.length);
    return this.push(Buffer.from(v));
  }

  ustring(v: string): this {
    const b = Buffer.from(v, 'utf8');
    this.int(b.length);
    return this.push(b);
  }

  vector<T>(items: readonly T[], item: (w: JuteWriter, v: T) => void): this {
    this.int(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  /** The record with its 4-byte length prefix, as it goes on the wire. */
  toFrame(): Buffer {
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(this.size);
    return Buffer.concat([len, ...this.chunks], this.size + 4);
  }
}
