// The sources' sliced state parser equals stateParser on every fixture (v0 and v1, bad items
// included) and on a generated 3,000-task document, rejects what stateParser throws on, and lets
// the event loop turn while it works.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { StateError } from '../../src/errors.js';
import { stateParser } from '../../src/model/mesos-state.js';
import { stateParserSliced } from '../../src/sources/sliced-parser.js';
import { countTurns } from '../helpers/loop-turns.js';
import { FIXTURES, STATE_DIR } from '../records/fixtures.js';

describe('stateParserSliced', () => {
  for (const name of FIXTURES) {
    it(`equals stateParser: ${name}`, async () => {
      const doc: unknown = JSON.parse(readFileSync(`${STATE_DIR}${name}.json`, 'utf8'));
      assert.deepEqual(await stateParserSliced(doc, 0), stateParser(doc));
    });
  }

  it('equals stateParser on 3,000 tasks, and the event loop turns meanwhile', async () => {
    const doc = syntheticState({ tasks: 3000, agents: 150, discovery: true });
    const stop = countTurns();
    const sliced = await stateParserSliced(doc, 0);
    const turns = stop();
    assert.deepEqual(sliced, stateParser(doc));
    assert.ok(turns >= 3000 / 32 - 1, `the event loop turned ${turns} times`);
  });

  it('rejects what stateParser throws on', async () => {
    for (const bad of [null, [], 'text', { type: 'GET_HEALTH', get_health: {} }]) {
      assert.throws(() => stateParser(bad), StateError);
      await assert.rejects(stateParserSliced(bad, 0), StateError);
    }
  });
});
