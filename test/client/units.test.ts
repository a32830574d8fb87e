// The client's pure parts with a controlled clock: peak-EWMA, p2c, round-robin, failure accrual
// (mark dead, probe, all-dead fallback), the retry budget, and option checking.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBalancer } from '../../src/client/balancer.js';
import { FailureAccrual } from '../../src/client/failure-accrual.js';
import type { MemberNode } from '../../src/client/member.js';
import { resolveOptions } from '../../src/client/options.js';
import { PENALTY, PeakEwma, ewmaLoad, pickP2C } from '../../src/client/p2c-ewma.js';
import { RetryBudget } from '../../src/client/retry-budget.js';
import { RoundRobin } from '../../src/client/round-robin.js';

function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('peak-EWMA', () => {
  test('takes a peak at once and decays towards later samples with the decay time', () => {
    const c = clock();
    const e = new PeakEwma(10000, c.now);
    e.observe(10);
    assert.equal(e.get(), 10);
    e.observe(200); // a peak replaces the average
    assert.equal(e.get(), 200);
    c.t += 10000; // one decay time later, a fast sample pulls it most of the way down
    e.observe(10);
    const expected = 200 * Math.exp(-1) + 10 * (1 - Math.exp(-1));
    assert.ok(Math.abs(e.get() - expected) < 1e-6, `${e.get()} vs ${expected}`);
    c.t += 100000; // idle: the old value fades
    assert.ok(e.get() < 1);
  });

  test('load is cost × (outstanding + 1), with a penalty when no sample exists yet', () => {
    assert.equal(ewmaLoad(5, 0), 5);
    assert.equal(ewmaLoad(5, 3), 20);
    assert.equal(ewmaLoad(0, 0), 0);
    assert.equal(ewmaLoad(0, 2), PENALTY + 2);
  });

  test('p2c picks two distinct members and takes the cheaper', () => {
    const loads = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const counts = new Map<string, number>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 3000; i++) {
      const n = pickP2C(['a', 'b', 'c'], (x) => loads.get(x)!, random);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    // 'c' is never the cheaper of two distinct members; 'a' wins both pairs it is in (2/3).
    assert.equal(counts.get('c') ?? 0, 0);
    assert.ok(Math.abs(counts.get('a')! / 3000 - 2 / 3) < 0.05, String(counts.get('a')));
    assert.equal(
      pickP2C(['only'], () => 1, random),
      'only',
    );
  });

  test('round-robin cycles through the list', () => {
    const rr = new RoundRobin();
    assert.deepEqual(
      Array.from({ length: 6 }, () => rr.pick(['a', 'b', 'c'])),
      ['a', 'b', 'c', 'a', 'b', 'c'],
    );
  });
});

describe('failure accrual', () => {
  test('N consecutive failures mark dead; a success in between resets the count', () => {
    const c = clock();
    const fa = new FailureAccrual(3, 5000, c.now);
    assert.equal(fa.failure(), false);
    assert.equal(fa.failure(), false);
    fa.success();
    assert.equal(fa.failure(), false);
    assert.equal(fa.failure(), false);
    assert.equal(fa.failure(), true);
    assert.equal(fa.state, 'dead');
    assert.equal(fa.available(), false);
  });

  test('after markDeadMs one probe is let through; its success revives, its failure re-kills', () => {
    const c = clock();
    const fa = new FailureAccrual(1, 5000, c.now);
    fa.failure();
    c.t += 4999;
    assert.equal(fa.available(), false);
    c.t += 1;
    assert.equal(fa.available(), true);
    fa.dispatched(); // the probe
    assert.equal(fa.state, 'probing');
    assert.equal(fa.available(), false, 'one probe at a time');
    fa.failure();
    assert.equal(fa.state, 'dead');
    assert.equal(fa.available(), false);
    c.t += 5000;
    fa.dispatched();
    fa.success();
    assert.equal(fa.state, 'alive');
    assert.equal(fa.consecutiveFailures, 0);
  });

  test('an aborted probe frees the probe slot', () => {
    const c = clock();
    const fa = new FailureAccrual(1, 10, c.now);
    fa.failure();
    c.t += 10;
    fa.dispatched();
    fa.neutral();
    assert.equal(fa.available(), true);
  });
});

describe('balancer choice', () => {
  const c = clock();
  const node = (name: string, load = 1) => {
    const n = {
      name,
      draining: false,
      accrual: new FailureAccrual(1, 5000, c.now),
      load: () => load,
    };
    return n as unknown as MemberNode & { name: string };
  };

  test('skips dead and already-tried members while others remain', () => {
    const [a, b, cc] = [node('a'), node('b'), node('c')];
    a.accrual.failure(); // dead
    const bal = createBalancer('round-robin');
    for (let i = 0; i < 10; i++) assert.equal(bal.choose([a, b, cc], new Set([b])), cc);
    // Everyone available was tried: the tried ones are used again rather than nothing.
    assert.equal(bal.choose([a, b], new Set([b])), b);
  });

  test('every member dead: the least recently failed one', () => {
    const [a, b, cc] = [node('a'), node('b'), node('c')];
    c.t += 1;
    b.accrual.failure();
    c.t += 1;
    a.accrual.failure();
    c.t += 1;
    cc.accrual.failure();
    const bal = createBalancer('p2c-ewma');
    assert.equal(bal.choose([a, b, cc], new Set()), b);
  });

  test('no members, or only draining ones: none', () => {
    const a = node('a');
    a.draining = true;
    const bal = createBalancer('p2c-ewma');
    assert.equal(bal.choose([], new Set()), undefined);
    assert.equal(bal.choose([a], new Set()), undefined);
  });

  test('p2c-ewma prefers the member with the lower load', () => {
    const fast = node('fast', 1);
    const slow = node('slow', 100);
    const bal = createBalancer('p2c-ewma');
    for (let i = 0; i < 20; i++) assert.equal(bal.choose([fast, slow], new Set()), fast);
  });
});

describe('retry budget', () => {
  test('the floor allows minPerSecond × TTL retries with no requests at all', () => {
    const c = clock();
    const b = new RetryBudget({ percent: 20, minPerSecond: 2, ttlMs: 10000 }, c.now);
    let n = 0;
    while (b.tryWithdraw() && n < 1000) n++;
    assert.equal(n, 20);
  });

  test('each request adds percent/100 of a retry; withdrawals expire with the window', () => {
    const c = clock();
    const b = new RetryBudget({ percent: 20, minPerSecond: 0, ttlMs: 10000 }, c.now);
    for (let i = 0; i < 100; i++) b.deposit();
    assert.equal(b.balance, 20);
    let n = 0;
    while (b.tryWithdraw() && n < 1000) n++;
    assert.equal(n, 20);
    assert.equal(b.tryWithdraw(), false);
    c.t += 11000; // deposits and withdrawals both expire
    assert.equal(b.balance, 0);
    for (let i = 0; i < 10; i++) b.deposit();
    assert.equal(b.balance, 2);
  });

  test('percent 0 and no floor: no retries', () => {
    const b = new RetryBudget({ percent: 0, minPerSecond: 0, ttlMs: 10000 }, clock().now);
    for (let i = 0; i < 100; i++) b.deposit();
    assert.equal(b.tryWithdraw(), false);
  });
});

describe('options', () => {
  test('defaults as documented', () => {
    const o = resolveOptions();
    assert.equal(o.balancer, 'p2c-ewma');
    assert.equal(o.requestTimeoutMs, 10000);
    assert.deepEqual(o.retryBudget, { percent: 20, minPerSecond: 10, ttlMs: 10000 });
    assert.deepEqual(o.failureAccrual, { consecutiveFailures: 5, markDeadMs: 5000 });
    assert.equal(o.decayMs, 10000);
  });

  test('a bad value is rejected naming the option', () => {
    assert.throws(() => resolveOptions({ requestTimeoutMs: -1 }), {
      code: 'BEACON_E_CONFIG',
      message: /requestTimeoutMs/,
    });
    assert.throws(() => resolveOptions({ retryBudget: { percent: 5000 } }), {
      message: /retryBudget\.percent/,
    });
    assert.throws(() => resolveOptions({ balancer: 'least' as never }), { message: /balancer/ });
  });
});
