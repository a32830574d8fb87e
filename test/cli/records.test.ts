// `beacon records` as a subprocess: golden output for a state file, JSON output, a URL served on
// loopback, and one-line errors with exit ≠ 0 for a missing file, not-JSON, a non-object state and
// a bad config.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { beaconAsync as beacon } from '../helpers/cli.js';
import { STATE_DIR } from '../records/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'beacon-records-cli-'));
const fixture = (n: string) => join(STATE_DIR, n);
/** `beacon records` for the state fixture `<name>.json` with its `<name>.config.json`. */
const recordsFor = (name: string, ...extra: string[]) =>
  beacon([
    'records',
    '--state',
    fixture(`${name}.json`),
    '--config',
    fixture(`${name}.config.json`),
    ...extra,
  ]);

describe('beacon records', () => {
  it('prints the golden zone for a state file', async () => {
    const r = await recordsFor('aurora-discovery');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(fixture('aurora-discovery.zone'), 'utf8'));
    assert.equal(r.stderr, '');
  });
  it('warns on stderr about skipped items, one line each, counted, and still prints', async () => {
    const r = await recordsFor('bad-items');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(fixture('bad-items.zone'), 'utf8'));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('beacon records: warning: ')).length, 15);
    assert.match(lines.at(-1)!, /15 state item\(s\) skipped/);
  });
  it('--format json', async () => {
    const r = await recordsFor('aurora-plain', '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    const body = JSON.parse(r.stdout) as {
      zone: { domain: string; ttl: number };
      records: { name: string; type: string }[];
    };
    assert.equal(body.zone.domain, 'mesos');
    assert.equal(body.zone.ttl, 30);
    const zoneLines = readFileSync(fixture('aurora-plain.zone'), 'utf8').trim().split('\n');
    assert.equal(body.records.length, zoneLines.length);
    assert.ok(
      body.records.some((x) => x.name === 'vagranttesthello.aurora.mesos.' && x.type === 'A'),
    );
  });
  it('fetches a URL (a master answering on loopback)', async () => {
    const doc = readFileSync(fixture('aurora-discovery.json'));
    let path = '';
    const server = createServer((req, res) => {
      path = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(doc);
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await beacon([
        'records',
        '--state',
        `http://127.0.0.1:${port}`,
        '--config',
        fixture('aurora-discovery.config.json'),
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(path, '/master/state');
      assert.equal(r.stdout, readFileSync(fixture('aurora-discovery.zone'), 'utf8'));
    } finally {
      server.close();
    }
  });
  it('a URL that hangs is cut off by --timeout', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await beacon([
        'records',
        '--state',
        `http://127.0.0.1:${port}/master/state`,
        '--timeout',
        '0.5',
      ]);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        /^beacon: .*no complete answer within 500 ms.*\[BEACON_E_TIMEOUT\]\n$/,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  const errors: [string, () => string[], RegExp][] = [
    [
      'a missing file',
      () => ['records', '--state', join(tmp, 'nope.json')],
      /^beacon: --state .*nope\.json: cannot read the file \(ENOENT\) \[BEACON_E_INPUT\]\n$/,
    ],
    [
      'a file that is not JSON',
      () => {
        writeFileSync(join(tmp, 'bad.json'), '{"slaves": [');
        return ['records', '--state', join(tmp, 'bad.json')];
      },
      /^beacon: --state .*bad\.json: not JSON .*\[BEACON_E_INPUT\]\n$/,
    ],
    [
      'a state that is not an object',
      () => {
        writeFileSync(join(tmp, 'arr.json'), '[1,2]');
        return ['records', '--state', join(tmp, 'arr.json')];
      },
      /^beacon: --state .*arr\.json: the state document is an array, not a JSON object.*\[BEACON_E_STATE\]\n$/,
    ],
    [
      'a bad config value',
      () => {
        writeFileSync(join(tmp, 'cfg.json'), '{"ttl": "abc"}');
        return [
          'records',
          '--state',
          fixture('aurora-plain.json'),
          '--config',
          join(tmp, 'cfg.json'),
        ];
      },
      /^beacon: .*cfg\.json: "ttl" must be a positive integer \(seconds\), got "abc" \[BEACON_E_CONFIG\]\n$/,
    ],
    [
      'a config that is not JSON',
      () => {
        writeFileSync(join(tmp, 'cfg2.json'), 'ttl=5');
        return [
          'records',
          '--state',
          fixture('aurora-plain.json'),
          '--config',
          join(tmp, 'cfg2.json'),
        ];
      },
      /^beacon: .*cfg2\.json: not JSON .*\[BEACON_E_CONFIG\]\n$/,
    ],
    [
      'a bad --format',
      () => ['records', '--state', fixture('aurora-plain.json'), '--format', 'xml'],
      /argument 'xml' is invalid/,
    ],
    ['no --state', () => ['records'], /required option '--state/],
  ];
  for (const [what, args, re] of errors) {
    it(`fails with one line for ${what}`, async () => {
      const r = await beacon(args());
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, re);
    });
  }
});
