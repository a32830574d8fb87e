// The one entry point readers and writers use for member data: picks JSON (any JSON object) or
// Thrift from the first bytes, and never throws for bad bytes (readers skip and count).
import { isAlive } from '../model/service-instance.js';
import { looksLikeJson, tryDecodeJson } from './json.js';
import { TType, tryDecodeThrift } from './thrift.js';
import type { DecodeResult } from './validate.js';

export { isAlive };
export { encodeJson, decodeJson } from './json.js';
export { encodeThrift, decodeThrift } from './thrift.js';
export type { DecodeResult } from './validate.js';

/** Shows the first bytes of an unreadable member in a log line without dumping all of it. */
function preview(buf: Uint8Array): string {
  const head = Buffer.from(buf.subarray(0, 8)).toString('hex');
  return buf.length > 8 ? `${head}… (${buf.length} bytes)` : `${head} (${buf.length} bytes)`;
}

/**
 * Decodes one member node's data. A JSON object (`{` after optional JSON whitespace, so
 * pretty-printed members too, as the Python commons reader and Finagle's zk2 resolver read them)
 * → JSON; 0x0C (a Thrift struct's first field) → Thrift; anything else, a byte-order mark
 * included, is refused. The result is `ok: false` with a reason for
 * anything unusable; an instance that decodes may still be non-ALIVE (check `isAlive`).
 */
export function decodeMember(buf: Uint8Array): DecodeResult {
  try {
    if (buf.length === 0) return { ok: false, reason: 'member data is empty' };
    if (looksLikeJson(buf)) return tryDecodeJson(buf);
    if (buf[0] === TType.STRUCT) return tryDecodeThrift(buf);
    return {
      ok: false,
      reason: `member data is neither a JSON object (starting {) nor Thrift (starting 0c): ${preview(buf)}`,
    };
  } catch (e) {
    // Last line of defence: the decoders only throw DecodeError internally and turn it into a
    // result; anything else is a bug in them, still reported as a poison member, not a crash.
    return { ok: false, reason: `internal decoder error: ${(e as Error)?.message ?? String(e)}` };
  }
}
