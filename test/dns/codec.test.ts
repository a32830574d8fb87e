// Pure codec unit tests: query decoding (question, EDNS, malformed input) and record encoding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { decodeQuery } from '../../src/dns/codec/query.js';
import { encodeRR, parseIPv4, parseIPv6, questionDict } from '../../src/dns/codec/rr.js';
import { buildQuery } from './client.js';

describe('decodeQuery', () => {
  it('reads id, lowercase name, type, class and the EDNS buffer/DO bit', () => {
    const q = dnsPacket.encode({
      type: 'query',
      id: 0x1234,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: 'Foo.MESOS', type: 'SRV', class: 'IN' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: dnsPacket.DNSSEC_OK,
          flag_do: true,
          options: [],
        },
      ],
    });
    const d = decodeQuery(q);
    assert.ok(d.ok);
    assert.equal(d.query.id, 0x1234);
    assert.equal(d.query.name, 'foo.mesos.');
    assert.equal(d.query.qtype, 33);
    assert.equal(d.query.qclass, 1);
    assert.deepEqual(d.query.edns, { udpSize: 4096, version: 0, dnssecOk: true });
  });

  it('escapes a literal dot inside a label so it cannot alias another name', () => {
    const q = buildQuery('x.mesos', 'A');
    q[13] = 0x2e; // label "x" → "."
    const d = decodeQuery(q);
    assert.ok(d.ok);
    assert.equal(d.query.name, '\\..mesos.');
  });

  it('classifies bad input', () => {
    assert.deepEqual(decodeQuery(Buffer.alloc(5)), { ok: false, kind: 'drop' });
    const q = buildQuery('a.mesos', 'A', { id: 9 });
    const resp = Buffer.from(q);
    resp[2] |= 0x80;
    assert.equal((decodeQuery(resp) as { kind: string }).kind, 'drop');
    const notimp = Buffer.from(q);
    notimp[2] = (4 << 3) | 1;
    assert.equal((decodeQuery(notimp) as { kind: string }).kind, 'notimp');
    assert.equal((decodeQuery(q.subarray(0, 15)) as { kind: string }).kind, 'formerr');
    const twoOpt = buildQuery('a.mesos', 'A', { edns: 1232 });
    const opt = twoOpt.subarray(twoOpt.length - 11);
    const doubled = Buffer.concat([twoOpt, opt]);
    doubled.writeUInt16BE(2, 10);
    assert.equal((decodeQuery(doubled) as { kind: string }).kind, 'formerr');
    const longLabel = Buffer.concat([
      q.subarray(0, 12),
      Buffer.from([64]),
      Buffer.alloc(64, 0x61),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    assert.equal((decodeQuery(longLabel) as { kind: string }).kind, 'formerr');
  });
});

describe('record encoding', () => {
  it('parses IPv4 and IPv6 literals', () => {
    assert.deepEqual([...parseIPv4('10.0.0.255')!], [10, 0, 0, 255]);
    assert.equal(parseIPv4('10.0.0.256'), undefined);
    assert.equal(parseIPv4('10.0.0'), undefined);
    const v6 = (s: string) => Buffer.from(parseIPv6(s) ?? []).toString('hex');
    assert.equal(v6('2001:db8::1'), '20010db8000000000000000000000001');
    assert.equal(v6('::'), '00000000000000000000000000000000');
    assert.equal(v6('::ffff:10.0.0.1'), '00000000000000000000ffff0a000001');
    assert.equal(v6('1:2:3:4:5:6:7:8'), '00010002000300040005000600070008');
    for (const bad of ['1:2:3', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8']) {
      assert.equal(parseIPv6(bad), undefined, bad);
    }
  });

  it('compresses owners and PTR targets against the question, never SRV targets', () => {
    const dict = questionDict('_x._tcp.mesos.');
    assert.equal(dict.get('_x._tcp.mesos.'), 12);
    assert.equal(dict.get('mesos.'), 12 + 3 + 5);
    const srv = encodeRR(
      '_x._tcp.mesos.',
      60,
      { type: 'SRV', priority: 0, weight: 1, port: 80, target: 'a.mesos.' },
      dict,
    )!;
    assert.equal(srv.readUInt16BE(0), 0xc00c);
    assert.equal(srv.subarray(2 + 10 + 6).toString('latin1'), '\x01a\x05mesos\x00');
    const ptr = encodeRR('_x._tcp.mesos.', 60, { type: 'PTR', target: 'a.mesos.' }, dict)!;
    assert.equal(ptr.subarray(12).toString('hex'), '0161' + (0xc000 | 20).toString(16));
    assert.equal(encodeRR('_x._tcp.mesos.', 60, { type: 'A', ip: 'nope' }, dict), undefined);
  });
});
