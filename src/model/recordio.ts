// RecordIO, the framing of Mesos's v1 streaming APIs (`<decimal length>\n<bytes>`): one pure
// encoder/decoder pair, used by the devcluster master's operator API (encode) and the event-stream
// source (decode). Bytes in, records out; no sockets.
import { StateError } from '../errors.js';

/** Longest length prefix accepted: 20 digits is past any record a master would send. */
const MAX_DIGITS = 20;

/** Frames one JSON value as a RecordIO record. */
export function encodeRecord(value: unknown): string {
  const json = JSON.stringify(value);
  return `${Buffer.byteLength(json)}\n${json}`;
}

/** Splits a RecordIO byte stream into records; keeps a partial record until its bytes arrive.
 *  Throws StateError on a malformed length or a record over `maxRecord` bytes. */
export class RecordIoDecoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxRecord = 256 << 20) {}

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.buf.length > MAX_DIGITS)
          throw new StateError(`RecordIO: a record length longer than ${MAX_DIGITS} digits`);
        break;
      }
      const text = this.buf.subarray(0, nl).toString('ascii');
      if (!/^\d+$/.test(text))
        throw new StateError(
          `RecordIO: expected a record length, got ${JSON.stringify(text.slice(0, 20))}`,
        );
      const len = Number(text);
      if (len > this.maxRecord)
        throw new StateError(`RecordIO: record of ${len} bytes is over the limit`);
      if (this.buf.length < nl + 1 + len) break;
      out.push(this.buf.subarray(nl + 1, nl + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(nl + 1 + len);
    }
    return out;
  }

  /** Bytes held for a record not yet complete. */
  get pending(): number {
    return this.buf.length;
  }
}
