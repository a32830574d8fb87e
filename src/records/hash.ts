// Mesos-DNS's task hash: the first 5 characters of zbase32(SHA-1(task id)), i.e. the first 25 bits
// of the digest, big-endian, as five 5-bit groups. `taskHash("test") === "iffe9"`.
import * as crypto from 'node:crypto';

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

// crypto.hash (Node 20.12+) skips the Hash object: a full build hashes every task id.
const sha1: (id: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (id) => crypto.hash('sha1', id, 'buffer')
    : (id) => crypto.createHash('sha1').update(id, 'utf8').digest();

export function taskHash(id: string): string {
  const d = sha1(id);
  // 25 bits: the top 32 bits of the digest shifted down by 7.
  const bits = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 7;
  return (
    ZBASE32[(bits >>> 20) & 31]! +
    ZBASE32[(bits >>> 15) & 31]! +
    ZBASE32[(bits >>> 10) & 31]! +
    ZBASE32[(bits >>> 5) & 31]! +
    ZBASE32[bits & 31]!
  );
}

/** Lowercased last '-'-separated field of an agent id (`…-S3` → `s3`). */
export function agentTail(agentId: string): string {
  return agentId.slice(agentId.lastIndexOf('-') + 1).toLowerCase();
}
