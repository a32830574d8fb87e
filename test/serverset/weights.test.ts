// Finagle's weight vectors, with the examples of finagle-serversets' own
// serverset2/VectorTest.scala (Selector.matches, Vector.weightOf, Vector.parseJson), plus the
// SRV weight Beacon derives from a weight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseWeightVector,
  srvWeight,
  weightOf,
  type WeightVector,
} from '../../src/serverset/weights.js';

const port = 80;

test('Vector.parseJson (VectorTest): member and inet selectors, weight and priority', () => {
  const vec = parseWeightVector(
    `{"vector":[{"select":"member=1","weight":1.2,"priority":1},{"select":"inet=10.0.0.3:${port}","weight":1.3,"priority":2}]}`,
  );
  assert.deepEqual(vec, [
    { select: { kind: 'member', name: '1' }, weight: 1.2, priority: 1 },
    { select: { kind: 'inet', host: '10.0.0.3', port }, weight: 1.3, priority: 2 },
  ]);
});

test('Selector.matches (VectorTest): host, member, shard', () => {
  const ep1 = { member: '1234', host: '10.0.0.1', port };
  const ep2 = { member: '12345', host: '1.0.0.2', port, shard: 3 };
  const one = (select: string): WeightVector[] => [
    parseWeightVector(`{"vector":[{"select":"${select}","weight":2}]}`)!,
  ];
  assert.equal(weightOf(one(`inet=10.0.0.1:${port}`), ep1), 2);
  assert.equal(weightOf(one(`inet=10.0.0.1:${port}`), ep2), 1);
  assert.equal(weightOf(one('member=12345'), ep1), 1);
  assert.equal(weightOf(one('member=12345'), ep2), 2);
  assert.equal(weightOf(one('shard=3'), ep1), 1);
  assert.equal(weightOf(one('shard=3'), ep2), 2);
});

test('Vector.weightOf (VectorTest): the product of every matching descriptor', () => {
  const vec = parseWeightVector(
    JSON.stringify({
      vector: [
        { select: 'inet=10.0.0.2:123', weight: 1.2, priority: 1 },
        { select: 'member=9876', weight: 1.1, priority: 1 },
        { select: 'member=1111', weight: 2.1, priority: 1 },
      ],
    }),
  )!;
  const ep1 = { member: '1111', host: '10.0.0.2', port: 123 };
  assert.equal(weightOf([vec], ep1), 1.2 * 2.1);
  assert.equal(weightOf([vec], { ...ep1, member: '9876' }), 1.1 * 1.2);
  assert.equal(weightOf([vec], { ...ep1, member: 'blah' }), 1.2);
  assert.equal(weightOf([vec], { member: 'blah', host: '1.1.1.1', port: 333 }), 1);
  assert.equal(weightOf([[]], ep1), 1);
  // several vector nodes multiply too (ServiceDiscoverer.zipWithWeights)
  assert.equal(weightOf([vec, vec], { ...ep1, member: 'blah' }), 1.2 * 1.2);
});

test('defaults and bad input: weight 1, priority 1; unusable descriptors skipped', () => {
  const vec = parseWeightVector(
    ' {\n "vector": [ {"select": "member=a"}, {"select": "bogus=1", "weight": 5}, {"weight": 5}, 7, {"select": "shard=x"}, {"select": "inet=[::1]:8080", "weight": -1} ] }',
  );
  assert.deepEqual(vec, [
    { select: { kind: 'member', name: 'a' }, weight: 1, priority: 1 },
    { select: { kind: 'inet', host: '::1', port: 8080 }, weight: -1, priority: 1 },
  ]);
  assert.equal(parseWeightVector('not json'), undefined);
  assert.equal(parseWeightVector('[1]'), undefined);
  assert.deepEqual(parseWeightVector('{}'), []);
});

test('SRV weight: the configured weight scaled by the Finagle weight', () => {
  assert.equal(srvWeight(1, 1), 1);
  assert.equal(srvWeight(2, 1), 2);
  assert.equal(srvWeight(2, 10), 20);
  assert.equal(srvWeight(0.5, 10), 5);
  assert.equal(srvWeight(0.1, 1), 1); // positive weights never round to 0
  assert.equal(srvWeight(0, 10), 0);
  assert.equal(srvWeight(1, 0), 0);
  assert.equal(srvWeight(1e9, 10), 65535);
});
