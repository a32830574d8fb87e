// TCP transport: length-prefixed messages, several queries per connection (pipelined and split
// across segments), idle timeout, message-size bound, connection bound; and port-in-use errors.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { createDnsServer } from '../../src/dns/index.js';
import { PortInUseError } from '../../src/errors.js';
import { buildQuery, TcpClient } from './client.js';
import { startDns, type Running } from './fixture.js';

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

describe('DNS over TCP', () => {
  let dns: Running;
  before(async () => {
    dns = await startDns({ tcpIdleTimeoutMs: 300, maxTcpConnections: 3, maxMessageBytes: 512 });
  });
  after(() => dns.close());

  it('answers several pipelined queries on one connection', async () => {
    const c = new TcpClient(dns.port);
    try {
      const names = ['ns1.mesos', 'http_example.test.vagrant.aurora.mesos', 'missing.mesos'];
      c.sendRaw(Buffer.concat(names.map((n, i) => frame(buildQuery(n, 'A', { id: 100 + i })))));
      const got = new Map<number, string | undefined>();
      for (let i = 0; i < names.length; i++) {
        const p = dnsPacket.decode(await c.next());
        got.set(p.id ?? -1, (p as { rcode?: string }).rcode);
      }
      assert.deepEqual([...got.entries()].sort(), [
        [100, 'NOERROR'],
        [101, 'NOERROR'],
        [102, 'NXDOMAIN'],
      ]);
    } finally {
      c.close();
    }
  });

  it('reassembles a message split byte by byte', async () => {
    const c = new TcpClient(dns.port);
    try {
      await c.connected();
      const f = frame(buildQuery('ns1.mesos', 'A', { id: 555 }));
      for (const b of f) {
        c.sendRaw(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
      const p = dnsPacket.decode(await c.next());
      assert.equal(p.id, 555);
      assert.equal(p.answers?.length, 1);
    } finally {
      c.close();
    }
  });

  it('closes an idle connection', async () => {
    const c = new TcpClient(dns.port);
    await c.connected();
    await c.closed; // the test's own timeout bounds this
  });

  it('closes a connection announcing a message over the size bound', async () => {
    const c = new TcpClient(dns.port);
    await c.connected();
    c.sendRaw(Buffer.from([0x10, 0x00])); // 4096 > maxMessageBytes 512
    await c.closed;
  });

  it('bounds concurrent connections', async () => {
    const clients = [0, 1, 2].map(() => new TcpClient(dns.port));
    try {
      for (const c of clients) {
        c.send(buildQuery('ns1.mesos', 'A'));
        await c.next();
      }
      const extra = new TcpClient(dns.port);
      extra.send(buildQuery('ns1.mesos', 'A'));
      await extra.closed; // refused by maxTcpConnections
      await assert.rejects(extra.next(200));
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('listening', () => {
  it('reports a UDP port in use with PortInUseError naming the port', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    const port = taken.address().port;
    try {
      const s = createDnsServer({ host: '127.0.0.1', port });
      await assert.rejects(
        s.listen(),
        (e: unknown) => e instanceof PortInUseError && e.message.includes(String(port)),
      );
    } finally {
      taken.close();
    }
  });

  it('reports a TCP port in use with PortInUseError naming the port', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const s = createDnsServer({ host: '127.0.0.1', port });
      await assert.rejects(
        s.listen(),
        (e: unknown) => e instanceof PortInUseError && e.message.includes(`127.0.0.1:${port}`),
      );
    } finally {
      taken.close();
    }
  });
});
