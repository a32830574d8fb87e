// SOA serial numbers for zone transfers: RFC 1982 serial arithmetic (32-bit, wrapping) and the
// clock-derived serial Beacon uses when it is a transfer primary. Pure functions.

const MOD = 4294967296; // 2^32
const HALF = 2147483648; // 2^31

/** RFC 1982 §3.2: is `a` greater than `b`? (Undefined when they are exactly 2^31 apart: false.) */
export function serialGt(a: number, b: number): boolean {
  const d = ((a >>> 0) - (b >>> 0) + MOD) % MOD;
  return d !== 0 && d < HALF;
}

/** RFC 1982 §3.1 addition (n ≤ 2^31 - 1). */
export function serialAdd(a: number, n: number): number {
  return ((a >>> 0) + n) % MOD;
}

/** Milliseconds per serial step of the clock serial (tenths of a second). */
export const SERIAL_UNIT_MS = 100;

/**
 * The clock serial at `nowMs`: tenths of a second since 1970, modulo 2^32 (it wraps every ~13.6
 * years, which RFC 1982 arithmetic handles). A journal that takes at most one serial per unit
 * never runs ahead of the clock, so a restarted Beacon starts past every serial it gave before
 * (as long as the wall clock does not step back).
 */
export function clockSerial(nowMs: number): number {
  return Math.floor(nowMs / SERIAL_UNIT_MS) % MOD;
}
