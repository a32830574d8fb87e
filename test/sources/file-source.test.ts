// The static state-file source: read at start, errors name the file, reload keeps the last good.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { FileStateSource, readStateFile } from '../../src/sources/file-source.js';
import type { StateFailure, StateSnapshot } from '../../src/sources/types.js';
import { sampleState } from '../helpers/fake-master.js';
import { nextEvent } from '../helpers/wait.js';
import { parseDoc, type Doc } from '../helpers/state-doc.js';

const parse = parseDoc(['one skipped item']);

const dir = mkdtempSync(join(tmpdir(), 'beacon-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('state file source', () => {
  it('reads and parses the file, passing the warnings on', async () => {
    const p = join(dir, 'ok.json');
    writeFileSync(p, JSON.stringify(sampleState()));
    const snap = await readStateFile(p, parse);
    assert.equal(snap.from, `file:${p}`);
    assert.deepEqual(snap.warnings, ['one skipped item']);
  });

  it('names the file and the problem', async () => {
    await assert.rejects(
      readStateFile(join(dir, 'missing.json'), parse),
      (e: unknown) => e instanceof InputError && /missing\.json.*ENOENT/.test(e.message),
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{nope');
    await assert.rejects(
      readStateFile(bad, parse),
      (e: unknown) => e instanceof InputError && /bad\.json: not JSON/.test(e.message),
    );
    const unusable = join(dir, 'unusable.json');
    writeFileSync(unusable, '{}');
    await assert.rejects(
      readStateFile(unusable, parse),
      /unusable\.json: unusable state document: no frameworks array/,
    );
  });

  it('emits a snapshot at start; a failed reload is a failure and changes nothing else', async () => {
    const p = join(dir, 'reload.json');
    writeFileSync(p, JSON.stringify(sampleState()));
    const s = new FileStateSource<Doc>({ path: p, parse });
    const first = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.start();
    await first;
    const okAt = s.status().lastSuccessAt;
    writeFileSync(p, 'garbage');
    const failed = nextEvent<[StateFailure]>(s, 'failure');
    s.reload();
    const [f] = await failed;
    assert.match(f.error.message, /not JSON/);
    assert.equal(s.status().lastSuccessAt, okAt);
    assert.equal(s.status().consecutiveFailures, 1);
    writeFileSync(p, JSON.stringify({ ...sampleState(), id: 'v2' }));
    const again = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    s.reload();
    assert.equal((await again)[0].state.id, 'v2');
    assert.equal(s.status().consecutiveFailures, 0);
    await s.close();
  });

  it('re-reads on SIGHUP when asked', async () => {
    const p = join(dir, 'hup.json');
    writeFileSync(p, JSON.stringify(sampleState()));
    const s = new FileStateSource<Doc>({ path: p, parse, reloadOnSighup: true });
    const first = nextEvent(s, 'snapshot');
    s.start();
    await first;
    writeFileSync(p, JSON.stringify({ ...sampleState(), id: 'after-hup' }));
    const again = nextEvent<[StateSnapshot<Doc>]>(s, 'snapshot');
    process.kill(process.pid, 'SIGHUP');
    assert.equal((await again)[0].state.id, 'after-hup');
    await s.close();
    assert.equal(process.listenerCount('SIGHUP'), 0);
  });
});
