// NOTIFY sender (dns/notify.ts) against a real UDP responder that leaves the first NOTIFYs
// unanswered: retried until acknowledged, coalesced to one in flight carrying the newest serial;
// and the target syntax.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { Notifier, NotifyStats, parseNotifyTarget } from '../../src/dns/notify.js';
import { ConfigError } from '../../src/errors.js';
import { logger } from '../../src/log.js';
import { waitFor } from '../helpers/wait.js';

const SOA = {
  mname: 'ns1.mesos.',
  rname: 'root.ns1.mesos.',
  serial: 1,
  refresh: 60,
  retry: 600,
  expire: 86400,
  minttl: 60,
};

test('notify targets: ip, ip:port, [v6]:port, bare v6; bad ones name the entry', () => {
  assert.deepEqual(parseNotifyTarget('10.0.0.5'), { host: '10.0.0.5', port: 53 });
  assert.deepEqual(parseNotifyTarget('10.0.0.5:5353'), { host: '10.0.0.5', port: 5353 });
  assert.deepEqual(parseNotifyTarget('[fd00::1]:54'), { host: 'fd00::1', port: 54 });
  assert.deepEqual(parseNotifyTarget('fd00::1'), { host: 'fd00::1', port: 53 });
  assert.throws(
    () => parseNotifyTarget('ns1.example.com', 'notify[0]'),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /notify\[0\]: "ns1.example.com" is not an IP address/);
      return true;
    },
  );
  assert.throws(() => parseNotifyTarget('10.0.0.5:99999'), /port outside/);
});

test('NOTIFY is retried until acknowledged, one in flight, with the newest serial', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const seen: { serial: number; at: number }[] = [];
  let ignore = 2;
  sock.on('message', (msg, rinfo) => {
    const p = dnsPacket.decode(msg);
    assert.equal(((p.flags ?? 0) >> 11) & 0xf, 4, 'opcode NOTIFY');
    assert.equal(p.questions?.[0]?.name, 'mesos');
    const soa = p.answers?.find((a) => a.type === 'SOA');
    seen.push({ serial: (soa!.data as { serial: number }).serial, at: performance.now() });
    if (ignore-- > 0) return;
    const reply = Buffer.from(msg);
    reply.writeUInt16BE(reply.readUInt16BE(2) | 0x8000, 2);
    sock.send(reply, rinfo.port, rinfo.address);
  });
  const stats = new NotifyStats();
  const n = new Notifier({
    targets: [{ host: '127.0.0.1', port }],
    minIntervalMs: 50,
    retryMs: 100,
    maxRetryMs: 400,
    log: logger('test'),
    stats,
  });
  try {
    n.changed('mesos.', 60, SOA);
    // A burst while the first is unanswered: no extra NOTIFY in flight, the last serial wins.
    for (let s = 2; s <= 20; s++) n.changed('mesos.', 60, { ...SOA, serial: s });
    await waitFor('acknowledged', () => n.acknowledged()[0].serial === 20, 10000);
    assert.equal(stats.retried, 2);
    assert.ok(stats.sent <= 4, `sent ${stats.sent}`);
    assert.equal(seen[0].serial, 1);
    assert.equal(seen[seen.length - 1].serial, 20);
    // Retries back off: the second wait is longer than the first.
    if (seen.length >= 3) assert.ok(seen[2].at - seen[1].at >= seen[1].at - seen[0].at - 20);
  } finally {
    n.close();
    sock.close();
  }
});
