// Mesos-DNS's task hash: the first 5 characters of zbase32(SHA-1(task id)), i.e. the first 25 bits
// of the digest, big-endian, as five 5-bit groups. `taskHash("test") === "iffe9"`.
import * as crypto from 'node:crypto';

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const ZCODES = Array.from(ZBASE32, (c) => c.charCodeAt(0));
const ZVALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ZCODES.length; i++) ZVALUE[ZCODES[i]!] = i;

// crypto.hash (Node 20.12+) skips the Hash object: a full build hashes every task id.
const sha1: (id: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (id) => crypto.hash('sha1', id, 'buffer')
    : (id) => crypto.createHash('sha1').update(id, 'utf8').digest();

/** The 25 bits of taskHash(id) as a number (a record set keeps this, not the 5 characters). */
export function taskHashBits(id: string): number {
  const d = sha1(id);
  // 25 bits: the top 32 bits of the digest shifted down by 7.
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 7;
}

/** The 5 characters of a task hash's bits. */
export function hashText(bits: number): string {
  return String.fromCharCode(
    ZCODES[(bits >>> 20) & 31]!,
    ZCODES[(bits >>> 15) & 31]!,
    ZCODES[(bits >>> 10) & 31]!,
    ZCODES[(bits >>> 5) & 31]!,
    ZCODES[bits & 31]!,
  );
}

export function taskHash(id: string): string {
  return hashText(taskHashBits(id));
}

/** The bits of the 5 characters of `s` from `at` read as a task hash; -1 when one of them is not
 *  a zbase32 character. */
export function hashBitsAt(s: string, at: number): number {
  let bits = 0;
  for (let i = at; i < at + 5; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? ZVALUE[c]! : -1;
    if (v < 0) return -1;
    bits = (bits << 5) | v;
  }
  return bits;
}

/** Lowercased last '-'-separated field of an agent id (`…-S3` → `s3`). */
export function agentTail(agentId: string): string {
  return agentId.slice(agentId.lastIndexOf('-') + 1).toLowerCase();
}
