// Test-only: a UDP client that sends from a chosen loopback source address (127.0.0.2, 127.0.1.2…;
// Linux routes all of 127/8 to lo), so the server sees a "foreign" client without any packet
// leaving the machine. Replies are collected as they arrive.
import dgram from 'node:dgram';
import net from 'node:net';

export class SourcedClient {
  readonly replies: Buffer[] = [];
  private constructor(
    private readonly sock: dgram.Socket,
    readonly source: string,
  ) {
    sock.on('message', (m) => this.replies.push(m));
  }

  /** Binds a UDP socket to `source` (a 127/8 address) on a free port. */
  static async bind(source: string): Promise<SourcedClient> {
    if (!source.startsWith('127.')) throw new Error(`not a loopback address: ${source}`);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, source, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new SourcedClient(sock, source);
  }

  /** Sends to 127.0.0.1:port (never anywhere else). */
  send(port: number, msg: Buffer): void {
    this.sock.send(msg, port, '127.0.0.1');
  }

  close(): void {
    this.sock.close();
  }
}

/** One TCP query from `source` to 127.0.0.1:port; resolves with the reply message. */
export function tcpFrom(
  source: string,
  port: number,
  msg: Buffer,
  timeoutMs = 3000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: source });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('no TCP reply'));
    }, timeoutMs);
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    s.write(Buffer.concat([len, msg]));
  });
}
