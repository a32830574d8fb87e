// Shared by the fault scenarios and the soak: a bounded loop of real UDP DNS queries (rate and
// count capped) recording every answer with its send/receive times, a ground-truth timeline
// sampled from the master, and the checker that calls an answer wrong when it names an address
// that was not RUNNING at any moment from (sent − allowance) to (received + allowance), or answers
// empty/fails while something was RUNNING throughout that window.
import dgram from 'node:dgram';
import dnsPacket, { type Answer as DnsAnswer } from 'dns-packet';
import { waitFor } from '../helpers/wait.js';

export type ProbeType = 'A' | 'SRV';

export interface ProbeAnswer {
  name: string;
  type: ProbeType;
  /** performance.now() when sent / when the reply (or the timeout) came. */
  sentAt: number;
  at: number;
  /** NOERROR, NXDOMAIN, SERVFAIL…, or TIMEOUT. */
  rcode: string;
  /** A: the addresses; SRV: `ip:port` (the target's address from Additional, else the target). */
  values: string[];
}

export interface ProbeOptions {
  port: number;
  host?: string;
  questions: { name: string; type: ProbeType }[];
  /** Queries per second (spread over 10 ms ticks). */
  qps: number;
  /** Stop after this many queries whatever happens. */
  maxQueries: number;
  /** A query without a reply this long is a TIMEOUT. Default 1000 ms. */
  timeoutMs?: number;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

function srvValues(p: dnsPacket.Packet): string[] {
  const addr = new Map<string, string>();
  for (const r of (p.additionals ?? []) as DnsAnswer[]) {
    if (r.type === 'A') addr.set(r.name.toLowerCase(), String(r.data));
  }
  return ((p.answers ?? []) as DnsAnswer[])
    .filter((r) => r.type === 'SRV')
    .map((r) => {
      const d = r.data as { target: string; port: number };
      return `${addr.get(d.target.toLowerCase()) ?? d.target}:${d.port}`;
    });
}

/** The query loop. Answers accumulate in `answers` (bounded by maxQueries). */
export class DnsProbe {
  readonly answers: ProbeAnswer[] = [];
  sent = 0;
  private readonly o: Required<Omit<ProbeOptions, 'host'>> & { host: string };
  private sock: dgram.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { name: string; type: ProbeType; sentAt: number; timer: NodeJS.Timeout }
  >();
  private readonly listeners: ((a: ProbeAnswer) => void)[] = [];

  constructor(o: ProbeOptions) {
    this.o = { host: '127.0.0.1', timeoutMs: 1000, ...o };
  }

  /** Called for every answer (and timeout) as it is recorded. */
  onAnswer(fn: (a: ProbeAnswer) => void): void {
    this.listeners.push(fn);
  }

  async start(): Promise<void> {
    const sock = dgram.createSocket('udp4');
    this.sock = sock;
    sock.on('message', (msg) => this.onMessage(msg));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    // A late timer tick sends its accumulated queries in one burst; their answers arrive while
    // this thread is still sending and must wait in the socket buffer. The default (~200 KB,
    // a few hundred datagrams) overflows on a burst and the probe would count its own drops as
    // timeouts; 4 MiB (the usual rmem_max) holds thousands.
    try {
      sock.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      /* capped by net.core.rmem_max: keep what the kernel gives */
    }
    const perTick = this.o.qps / 100;
    let credit = 0;
    let q = 0;
    this.timer = setInterval(() => {
      credit += perTick;
      while (credit >= 1 && this.sent < this.o.maxQueries) {
        credit--;
        this.send(this.o.questions[q++ % this.o.questions.length]!);
      }
      if (this.sent >= this.o.maxQueries) clearInterval(this.timer);
    }, 10);
  }

  /** Waits (bounded) until `count` answers have been recorded. */
  async waitAnswers(count: number, what: string, timeoutMs = 5000): Promise<void> {
    await waitFor(what, () => this.answers.length >= count, timeoutMs, 10);
  }

  /** Waits (bounded) for the answers to a quarter second of queries more: what follows a
   *  recovery, before the probe is stopped. */
  async settle(): Promise<void> {
    await this.waitAnswers(this.sent + this.o.qps / 4, 'post-recovery answers');
  }

  /** Stops sending, waits for the answers in flight (bounded by the timeout), closes. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const deadline = performance.now() + this.o.timeoutMs + 100;
    while (this.pending.size > 0 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    this.sock?.close();
    this.sock = undefined;
  }

  private record(a: ProbeAnswer): void {
    this.answers.push(a);
    for (const fn of this.listeners) fn(a);
  }

  private send(q: { name: string; type: ProbeType }): void {
    const sock = this.sock;
    if (!sock) return;
    let id = this.nextId;
    while (this.pending.has(id)) id = (id % 65535) + 1;
    this.nextId = (id % 65535) + 1;
    const sentAt = performance.now();
    const timer = setTimeout(() => {
      this.pending.delete(id);
      this.record({ ...q, sentAt, at: performance.now(), rcode: 'TIMEOUT', values: [] });
    }, this.o.timeoutMs);
    this.pending.set(id, { ...q, sentAt, timer });
    this.sent++;
    sock.send(
      dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: q.type, name: q.name }],
      }),
      this.o.port,
      this.o.host,
    );
  }

  private onMessage(msg: Buffer): void {
    const at = performance.now();
    let p: dnsPacket.Packet;
    try {
      p = dnsPacket.decode(msg);
    } catch {
      return; // an undecodable reply is left to time out: counted as wrong
    }
    const q = this.pending.get(p.id ?? -1);
    if (!q) return;
    this.pending.delete(p.id!);
    clearTimeout(q.timer);
    const rcode = RCODES[(p.flags ?? 0) & 0xf] ?? `RCODE${(p.flags ?? 0) & 0xf}`;
    const values =
      q.type === 'A'
        ? ((p.answers ?? []) as DnsAnswer[]).flatMap((r) =>
            r.type === 'A' ? [String(r.data)] : [],
          )
        : srvValues(p);
    this.record({ name: q.name, type: q.type, sentAt: q.sentAt, at, rcode, values });
  }
}

/** The example job's names (A and the `http` port's SRV), what the fault scenarios ask for. */
export const EXAMPLE_A = 'http_example.test.vagrant.aurora.mesos';
export const EXAMPLE_SRV = '_http._http_example.test.vagrant._tcp.aurora.mesos';

/** A probe asking the example job's A and SRV at `qps` for at most `seconds`, each query given
 *  2 s (as a resolver would wait). */
export function exampleProbe(port: number, qps: number, seconds: number): DnsProbe {
  return new DnsProbe({
    port,
    questions: [
      { name: EXAMPLE_A, type: 'A' },
      { name: EXAMPLE_SRV, type: 'SRV' },
    ],
    qps,
    timeoutMs: 2000,
    maxQueries: qps * seconds,
  });
}

/** Ground truth over time: samples of the set of values (addresses, `ip:port`) that should be
 *  answered; a sample holds from its time until the next one. */
export class TruthTimeline {
  private readonly times: number[] = [];
  private readonly sets: Set<string>[] = [];

  /** Records the truth sampled at `t` (performance.now()); repeated sets are folded. */
  add(t: number, values: Iterable<string>): void {
    const set = new Set(values);
    const last = this.sets.at(-1);
    if (last && last.size === set.size && [...set].every((v) => last.has(v))) return;
    this.times.push(t);
    this.sets.push(set);
  }

  /** Times at which the truth changed (after the first sample). */
  changes(): number[] {
    return this.times.slice(1);
  }

  get samples(): number {
    return this.times.length;
  }

  /** The sets in force at some moment of [from, to]. */
  private during(from: number, to: number): Set<string>[] {
    // The last sample starting at or before `to`, then back while samples still reach `from`.
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= to) lo = mid + 1;
      else hi = mid;
    }
    const out: Set<string>[] = [];
    for (let i = lo - 1; i >= 0; i--) {
      const end = this.times[i + 1] ?? Infinity;
      if (end <= from) break;
      out.push(this.sets[i]!);
    }
    return out;
  }

  /** Was `value` true at some moment of [from, to]? */
  held(value: string, from: number, to: number): boolean {
    return this.during(from, to).some((s) => s.has(value));
  }

  /** Max over changes of how long answers lagged the change (see propagationMs); only answers
   *  sent within `horizonMs` of a change are looked at (bounded work on long soaks). */
  propagation(answers: ProbeAnswer[], horizonMs = 5000): { removed: number; added: number } {
    const sorted = [...answers].sort((x, y) => x.sentAt - y.sentAt);
    const firstAtOrAfter = (t: number) => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]!.sentAt < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let removed = 0;
    let added = 0;
    for (let i = 1; i < this.times.length; i++) {
      const tc = this.times[i]!;
      const end = Math.min(this.times[i + 1] ?? Infinity, tc + horizonMs);
      const slice = sorted.slice(firstAtOrAfter(tc), firstAtOrAfter(end));
      const before = this.sets[i - 1]!;
      const now = this.sets[i]!;
      for (const v of before) {
        if (now.has(v)) continue;
        const late = slice.filter((a) => a.values.includes(v));
        if (late.length) removed = Math.max(removed, late.at(-1)!.at - tc);
      }
      for (const v of now) {
        if (before.has(v)) continue;
        const first = slice.find((a) => a.values.includes(v));
        if (first) added = Math.max(added, first.at - tc);
      }
    }
    return { removed, added };
  }

  /** Was something true throughout [from, to] (so an empty answer is wrong)? */
  nonEmptyThroughout(from: number, to: number): boolean {
    const d = this.during(from, to);
    return d.length > 0 && d.every((s) => s.size > 0);
  }
}

export interface CheckResult {
  checked: number;
  wrong: number;
  /** Wrong because an answer named an address not RUNNING within the window. */
  staleOrUnknown: number;
  /** Wrong because the answer was empty/NXDOMAIN while something was RUNNING throughout. */
  missing: number;
  /** SERVFAIL, REFUSED, timeouts… */
  failed: number;
  examples: string[];
}

/** How far an answer's window is widened: `late`, back from when it was sent (how long the DNS
 *  may still name what the truth already dropped: propagation, and a truth stamped early);
 *  `early`, on from when it came (how far the DNS may seem ahead of the truth: a truth stamped
 *  late). A number is both. */
export type Allowance = number | { late: number; early: number };

/** Checks answers against the truth of their type. The truth's timestamps are themselves
 *  uncertain (it is sampled from the master, or observed through an event), and the DNS follows
 *  it with some propagation delay, so the allowance widens each answer's window:
 *  [sent − late, received + early]. */
export function checkAnswers(
  answers: ProbeAnswer[],
  truth: Record<ProbeType, TruthTimeline>,
  allowance: Allowance,
  window: { from?: number; to?: number } = {},
): CheckResult {
  const { late, early } =
    typeof allowance === 'number' ? { late: allowance, early: allowance } : allowance;
  const r: CheckResult = {
    checked: 0,
    wrong: 0,
    staleOrUnknown: 0,
    missing: 0,
    failed: 0,
    examples: [],
  };
  const bad = (a: ProbeAnswer, why: string) => {
    r.wrong++;
    if (r.examples.length < 5)
      r.examples.push(
        `${a.type} ${a.name} sent ${a.sentAt.toFixed(0)} got ${a.at.toFixed(0)}: ${a.rcode} [${a.values.join(' ')}] — ${why}`,
      );
  };
  for (const a of answers) {
    if (window.from !== undefined && a.sentAt < window.from) continue;
    if (window.to !== undefined && a.sentAt > window.to) continue;
    r.checked++;
    const t = truth[a.type];
    const from = a.sentAt - late;
    const to = a.at + early;
    if (a.rcode !== 'NOERROR' && a.rcode !== 'NXDOMAIN') {
      r.failed++;
      bad(a, 'no usable answer');
      continue;
    }
    const unknown = a.values.filter((v) => !t.held(v, from, to));
    if (unknown.length) {
      r.staleOrUnknown++;
      const within =
        late === early ? `within ${late} ms` : `from ${late} ms before to ${early} ms after`;
      bad(a, `not RUNNING ${within}: ${unknown.join(' ')}`);
      continue;
    }
    if (a.values.length === 0 && t.nonEmptyThroughout(from, to)) {
      r.missing++;
      bad(a, 'empty while tasks were RUNNING');
    }
  }
  return r;
}

/** Samples the truth every `everyMs` until stopped. A failed sample keeps the last one, and so
 *  does a pause: while the master is unreachable — and until the DNS has heard from it again —
 *  its last known state is the truth Beacon promises to serve (stale rather than empty). */
export function pollTruth(
  sample: () => Promise<Record<ProbeType, string[]> | undefined>,
  everyMs: number,
): {
  truth: Record<ProbeType, TruthTimeline>;
  stop(): Promise<void>;
  failures(): number;
  pause(): void;
  resume(): void;
} {
  const truth = { A: new TruthTimeline(), SRV: new TruthTimeline() };
  let running = true;
  let paused = false;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      try {
        const s = paused ? undefined : await sample();
        if (s && !paused) {
          // Stamped with the request's start: the state answered was true no later than that.
          truth.A.add(t, s.A);
          truth.SRV.add(t, s.SRV);
        }
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    truth,
    failures: () => failures,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** How long after each truth change the answers followed, max over both types: for a value that
 *  left, the last answer still naming it; for one that arrived, the first answer naming it. */
export function propagationMs(
  answers: ProbeAnswer[],
  truth: Record<ProbeType, TruthTimeline>,
): { removed: number; added: number } {
  const r = { removed: 0, added: 0 };
  for (const type of ['A', 'SRV'] as const) {
    const p = truth[type].propagation(answers.filter((a) => a.type === type));
    r.removed = Math.max(r.removed, p.removed);
    r.added = Math.max(r.added, p.added);
  }
  return r;
}
