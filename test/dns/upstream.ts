// A small upstream DNS server for forwarding tests (UDP + TCP on one loopback port): answers,
// hangs, truncates over UDP, or fails, and counts what it received.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';

export type UpstreamBehaviour = 'answer' | 'hang' | 'truncate' | 'servfail';

export interface FakeUpstream {
  port: number;
  address: string;
  udpQueries: number;
  tcpQueries: number;
  close(): Promise<void>;
}

function reply(q: Packet, ip: string, behaviour: UpstreamBehaviour, tcp: boolean): Buffer {
  const question = q.questions?.[0];
  const n = behaviour === 'truncate' ? 3 : 1;
  const answers = [];
  for (let i = 0; i < n; i++)
    answers.push({ type: 'A' as const, name: question?.name ?? '', ttl: 300, data: `${ip}${i}` });
  const truncated = behaviour === 'truncate' && !tcp;
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags:
      (q.flags ?? 0) |
      (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) |
      (behaviour === 'servfail' ? 2 : 0),
    questions: q.questions,
    answers: truncated || behaviour === 'servfail' ? [] : answers,
  });
}

/** Starts an upstream on 127.0.0.1 (free port); answers carry `ip` + index (e.g. `192.0.2.1` + `0`). */
export async function startUpstream(
  behaviour: UpstreamBehaviour,
  ip = '192.0.2.1',
): Promise<FakeUpstream> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const port = udp.address().port;
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => r(true));
    });
    if (!ok) {
      udp.close();
      continue;
    }
    const up: FakeUpstream = {
      port,
      address: `127.0.0.1:${port}`,
      udpQueries: 0,
      tcpQueries: 0,
      close: async () => {
        udp.close();
        for (const s of sockets) s.destroy();
        await new Promise((r) => tcp.close(r));
      },
    };
    udp.on('message', (m, rinfo) => {
      up.udpQueries++;
      if (behaviour === 'hang') return;
      udp.send(reply(dnsPacket.decode(m), ip, behaviour, false), rinfo.port, rinfo.address);
    });
    const sockets = new Set<net.Socket>();
    tcp.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      let buf = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + m.length);
          up.tcpQueries++;
          if (behaviour === 'hang') continue;
          const r = reply(dnsPacket.decode(m), ip, behaviour, true);
          const len = Buffer.alloc(2);
          len.writeUInt16BE(r.length);
          s.write(Buffer.concat([len, r]));
        }
      });
    });
    return up;
  }
  throw new Error('no free port for the fake upstream');
}
