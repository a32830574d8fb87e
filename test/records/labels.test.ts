// Label rules and the task hash, as tables: Mesos-DNS's own examples (records/labels tests and the
// spec), and Beacon's fixes for labels Mesos-DNS gets wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  agentTail,
  domainFrag,
  fitLabel,
  legacyLabels,
  rfc1123,
  rfc952,
  taskHash,
} from '../../src/records/index.js';
import { reverseName } from '../../src/records/reverse.js';
import { hashBitsAt, hashText, taskHashBits } from '../../src/records/hash.js';

describe('taskHash', () => {
  it('is the first 5 zbase32 chars of SHA-1', () => {
    assert.equal(taskHash('test'), 'iffe9');
    for (const id of ['a', 'vagrant-test-http_example-0-4f6c', '', 'ünïcode']) {
      assert.match(taskHash(id), /^[ybndrfg8ejkmcpqxot1uwisza345h769]{5}$/);
    }
    assert.notEqual(taskHash('a'), taskHash('b'));
  });
  it('is kept as its 25 bits, read back from the 5 characters in a name', () => {
    for (const id of ['test', 'a', 'vagrant-test-http_example-0-4f6c', 'ünïcode']) {
      const bits = taskHashBits(id);
      assert.ok(bits >= 0 && bits < 2 ** 25);
      assert.equal(hashText(bits), taskHash(id));
      assert.equal(hashBitsAt(`web-${taskHash(id)}-s3.fw.mesos.`, 4), bits);
    }
    assert.equal(hashBitsAt('web-iffe9-s3', 4), taskHashBits('test'));
    // Not zbase32: 'l', 'v', '0', '2', upper case, non-ASCII; or past the end.
    for (const s of ['iffel', 'v1ffe', '0ffe9', 'iff2e', 'IFFE9', 'iffé9', 'iff'])
      assert.equal(hashBitsAt(s, 0), -1, s);
  });
  it('agent tail is the lowercased last "-" field', () => {
    assert.equal(agentTail('20150101-000000-16777343-5050-1234-S3'), 's3');
    assert.equal(agentTail('S12'), 's12');
    assert.equal(agentTail('x-'), '');
  });
});

describe('RFC1123 labels', () => {
  const table: [string, string][] = [
    ['a.b.c.d.e', 'a-b-c-d-e'],
    ['---a---b', 'a---b'],
    ['4abc123', '4abc123'],
    ['vagrant/test/http_example', 'vagranttesthttp-example'],
    ['http_example.test.vagrant', 'http-example-test-vagrant'],
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixedcase-2-0-1'],
    ['ABC', 'abc'],
    ['snow☃man', 'snowman'],
    ['', ''],
    ['///', ''],
    ['a-', 'a'],
    ['x'.repeat(70), 'x'.repeat(63)],
    // cut at 63 leaves a trailing '-': trimmed and refilled from after the cut
    [`${'d'.repeat(62)}--e--`, `${'d'.repeat(62)}e`],
    [`${'d'.repeat(60)}----f`, `${'d'.repeat(60)}f`],
  ];
  for (const [input, want] of table) {
    it(JSON.stringify(input), () => assert.equal(rfc1123(input), want));
  }
  it('fixes the refill that leaves a trailing "-" (Mesos-DNS bug)', () => {
    // Mesos-DNS: head d*60 (3 dashes trimmed), refill 3 chars "e--" → label ends in '-'.
    const input = `${'d'.repeat(60)}---e--x`;
    assert.equal(rfc1123(input), `${'d'.repeat(60)}e`);
  });
});

describe('RFC952 labels', () => {
  const table: [string, string][] = [
    ['4abc123', 'abc123'],
    ['chronos with a space AND MIXED CASE-2.0.1', 'chronoswithaspaceandmixe'],
    ['-0-1-2abc', 'abc'],
    ['a'.repeat(30), 'a'.repeat(24)],
    ['12345', ''],
  ];
  for (const [input, want] of table) {
    it(JSON.stringify(input), () => assert.equal(rfc952(input), want));
  }
});

describe('DomainFrag', () => {
  it('labels each dot-separated part and drops empty ones', () => {
    assert.equal(domainFrag('My.Frame_work', rfc1123), 'my.frame-work');
    assert.equal(domainFrag('marathon', rfc1123), 'marathon');
    assert.equal(domainFrag('a..b.', rfc1123), 'a.b');
    assert.equal(domainFrag('...', rfc1123), '');
    assert.equal(domainFrag('Aurora', rfc952), 'aurora');
  });
});

describe('Beacon label fixes', () => {
  it('fitLabel leaves labels that fit unchanged and trims the cut', () => {
    assert.equal(fitLabel('abc', 3), 'abc');
    assert.equal(fitLabel('ab-cd', 3), 'ab');
    assert.equal(fitLabel('a'.repeat(63), 62), 'a'.repeat(62));
  });
  it('legacy (raw DiscoveryInfo) names are used only when valid as they are', () => {
    assert.deepEqual(legacyLabels('http_example.test.vagrant'), [
      'http_example',
      'test',
      'vagrant',
    ]);
    assert.deepEqual(legacyLabels('Web.Prod'), ['web', 'prod']);
    assert.equal(legacyLabels('My Service'), undefined);
    assert.equal(legacyLabels('a..b'), undefined);
    assert.equal(legacyLabels('a-.b'), undefined);
    assert.equal(legacyLabels('x'.repeat(64)), undefined);
    assert.equal(legacyLabels(''), undefined);
  });
});

describe('reverse names', () => {
  it('IPv4 and IPv6', () => {
    assert.equal(reverseName('10.0.0.21'), '21.0.0.10.in-addr.arpa.');
    assert.equal(
      reverseName('fd00::abc'),
      'c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.',
    );
    assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa.`);
  });
});
