// The ground truth of a fault scenario as the master's v1 event stream tells it — the same events,
// in the same order, that Beacon's DNS follows — instead of sampling the jobs API. A test-side
// SUBSCRIBE records which tasks are TASK_RUNNING at SUBSCRIBED and every later task state change,
// each stamped with the moment it arrived here (performance.now(), the clock of the probe's
// answers). The master writes an event to every subscriber in the same tick, so it reaches this
// process before a DNS answer that depends on it can (up to the order in which this process reads
// two ready sockets); a sampler, by contrast, lags by its
// period plus a request's time, which under CPU load outgrows the allowance. What a task's address
// is (A: host, SRV: host:port) still comes from the jobs API, so it is the scheduler's view, not
// the DNS's reading of DiscoveryInfo.
import http from 'node:http';
import { RecordIoDecoder } from '../../src/model/recordio.js';
import { withDeadline } from '../helpers/wait.js';
import { TruthTimeline, type ProbeType } from './dns-probe.js';

type Obj = Record<string, unknown>;

const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

/** A task's answers: its address (A) and `address:port` (SRV). */
export type TaskAddress = Record<ProbeType, string>;

interface Change {
  at: number;
  taskId: string;
  state: string;
}

export class StreamTruth {
  private readonly req: http.ClientRequest;
  private readonly decoder = new RecordIoDecoder();
  private subscribedAt: number | undefined;
  private readonly initial = new Set<string>();
  private readonly changes: Change[] = [];
  /** Why the stream ended before close(), if it did (the truth after that would be stale). */
  lost: string | undefined;
  private closed = false;
  private onSubscribed: () => void = () => undefined;
  private readonly subscribed = new Promise<void>((resolve) => (this.onSubscribed = resolve));

  private constructor(masterUrl: string) {
    this.req = http.request(`${masterUrl}/api/v1`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    this.req.on('response', (res) => {
      if (res.statusCode !== 200) this.end(`SUBSCRIBE answered HTTP ${res.statusCode}`);
      res.on('data', (c: Buffer) => {
        try {
          this.onData(c);
        } catch (e) {
          // An unreadable stream ends the truth (and fails the test through `lost`).
          this.end(`unreadable stream: ${(e as Error).message}`);
          this.req.destroy();
        }
      });
      res.on('end', () => this.end('the master ended the stream'));
      res.on('error', (e) => this.end(e.message));
    });
    this.req.on('error', (e) => this.end(e.message));
    this.req.end(JSON.stringify({ type: 'SUBSCRIBE' }));
  }

  /** Subscribes; resolves once SUBSCRIBED has arrived. */
  static async subscribe(masterUrl: string, timeoutMs = 10000): Promise<StreamTruth> {
    const t = new StreamTruth(masterUrl);
    try {
      await withDeadline(
        t.subscribed,
        timeoutMs,
        `SUBSCRIBED from ${masterUrl}`,
        () => t.lost ?? '',
      );
    } catch (e) {
      t.close();
      throw e;
    }
    return t;
  }

  close(): void {
    this.closed = true;
    this.req.destroy();
  }

  private end(why: string): void {
    if (!this.closed) this.lost ??= why;
  }

  private onData(chunk: Buffer): void {
    const now = performance.now();
    for (const record of this.decoder.push(chunk)) {
      const e = JSON.parse(record) as Obj;
      if (e.type === 'SUBSCRIBED') {
        const tasks = at(e, 'subscribed', 'get_state', 'get_tasks', 'tasks');
        for (const t of Array.isArray(tasks) ? tasks : []) {
          const id = at(t, 'task_id', 'value');
          if (typeof id === 'string' && at(t, 'state') === 'TASK_RUNNING') this.initial.add(id);
        }
        this.subscribedAt = now;
        this.onSubscribed();
      } else if (e.type === 'TASK_ADDED') {
        this.record(
          now,
          at(e, 'task_added', 'task', 'task_id', 'value'),
          at(e, 'task_added', 'task', 'state'),
        );
      } else if (e.type === 'TASK_UPDATED') {
        this.record(
          now,
          at(e, 'task_updated', 'status', 'task_id', 'value'),
          at(e, 'task_updated', 'state') ?? at(e, 'task_updated', 'status', 'state'),
        );
      }
    }
  }

  private record(now: number, taskId: unknown, state: unknown): void {
    if (typeof taskId !== 'string' || typeof state !== 'string')
      throw new Error(
        `a task event without a task id or state: ${String(taskId)} ${String(state)}`,
      );
    this.changes.push({ at: now, taskId, state });
  }

  /** When a task was seen TASK_RUNNING first (undefined: not yet). */
  runningSince(taskId: string): number | undefined {
    if (this.initial.has(taskId)) return this.subscribedAt;
    return this.changes.find((c) => c.taskId === taskId && c.state === 'TASK_RUNNING')?.at;
  }

  /** The RUNNING tasks' answers over time. `address` names each task seen RUNNING; a task it
   *  does not know fails the build (the truth would silently miss it). */
  timeline(address: (taskId: string) => TaskAddress | undefined): Record<ProbeType, TruthTimeline> {
    if (this.subscribedAt === undefined) throw new Error('not subscribed');
    const truth = { A: new TruthTimeline(), SRV: new TruthTimeline() };
    const running = new Set(this.initial);
    const add = (t: number) => {
      const addrs = [...running].map((id) => {
        const a = address(id);
        if (!a) throw new Error(`task ${id} RUNNING in the stream has no known address`);
        return a;
      });
      truth.A.add(
        t,
        addrs.map((a) => a.A),
      );
      truth.SRV.add(
        t,
        addrs.map((a) => a.SRV),
      );
    };
    add(this.subscribedAt);
    for (const c of this.changes) {
      if (c.state === 'TASK_RUNNING') running.add(c.taskId);
      else running.delete(c.taskId);
      add(c.at);
    }
    return truth;
  }
}
