// A zone-transfer client for the tests: sends one AXFR or IXFR over TCP (optionally from a given
// loopback source address) and reads the message stream to its closing SOA, decoding each
// message with dns-packet. Bounded by a deadline.
import net from 'node:net';
import dnsPacket, { type Answer } from 'dns-packet';

export interface TransferResult {
  /** The rcode of the last message (0 NOERROR, 5 REFUSED, 9 NOTAUTH). */
  rcode: number;
  /** Every record of every message, in order (SOA first and last for a complete transfer). */
  records: Answer[];
  messages: number;
  bytes: number;
}

export function transfer(
  port: number,
  zone: string,
  o: { type?: 'AXFR' | 'IXFR'; serial?: number; localAddress?: string; timeoutMs?: number } = {},
): Promise<TransferResult> {
  const type = o.type ?? 'AXFR';
  const q = dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 65536),
    flags: 0,
    questions: [{ name: zone, type, class: 'IN' }],
    authorities:
      type === 'IXFR'
        ? [
            {
              name: zone,
              type: 'SOA',
              class: 'IN',
              ttl: 0,
              data: {
                mname: 'x.',
                rname: 'x.',
                serial: o.serial ?? 0,
                refresh: 0,
                retry: 0,
                expire: 0,
                minimum: 0,
              },
            },
          ]
        : [],
  });
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: o.localAddress });
    const out: TransferResult = { rcode: 0, records: [], messages: 0, bytes: 0 };
    let buf = Buffer.alloc(0);
    let soas = 0;
    let firstSerial: number | undefined;
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${type} of ${zone} timed out (${out.messages} messages so far)`));
    }, o.timeoutMs ?? 30000);
    const finish = () => {
      clearTimeout(t);
      sock.destroy();
      resolve(out);
    };
    sock.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    sock.on('connect', () => {
      const f = Buffer.alloc(2 + q.length);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      sock.write(f);
    });
    sock.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const m = dnsPacket.decode(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        out.messages++;
        out.bytes += len + 2;
        out.rcode = (m.flags ?? 0) & 0xf;
        if (out.rcode !== 0) return finish();
        for (const a of m.answers ?? []) {
          out.records.push(a);
          if (a.type !== 'SOA') continue;
          const serial = (a.data as { serial: number }).serial;
          const i = soas++;
          firstSerial ??= serial;
          if (i === 0) continue;
          // AXFR form (also an IXFR answered with the whole zone: its second record is not an
          // SOA) ends at the second SOA. The incremental form (RFC 1995 §4) is SOA(new), then
          // SOA(old)…SOA(next)… per step, then SOA(new): it ends on the new serial at an odd SOA
          // index, where a step would start (a step's old serial is never the new one).
          const incremental = out.records.length > 1 && out.records[1].type === 'SOA';
          if (!incremental || (i % 2 === 1 && i >= 3 && serial === firstSerial)) return finish();
        }
        // An IXFR answered with the SOA alone (the client is up to date): one record in all.
        if (out.messages === 1 && out.records.length === 1 && type === 'IXFR') return finish();
      }
    });
  });
}

/** The zone content of an AXFR-form record list: sorted "name type data" lines, SOA excluded. */
export function contentLines(records: Answer[]): string[] {
  const lines: string[] = [];
  for (const r of records) {
    if (r.type === 'SOA') continue;
    lines.push(
      `${r.name.toLowerCase()} ${r.type} ${JSON.stringify((r as { data: unknown }).data)}`,
    );
  }
  return lines.sort();
}
