// The service while a big state snapshot is built in slices (DnsService.queueState/loadState):
// a change that follows a snapshot waiting behind a build is kept, a framework address looked up
// during a build reaches the new set, and close() during a reload's build settles the reload;
// and a failed read collects its garbage only when a document was read.
// The state comes from a scripted source (the service's `makeSource` option), so the order of
// snapshots and changes is exactly the one each test sets up.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, it } from 'node:test';
import type { Config } from '../../src/config/mesos-dns.js';
import { parseState, type MesosState } from '../../src/model/mesos-state.js';
import { DnsService, type DnsServiceOptions } from '../../src/service/dns-service.js';
import { RecordStore } from '../../src/records/store.js';
import { StateError } from '../../src/errors.js';
import type {
  SourceStatus,
  StateSnapshot,
  StateSource,
  StateSourceEvents,
} from '../../src/sources/types.js';
import { testConfig } from '../http/fixture.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { dig } from '../helpers/dig.js';

/** A state document: `n` running tasks on one agent, plus `extra` frameworks. */
function doc(n: number, extra: unknown[] = []): unknown {
  const tasks = [];
  for (let i = 0; i < n; i++)
    tasks.push({
      id: `t${i}`,
      name: `job${i % 500}`,
      slave_id: 'S0',
      state: 'TASK_RUNNING',
      resources: { ports: `[${31000 + (i % 1000)}-${31000 + (i % 1000)}]` },
      statuses: [
        {
          state: 'TASK_RUNNING',
          timestamp: 1,
          container_status: {
            network_infos: [
              {
                ip_addresses: [
                  { ip_address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
                ],
              },
            ],
          },
        },
      ],
    });
  return {
    leader: 'master@10.0.0.9:5050',
    slaves: [{ id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
    frameworks: [{ id: 'F', name: 'Aurora', pid: 'scheduler@10.0.0.2:8080', tasks }, ...extra],
  };
}

function snapshot(d: unknown): StateSnapshot<MesosState> {
  return { state: parseState(d).state, warnings: [], fetchedAt: Date.now(), from: 'scripted' };
}

/** Emits what the test tells it to; `first` on start. */
class ScriptedSource
  extends EventEmitter<StateSourceEvents<MesosState>>
  implements StateSource<MesosState>
{
  constructor(private readonly first?: unknown) {
    super();
  }
  start(): void {
    if (this.first !== undefined) this.emit('snapshot', snapshot(this.first));
  }
  async close(): Promise<void> {}
  status(): SourceStatus {
    return { kind: 'file', target: 'scripted', consecutiveFailures: 0 };
  }
}

describe('state loads in slices, in the service', () => {
  const open: DnsService[] = [];
  after(async () => {
    for (const s of open) await s.close();
  });

  /** A service whose every state source is scripted: the first one starts with `first`. */
  async function serve(
    first: unknown,
    later: (config: Config) => unknown = () => undefined,
    opts: Partial<DnsServiceOptions> = {},
  ): Promise<{ service: DnsService; sources: ScriptedSource[] }> {
    const sources: ScriptedSource[] = [];
    const service = await DnsService.start({
      ...opts,
      config: testConfig(),
      processMetrics: false,
      makeSource: (config) => {
        const s = new ScriptedSource(sources.length === 0 ? first : later(config));
        sources.push(s);
        return s;
      },
    });
    open.push(service);
    await waitFor('the first load', () => service.records() !== undefined, 30000);
    return { service, sources };
  }

  it('a document read and rejected is collected after; a failure that read nothing is not', async () => {
    const calls: number[] = [];
    const { service, sources } = await serve(doc(10), undefined, {
      afterFailedRead: (tasks) => calls.push(tasks),
    });
    const fail = async (error: Error, consecutive: number) => {
      const failed = nextEvent(service, 'failed');
      sources[0]!.emit('failure', { error, at: Date.now(), consecutive });
      await failed;
    };
    await fail(new StateError('http://m:5050/master/state: connection refused'), 1);
    await fail(new Error('a failure from elsewhere'), 2);
    assert.deepEqual(calls, [], 'nothing was read: no collection');
    await fail(
      new StateError('http://m:5050/master/state: the answer is not JSON', { documentRead: true }),
      3,
    );
    assert.deepEqual(calls, [10], "collected, sized by the serving set's tasks");
    assert.equal(service.records()!.taskCount(), 10, 'the last good records still served');
    // A document the stream's fallback poll read and rejected: collected after, not a failure.
    const at = Date.now();
    sources[0]!.emit('discarded', {
      error: new StateError('http://m:5050/master/state: cut short?', { documentRead: true }),
      at,
      consecutive: 1,
    });
    sources[0]!.emit('discarded', {
      error: new StateError('http://m:5050/master/state: connection refused'),
      at,
      consecutive: 2,
    });
    assert.deepEqual(calls, [10, 10], 'one more collection, for the document read');
    assert.equal(service.health().consecutiveFailures, 3, 'not counted as a failure');
  });

  /** Holds every sliced build until `release()` (or makes it fail with `fail(e)`), so a test
   *  asks DNS while the first build has certainly not finished; `ended()` settles once the last
   *  build started has ended, either way. */
  function holdBuilds(): {
    release(): void;
    fail(e: Error): void;
    ended(): Promise<void>;
    restore(): void;
  } {
    const original = RecordStore.prototype.loadStateSliced;
    let go!: (e?: Error) => void;
    const gate = new Promise<Error | undefined>((resolve) => (go = resolve));
    let last: Promise<void> = Promise.resolve();
    RecordStore.prototype.loadStateSliced = function (this: RecordStore, ...args) {
      const build = gate.then((e) => {
        if (e) throw e;
        return original.apply(this, args);
      });
      last = build.then(
        () => undefined,
        () => undefined,
      );
      return build;
    };
    return {
      release: () => go(),
      fail: (e) => go(e),
      ended: () => last,
      restore: () => (RecordStore.prototype.loadStateSliced = original),
    };
  }

  /** A service whose source gives `d` first; its close() takes `closeMs`. */
  async function holding(d: unknown, closeMs = 0): Promise<{ service: DnsService; port: number }> {
    const service = await DnsService.start({
      config: testConfig(),
      processMetrics: false,
      makeSource: () => {
        const s = new ScriptedSource(d);
        s.close = () => new Promise((r) => setTimeout(r, closeMs));
        return s;
      },
    });
    open.push(service);
    return { service, port: service.dnsAddress()!.port };
  }

  const ips = (d: Awaited<ReturnType<typeof dig>>) => d.answer.map((r) => r[4]).sort();

  it('while the first state builds, task names and unknown names are answered from it; `_tcp.fw.D.` waits for the whole zone', async () => {
    const hold = holdBuilds();
    try {
      const { service, port } = await holding(doc(4000));
      const loaded = nextEvent(service, 'loaded', 60000);
      const [early, unknown, unknownSrv, proto, ptr] = await Promise.all([
        dig(port, ['job7.aurora.mesos', 'A']),
        dig(port, ['nosuchjob.aurora.mesos', 'A']),
        dig(port, ['_nosuchjob._tcp.aurora.mesos', 'SRV']),
        dig(port, ['_tcp.aurora.mesos', 'SRV']),
        dig(port, ['-x', '10.0.0.7']),
      ]);
      assert.equal(service.records(), undefined, 'the build is held');
      assert.equal(service.notReady(), 'no state loaded yet', '/readyz still says not ready');
      assert.equal(early.status, 'NOERROR');
      assert.equal(ips(early).length, 8, '4,000 tasks over 500 jobs');
      assert.equal(unknown.status, 'NXDOMAIN', 'no task can make it or a name below it');
      assert.equal(unknownSrv.status, 'NXDOMAIN');
      assert.equal(proto.status, 'SERVFAIL', 'every SRV name of the framework is below it');
      assert.equal(ptr.status, 'NOERROR', 'the PTR name of a task address: its job is added');
      assert.equal(ptr.answer.length, 1);
      hold.release();
      await loaded;
      const full = await dig(port, ['job7.aurora.mesos', 'A']);
      assert.deepEqual(ips(full), ips(early), 'the same answer from the full set');
      assert.equal((await dig(port, ['nosuchjob.aurora.mesos', 'A'])).status, 'NXDOMAIN');
      const protoFull = await dig(port, ['_tcp.aurora.mesos', 'SRV']);
      assert.equal(protoFull.status, 'NOERROR', 'an empty non-terminal');
      assert.equal(protoFull.answer.length, 0);
      assert.deepEqual(
        (await dig(port, ['-x', '10.0.0.7'])).answer.map((r) => r[4]),
        ptr.answer.map((r) => r[4]),
      );
    } finally {
      hold.restore();
    }
  });

  it('a first build that fails takes its early answers with it', async () => {
    const hold = holdBuilds();
    try {
      const { service, port } = await holding(doc(4000));
      assert.equal((await dig(port, ['job7.aurora.mesos', 'A'])).status, 'NOERROR');
      const failed = nextEvent(service, 'failed');
      hold.fail(new Error('the build broke'));
      await failed;
      assert.equal((await dig(port, ['job7.aurora.mesos', 'A'])).status, 'SERVFAIL');
      assert.equal((await dig(port, ['job8.aurora.mesos', 'A'])).status, 'SERVFAIL');
    } finally {
      hold.restore();
    }
  });

  it('close() during the first build: task names SERVFAIL until DNS closes, never an empty answer', async () => {
    const hold = holdBuilds();
    try {
      // The sources take 2 s to close, and DNS closes after them.
      const { service, port } = await holding(doc(40000), 2000);
      assert.equal((await dig(port, ['job7.aurora.mesos', 'A'])).status, 'NOERROR');
      const closed = service.close();
      // The build runs after the abort: it stops at its first slice, and DNS is still open.
      hold.release();
      await hold.ended();
      for (const name of ['job7.aurora.mesos', 'job8.aurora.mesos']) {
        const d = await dig(port, [name, 'A']);
        const ok = d.status === 'SERVFAIL' || (d.status === 'NOERROR' && ips(d).length === 80);
        assert.ok(ok, `${name} while closing: ${d.status} with ${ips(d).length} addresses`);
      }
      await closed;
    } finally {
      hold.restore();
    }
  });

  it('a change that comes after a snapshot waiting behind a build is kept', async () => {
    const { service, sources } = await serve(doc(10));
    const src = sources[0]!;
    const loaded = nextEvent(service, 'loaded', 60000);
    src.emit('snapshot', snapshot(doc(30000))); // a long build starts (and yields)
    src.emit('snapshot', snapshot(doc(100))); // a resubscription: waits for the build
    const fw = parseState({
      frameworks: [{ id: 'G', name: 'newfw', pid: 'scheduler@10.9.9.9:8080' }],
    }).state.frameworks[0]!;
    src.emit(
      'change',
      { type: 'framework', framework: fw },
      {
        at: Date.now(),
        event: 'FRAMEWORK_ADDED',
        from: 'scripted',
      },
    );
    assert.deepEqual(service.records()!.get('newfw.mesos.')?.a, ['10.9.9.9'], 'served at once');
    await loaded; // the 30,000-task build
    await waitFor(
      'the second snapshot served',
      () => service.records()!.taskCount() === 100,
      60000,
    );
    assert.deepEqual(
      service.records()!.get('newfw.mesos.')?.a,
      ['10.9.9.9'],
      'and still served after the snapshot it followed',
    );
  });

  it('an update of a task only a queued snapshot holds goes on as applied, as during a build', async () => {
    const { service, sources } = await serve(doc(10));
    const src = sources[0]!;
    // The queued snapshot's tasks have ids no other set holds.
    const queued = doc(100) as { frameworks: { tasks: { id: string }[] }[] };
    for (const t of queued.frameworks[0]!.tasks) t.id = `q${t.id}`;
    const changed: string[] = [];
    service.on('changed', (_c, meta) => changed.push(meta.event));
    // The build of the snapshot before it has not begun to slice (it is held), so the store has
    // no build to give the change to: only the queued snapshot can hold the task.
    const hold = holdBuilds();
    try {
      src.emit('snapshot', snapshot(doc(300)));
      src.emit('snapshot', snapshot(queued)); // waits for that build
      const update = {
        taskId: 'qt5',
        frameworkId: 'F',
        state: 'TASK_RUNNING',
        status: { state: 'TASK_RUNNING', timestamp: 2, labels: [], networkIps: ['10.77.0.5'] },
      };
      src.emit(
        'change',
        { type: 'taskStatus', update },
        { at: Date.now(), event: 'TASK_UPDATED', from: 'scripted' },
      );
      // Counted and announced like a change applied during a build, not dropped as an update
      // of an unknown task.
      assert.deepEqual(changed, ['TASK_UPDATED']);
      hold.release();
      await waitFor('the queued snapshot served', () => service.records()!.taskCount() === 100);
      assert.deepEqual(
        service.records()!.get('job5.aurora.mesos.')?.a,
        ['10.77.0.5'],
        'the queued snapshot got the update',
      );
    } finally {
      hold.release();
      hold.restore();
    }
  });

  it('a framework address looked up during a build reaches the new set', async () => {
    const d = doc(30000, [{ id: 'H', name: 'httpfw', hostname: 'localhost', tasks: [] }]);
    const { service } = await serve(d);
    await waitFor(
      'httpfw.mesos. answering with the looked-up address of localhost',
      () => (service.records()!.get('httpfw.mesos.')?.a.length ?? 0) > 0,
      10000,
    );
  });

  it('close() while a reload builds its new generation settles the reload', async () => {
    const { service } = await serve(doc(10), () => doc(60000));
    const reload = service.reload({ ...service.config, domain: 'other' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    await service.close();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      reload.then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('pending after 20 s'), 20000);
      }),
    ]);
    clearTimeout(timer);
    assert.match(outcome, /^rejected: .*(closed|shutting down)/);
  });
});
