// Which UDP path the DNS server uses: the batched native addon (native/udp_batch.c: recvmmsg and
// sendmmsg on one socket, a batch of datagrams per event-loop wake-up) when it was built and
// loads, else node's dgram. The addon only moves bytes; the server decides every answer.
// BEACON_DNS_UDP=dgram (or the server's `udpPath: 'dgram'` option) forces dgram;
// BEACON_DNS_ADDON names another addon file (tests point it at a missing one).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

export type UdpPath = 'batched' | 'dgram';

/** The addon's functions (see native/udp_batch.c for the contract). */
export interface NativeUdp {
  open(host: string, port: number, recvBuf: number, sendBuf: number): object;
  port(h: object): number;
  start(
    h: object,
    rx: Buffer,
    lens: Int32Array,
    addr: Buffer,
    slotSize: number,
    onBatch: (count: number) => void,
  ): void;
  send(h: object, buffers: readonly Buffer[], slots: Int32Array, count: number): number;
  sendTo(h: object, buffer: Buffer, addr: Buffer): number;
  close(h: object): void;
}

/** Bytes per datagram address in the addon's address buffer: family, 0, port BE, 16 address bytes. */
export const ADDR_LEN = 20;

export const DEFAULT_ADDON = join(
  PACKAGE_ROOT,
  'native',
  'build',
  'Release',
  'beacon_udp_batch.node',
);

const loaded = new Map<string, { addon?: NativeUdp; why: string }>();

/**
 * The native addon, or why not: another OS, not built (no compiler or headers at install), or it
 * fails to load (built for another Node ABI). Loaded once per file.
 */
export function loadNativeUdp(file = process.env.BEACON_DNS_ADDON || DEFAULT_ADDON): {
  addon?: NativeUdp;
  why: string;
} {
  let r = loaded.get(file);
  if (r) return r;
  if (process.platform !== 'linux')
    r = { why: `recvmmsg/sendmmsg are Linux only (${process.platform})` };
  else if (!existsSync(file)) r = { why: `the native addon is not built (${file})` };
  else {
    try {
      const addon = createRequire(import.meta.url)(file) as NativeUdp;
      r =
        typeof addon.open === 'function'
          ? { addon, why: file }
          : { why: `${file} is not the UDP addon` };
    } catch (e) {
      r = { why: `the native addon does not load: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  loaded.set(file, r);
  return r;
}

/** The path to use: `requested` (option) or BEACON_DNS_UDP may force dgram; else batched if possible. */
export function chooseUdpPath(requested: 'auto' | UdpPath = 'auto'): {
  path: UdpPath;
  addon?: NativeUdp;
  why: string;
} {
  const env = process.env.BEACON_DNS_UDP;
  if (requested === 'dgram') return { path: 'dgram', why: 'udpPath option' };
  if (requested === 'auto' && env === 'dgram')
    return { path: 'dgram', why: 'BEACON_DNS_UDP=dgram' };
  const n = loadNativeUdp();
  if (n.addon) return { path: 'batched', addon: n.addon, why: n.why };
  return { path: 'dgram', why: n.why };
}
