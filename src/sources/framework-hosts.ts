// Addresses of frameworks that have no pid (HTTP-API schedulers): Mesos-DNS looks their
// `hostname` up and serves every address as the framework's A/AAAA record (generator.go
// frameworkRecords + hostToIPs). Beacon does it here, in the source layer: each lookup is bounded
// in time, answers are cached, at most a few run at once, and nothing waits for one — a state is
// annotated at once from the cache (`hostIps`), and a lookup that changes an answer is reported
// so the service updates the served set. Records stay pure; DNS queries never wait on a lookup.
import { lookup as dnsLookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { logger } from '../log.js';
import { normalizeIp } from '../model/mesos-addr.js';
import type { MesosFramework, MesosState } from '../model/mesos-state.js';

const log = logger('source.framework-hosts');

export interface FrameworkHostsOptions {
  /** Resolves a name to its addresses. Default: the system resolver (getaddrinfo, all families). */
  lookup?: (hostname: string) => Promise<string[]>;
  /** Bound of one lookup, ms; a slower one counts as failed (no addresses). Default 2000. */
  timeoutMs?: number;
  /** How long an answer is used before it is looked up again, ms. Default 60000. */
  ttlMs?: number;
  /** How long a failed or empty answer is kept before retrying, ms. Default 10000. */
  negativeTtlMs?: number;
  /** Most names cached; the least recently looked-up ones are forgotten first. Default 1024. */
  maxEntries?: number;
  /** Most lookups running at once; more wait their turn. Default 2 (getaddrinfo runs on the
   *  libuv thread pool, 4 threads shared with file and crypto work). */
  maxConcurrent?: number;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
}

export interface FrameworkHostsEvents {
  /** A lookup finished with an answer different from the one served before. */
  resolved: [hostname: string, ips: readonly string[]];
}

interface Entry {
  ips: readonly string[];
  /** When the answer is stale (0: never answered yet). */
  expiresAt: number;
  /** A lookup for it is queued or running. */
  busy: boolean;
}

const NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;
const NONE: readonly string[] = Object.freeze([]);

async function systemLookup(hostname: string): Promise<string[]> {
  const all = await dnsLookup(hostname, { all: true, verbatim: true });
  return all.map((a) => a.address);
}

/** True when a framework's address has to come from looking its hostname up. */
export function needsLookup(f: MesosFramework): boolean {
  return (
    !f.pid &&
    f.hostname !== '' &&
    f.hostname.length <= 253 &&
    normalizeIp(f.hostname) === undefined &&
    NAME.test(f.hostname)
  );
}

export class FrameworkHosts extends EventEmitter<FrameworkHostsEvents> {
  private readonly cache = new Map<string, Entry>();
  private readonly queue: string[] = [];
  private running = 0;
  private closed = false;
  private readonly o: Required<FrameworkHostsOptions>;

  constructor(opts: FrameworkHostsOptions = {}) {
    super();
    this.o = {
      lookup: opts.lookup ?? systemLookup,
      timeoutMs: opts.timeoutMs ?? 2000,
      ttlMs: opts.ttlMs ?? 60_000,
      negativeTtlMs: opts.negativeTtlMs ?? 10_000,
      maxEntries: opts.maxEntries ?? 1024,
      maxConcurrent: opts.maxConcurrent ?? 2,
      now: opts.now ?? Date.now,
    };
  }

  /** Sets `hostIps` on every framework of `state` that needs a lookup, from the cache, and
   *  starts lookups for names not cached or stale. Synchronous: never waits for a lookup. */
  annotate(state: MesosState): void {
    for (const f of state.frameworks) this.annotateFramework(f);
  }

  /** The same for one framework (an event-stream change). */
  annotateFramework(f: MesosFramework): void {
    if (!needsLookup(f)) return;
    const host = f.hostname.toLowerCase();
    const e = this.entry(host);
    if (e.ips.length > 0) f.hostIps = e.ips;
    if (e.expiresAt <= this.o.now() && !e.busy) {
      e.busy = true;
      this.queue.push(host);
      this.pump();
    }
  }

  /** The cached addresses of `hostname` (undefined when never answered). */
  cached(hostname: string): readonly string[] | undefined {
    const e = this.cache.get(hostname.toLowerCase());
    return e && e.expiresAt > 0 ? e.ips : undefined;
  }

  /** Stops: queued lookups are dropped, running ones are ignored when they finish. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private entry(host: string): Entry {
    let e = this.cache.get(host);
    if (e) {
      // Most recently used last: the first key is the one to forget.
      this.cache.delete(host);
      this.cache.set(host, e);
      return e;
    }
    e = { ips: NONE, expiresAt: 0, busy: false };
    this.cache.set(host, e);
    while (this.cache.size > this.o.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    return e;
  }

  private pump(): void {
    while (!this.closed && this.running < this.o.maxConcurrent && this.queue.length > 0) {
      const host = this.queue.shift()!;
      this.running++;
      void this.resolve(host).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async resolve(host: string): Promise<void> {
    let ips: readonly string[] = NONE;
    let ok = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        this.o.lookup(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.o.timeoutMs} ms`)),
            this.o.timeoutMs,
          );
          timer.unref();
        }),
      ]);
      const out: string[] = [];
      for (const a of found) {
        const ip = normalizeIp(a);
        if (ip !== undefined && !out.includes(ip)) out.push(ip);
      }
      ips = out;
      ok = out.length > 0;
    } catch (e) {
      log.debug({ host, err: (e as Error).message }, 'framework hostname lookup failed');
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) return;
    const e = this.cache.get(host);
    if (!e) return; // forgotten meanwhile (cache full)
    e.busy = false;
    e.expiresAt = this.o.now() + (ok ? this.o.ttlMs : this.o.negativeTtlMs);
    const same = e.ips.length === ips.length && e.ips.every((ip, i) => ip === ips[i]);
    e.ips = ips;
    if (!same) this.emit('resolved', host, ips);
  }
}
