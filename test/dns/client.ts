// In-process DNS client for the tests: dns-packet encode/decode over real UDP and TCP sockets.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet, type Question } from 'dns-packet';

/** Record types the tests ask for (dns-packet also encodes ANY, its types just omit it). */
export type QType = Question['type'] | 'ANY';

export interface QueryOpts {
  /** Add an OPT record with this UDP payload size. */
  edns?: number;
  id?: number;
  flags?: number;
  timeoutMs?: number;
}

export function buildQuery(name: string, type: QType, o: QueryOpts = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? Math.floor(Math.random() * 65536),
    flags: o.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as Question['type'], class: 'IN' }],
    additionals:
      o.edns !== undefined
        ? [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: o.edns,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
  });
}

/** Sends raw bytes over UDP; resolves with the raw reply, or undefined after the timeout. */
export function udpRaw(
  port: number,
  msg: Buffer,
  timeoutMs = 3000,
  host = '127.0.0.1',
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (r) => {
      clearTimeout(t);
      s.close();
      resolve(r);
    });
    s.send(msg, port, host);
  });
}

export async function udp(
  port: number,
  name: string,
  type: QType,
  o: QueryOpts = {},
): Promise<{ packet: Packet; raw: Buffer }> {
  const raw = await udpRaw(port, buildQuery(name, type, o), o.timeoutMs);
  if (!raw) throw new Error(`no UDP reply for ${name} ${type}`);
  return { packet: dnsPacket.decode(raw), raw };
}

/** A TCP connection that sends length-prefixed queries and collects replies in order of arrival. */
export class TcpClient {
  private sock: net.Socket;
  private buf = Buffer.alloc(0);
  private waiting: ((b: Buffer) => void)[] = [];
  private queue: Buffer[] = [];
  closed: Promise<void>;

  constructor(port: number, host = '127.0.0.1') {
    this.sock = net.connect({ port, host });
    this.sock.on('error', () => {});
    this.closed = new Promise((r) => this.sock.on('close', () => r()));
    this.sock.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const m = this.buf.subarray(2, 2 + this.buf.readUInt16BE(0));
        this.buf = this.buf.subarray(2 + m.length);
        const w = this.waiting.shift();
        if (w) w(Buffer.from(m));
        else this.queue.push(Buffer.from(m));
      }
    });
  }

  connected(): Promise<void> {
    return new Promise((r) => (this.sock.connecting ? this.sock.once('connect', () => r()) : r()));
  }

  sendRaw(b: Buffer): void {
    this.sock.write(b);
  }

  send(msg: Buffer): void {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    this.sock.write(Buffer.concat([len, msg]));
  }

  next(timeoutMs = 3000): Promise<Buffer> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no TCP reply')), timeoutMs);
      this.waiting.push((b) => {
        clearTimeout(t);
        resolve(b);
      });
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

export async function tcp(
  port: number,
  name: string,
  type: QType,
  o: QueryOpts = {},
): Promise<{ packet: Packet; raw: Buffer }> {
  const c = new TcpClient(port);
  try {
    c.send(buildQuery(name, type, o));
    const raw = await c.next(o.timeoutMs);
    return { packet: dnsPacket.decode(raw), raw };
  } finally {
    c.close();
  }
}

export const RCODES = dnsPacket;
