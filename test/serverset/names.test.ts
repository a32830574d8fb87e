// ServerSet names: every accepted form, canonical output, and error texts that quote the bad part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatServersetName,
  parseAnnouncerName,
  parseHostList,
  parseServersetName,
  serversetNameFrom,
  type ServersetName,
} from '../../src/serverset/names.js';
import { NameError } from '../../src/errors.js';

const valid: [string, ServersetName][] = [
  ['zk!host1:2181,host2:2181!/path', { ensembles: ['host1:2181,host2:2181'], path: '/path' }],
  [
    'zk!zk.local!/aurora//vagrant/test/http_example/',
    { ensembles: ['zk.local:2181'], path: '/aurora/vagrant/test/http_example' },
  ],
  ['zk!h:2181!/a/b!http', { ensembles: ['h:2181'], path: '/a/b', endpoint: 'http' }],
  ['zk!h!/a/b!3!http', { ensembles: ['h:2181'], path: '/a/b', endpoint: 'http', shard: 3 }],
  ['zk2!h1:2181,h2:2182!/a', { ensembles: ['h1:2181,h2:2182'], path: '/a' }],
  ['zk2!h1!/a!thrift', { ensembles: ['h1:2181'], path: '/a', endpoint: 'thrift' }],
  ['zk2!a1,a2#b1:2222!/svc', { ensembles: ['a1:2181,a2:2181', 'b1:2222'], path: '/svc' }],
  ['zk2!a#a:2181!/svc', { ensembles: ['a:2181'], path: '/svc' }],
  ['zk2![::1]:2181,127.0.0.1!/svc', { ensembles: ['[::1]:2181,127.0.0.1:2181'], path: '/svc' }],
  ['zk2![fe80::1]!/svc', { ensembles: ['[fe80::1]:2181'], path: '/svc' }],
  ['  zk2!h!/svc\n', { ensembles: ['h:2181'], path: '/svc' }],
  [
    '/$/com.twitter.serverset/sdzookeeper.local.twitter.com:2181/twitter/service/cuckoo/prod/read:http',
    {
      ensembles: ['sdzookeeper.local.twitter.com:2181'],
      path: '/twitter/service/cuckoo/prod/read',
      endpoint: 'http',
    },
  ],
  ['/$/com.twitter.serverset/h/aurora/r/e/job', { ensembles: ['h:2181'], path: '/aurora/r/e/job' }],
  [
    '/$/com.twitter.serverset/h/aurora/r/e/job#7',
    { ensembles: ['h:2181'], path: '/aurora/r/e/job', shard: 7 },
  ],
  [
    '/$/com.twitter.serverset/h1:2181\\x2ch2:2181/a/job:http#0',
    { ensembles: ['h1:2181,h2:2181'], path: '/a/job', endpoint: 'http', shard: 0 },
  ],
  [
    '/$/com.twitter.serverset/h1,h2#h3/job',
    { ensembles: ['h1:2181,h2:2181', 'h3:2181'], path: '/job' },
  ],
  ['/$/com.twitter.serverset/h/a\\x20b/job', { ensembles: ['h:2181'], path: '/a b/job' }],
];

test('valid names parse to ensembles, normalised path, endpoint and shard', () => {
  for (const [text, expected] of valid) assert.deepEqual(parseServersetName(text), expected, text);
});

test('formatServersetName round-trips every valid name', () => {
  for (const [text, expected] of valid) {
    const formatted = formatServersetName(expected);
    assert.deepEqual(parseServersetName(formatted), expected, `${text} → ${formatted}`);
  }
  assert.equal(formatServersetName(valid[2]![1]), 'zk2!h:2181!/a/b!http');
  assert.equal(
    formatServersetName({
      ensembles: ['h1:2181,[::1]:2181'],
      path: '/a/b:c',
      endpoint: 'http',
      shard: 2,
    }),
    '/$/com.twitter.serverset/h1:2181\\x2c\\x5b::1\\x5d:2181/a/b\\x3ac:http#2',
  );
  for (const odd of [
    { ensembles: ['h:2181'], path: '/a b/c:d#e', shard: 1 },
    { ensembles: ['h:2181'], path: '/a!b/c', endpoint: 'http' },
    { ensembles: ['h:2181'], path: '/ü/\\x41' },
  ] as ServersetName[]) {
    assert.deepEqual(parseServersetName(formatServersetName(odd)), odd, formatServersetName(odd));
  }
});

const invalid: [string, string][] = [
  ['', 'empty'],
  ['zk3!h!/p', '"zk3"'],
  ['zk!h', '2 to 4'],
  ['zk2!h!/p!e!x', '2 or 3'],
  ['zk!a#b!/p', 'several ensembles'],
  ['zk2!h!path', '"path" must be absolute'],
  ['zk2!h!/', 'below "/"'],
  ['zk2!h!/a/../b', '".."'],
  ['zk2!!/p', 'host list is empty'],
  ['zk2!a,,b!/p', '"a,,b" has an empty entry'],
  ['zk2!h:99999!/p', 'port "99999"'],
  ['zk2!h:0!/p', 'port "0"'],
  ['zk2!h:!/p', 'port ""'],
  ['zk2!h:x!/p', 'port "x"'],
  ['zk2!:2181!/p', 'no host'],
  ['zk2!h!!/p', 'path "" must be absolute'],
  ['zk2!ho st!/p', 'whitespace'],
  ['zk2!h*st!/p', 'host "h*st"'],
  ['zk2!::1!/p', '"::1"'],
  ['zk2![zz::1]!/p', '"[zz::1]"'],
  ['zk2!h/chroot!/p', 'chroot'],
  ['zk2!h!/p!', 'endpoint name after the path is empty'],
  ['zk!h!/p!x!http', 'shard "x"'],
  ['zk!h!/p!-1!http', 'shard "-1"'],
  ['zk!h!/p!99999999999!http', 'shard "99999999999"'],
  ['/aurora/r/e/j', 'a path alone'],
  ['h:2181/aurora', '"!"-separated'],
  ['/$/com.twitter.serverset/h', 'at least one path segment'],
  ['/$/com.twitter.serverset/h/a/job:x:y', '"job:x:y"'],
  ['/$/com.twitter.serverset/h/a/job#x', 'shard "x"'],
  ['/$/com.twitter.serverset/h/a/job:#1', '"job:#1"'],
  ['/$/com.twitter.serverset/h/a\\x2fb/job', 'hides a "/"'],
  ['/$/com.twitter.serverset/h/a\\q/job', 'not a \\xHH escape'],
];

test('malformed names throw NameError quoting the bad part and listing the forms', () => {
  for (const [text, mention] of invalid) {
    assert.throws(
      () => parseServersetName(text),
      (e: unknown) => {
        assert.ok(e instanceof NameError, `${text}: ${String(e)}`);
        assert.equal(e.code, 'BEACON_E_NAME');
        assert.ok(e.message.includes(mention), `${text}: "${e.message}" should mention ${mention}`);
        assert.ok(e.message.includes(JSON.stringify(text)), `${text}: message quotes the input`);
        assert.ok(e.message.includes('zk2!HOSTS'), 'message lists the accepted forms');
        return true;
      },
    );
  }
});

test('announcer form zk!HOSTS!/path!shard[!endpoint]', () => {
  assert.deepEqual(parseAnnouncerName('zk!h!/a!4'), {
    ensembles: ['h:2181'],
    path: '/a',
    shard: 4,
  });
  assert.deepEqual(parseAnnouncerName('zk!h!/a!4!http'), {
    ensembles: ['h:2181'],
    path: '/a',
    shard: 4,
    endpoint: 'http',
  });
  assert.throws(() => parseAnnouncerName('zk!h!/a'), NameError);
  assert.throws(() => parseAnnouncerName('zk2!h!/a!1'), NameError);
  assert.throws(() => parseAnnouncerName('zk!h!/a!http'), /shard "http"/);
});

test('serversetNameFrom builds a name from --zk and --path', () => {
  assert.deepEqual(serversetNameFrom('h1,h2:2182', '//aurora/x/'), {
    ensembles: ['h1:2181,h2:2182'],
    path: '/aurora/x',
  });
  assert.deepEqual(serversetNameFrom('a#b', '/p', 'http', 0), {
    ensembles: ['a:2181', 'b:2181'],
    path: '/p',
    endpoint: 'http',
    shard: 0,
  });
  assert.throws(() => serversetNameFrom('h:x', '/p'), /ZooKeeper hosts "h:x".*port "x"/);
  assert.throws(() => serversetNameFrom('h', 'p'), /path "p" must be absolute/);
  assert.throws(() => serversetNameFrom('h', '/p', 'a!b'), /endpoint "a!b"/);
  assert.throws(() => serversetNameFrom('h', '/p', undefined, -1), NameError);
});

test('parseHostList gives host and port per entry', () => {
  assert.deepEqual(parseHostList('a,b:1,[::1]:3'), [
    { host: 'a', port: 2181 },
    { host: 'b', port: 1 },
    { host: '::1', port: 3 },
  ]);
  assert.throws(() => parseHostList('a,'), /empty entry/);
});
