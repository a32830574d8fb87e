// Framing of the ZooKeeper client protocol: every packet is a 4-byte big-endian length and that
// many bytes. Pure and bounded: a length that is negative or above the limit is an error (the
// connection must be dropped), and no more than one frame's worth of bytes is ever held. The first
// four bytes of a fresh connection may instead be a "four-letter word" (ruok, srvr, …), which is
// how ZooKeeper's admin commands share the client port.
import { DecodeError } from '../../errors.js';

/** The four-letter words ZooKeeper answers on its client port. */
export const FOUR_LETTER_WORDS = new Set([
  'ruok',
  'srvr',
  'stat',
  'conf',
  'cons',
  'crst',
  'dump',
  'envi',
  'gtmk',
  'isro',
  'mntr',
  'srst',
  'stmk',
  'wchc',
  'wchp',
  'wchs',
  'dirs',
]);

export interface FrameOutput {
  /** Complete packet bodies (without their length prefix), in order. */
  frames: Buffer[];
  /** Set when the connection opened with a four-letter word instead of a packet. */
  word?: string;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private first = true;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds received bytes; returns the complete frames. Throws DecodeError on a bad length. */
  push(chunk: Buffer): FrameOutput {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: FrameOutput = { frames: [] };
    for (;;) {
      if (this.buffered < 4) return out;
      const head = this.peek(4);
      if (this.first) {
        this.first = false;
        const word = head.toString('latin1');
        if (FOUR_LETTER_WORDS.has(word)) {
          this.take(4);
          out.word = word;
          return out;
        }
      }
      const len = head.readInt32BE(0);
      if (len < 0) throw new DecodeError(`packet length ${len} is negative`);
      if (len > this.maxFrameBytes) {
        throw new DecodeError(
          `packet length ${len} exceeds the limit of ${this.maxFrameBytes} bytes`,
        );
      }
      if (this.buffered < 4 + len) return out;
      this.take(4);
      out.frames.push(this.take(len));
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length < n) {
      const joined = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [joined];
    }
    const head = this.chunks[0]!;
    const out = head.subarray(0, n);
    if (head.length === n) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.buffered -= n;
    return out;
  }
}
