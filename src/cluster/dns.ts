// Runs the devcluster's DNS service (service/dns-service.ts: source → records → DNS + HTTP API)
// in its own worker thread (cluster/dns-worker.ts), fed from the devcluster's own master over
// HTTP — the v1 event stream, or /master/state polls — and its ServerSets over the ZooKeeper wire,
// exactly as a separate `beacon dns` would be. The DNS event loop is then not the one the
// scheduler, agents, health checks and embedded ZooKeeper share: a stall there (a synchronous
// state write, a burst of task launches, a GC of their heap) delays updates, never a query.
// The dashboard follows a records-only mirror of the service in this thread (no sockets) and
// asks the worker for the chart's query counters. Settings suit one machine: loopback
// listeners, no forwarding of other names, a short poll interval.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../config/mesos-dns.js';
import { errorFor, isErrorCode } from '../errors.js';
import { logger } from '../log.js';
import { compiledFile } from '../package-root.js';
import { DnsService } from '../service/dns-service.js';
import type { DashboardDns } from './dashboard/index.js';
import type { DnsSample } from './dashboard/metrics-sampler.js';
import type { FromWorker, ToWorker, WorkerMemory } from './dns-worker.js';

const log = logger('devcluster-dns');

export interface DevclusterDnsOptions {
  /** `ip:port` of the master. */
  master: string;
  dnsHost: string;
  dnsPort: number;
  httpHost: string;
  httpPort: number;
  domain: string;
  /** `stream`: follow the master's v1 SUBSCRIBE stream; `poll`: poll /master/state. */
  source: 'stream' | 'poll';
  /** Poll interval, seconds (refreshSeconds). */
  refreshSeconds: number;
  /** The cluster's ZooKeeper: every ServerSet under `/aurora` is served too, so anything
   *  announced there (not only Aurora tasks) gets names. Omit to serve state records only. */
  serversetsZk?: string;
  /** Keep a records-only mirror in this thread for the dashboard. Default true. */
  mirror?: boolean;
  /** Called with the dashboard's view as soon as the mirror exists (before its first load, so
   *  the dashboard's feed starts from the first records). */
  attach?: (d: DashboardDns) => void;
}

export interface DevclusterDns {
  /** `ip:port` of the DNS server (UDP and TCP). */
  readonly dnsAddress: string;
  readonly httpUrl: string;
  readonly domain: string;
  /** What feeds it, e.g. `masters 127.0.0.1:5050 (v1 event stream)`. */
  readonly source: string;
  /** What the dashboard follows (undefined with `mirror: false`). */
  readonly dashboard: DashboardDns | undefined;
  /** The worker thread's id (it shares the process, not the event loop). */
  readonly threadId: number;
  /** The worker's heap (bench/memory.ts: the process's RSS holds both threads' heaps). */
  memory(): Promise<WorkerMemory>;
  close(): Promise<void>;
}

/** The config both the worker's service and the mirror parse (the mirror drops the sockets). */
function rawConfig(o: DevclusterDnsOptions): Record<string, unknown> {
  return {
    masters: [o.master],
    refreshSeconds: o.refreshSeconds,
    stateTimeoutSeconds: 10,
    domain: o.domain,
    listener: o.dnsHost,
    port: o.dnsPort,
    HTTPListener: o.httpHost,
    httpport: o.httpPort,
    // Only the cluster's names: a devcluster should not forward the rest of the world's.
    externalon: false,
    recurseon: false,
    resolvers: [],
    stateSource: o.source,
    serversets: o.serversetsZk ? [{ zk: o.serversetsZk, root: '/aurora' }] : [],
  };
}

export async function startDevclusterDns(o: DevclusterDnsOptions): Promise<DevclusterDns> {
  const raw = rawConfig(o);
  // Validated here too, so a bad setting fails in the caller's thread with the usual message.
  parseConfig(raw, 'devcluster DNS settings');
  // The mirror first: it starts in this thread at once (no sockets), so the dashboard sees the
  // state from the first moments while the worker is still loading its modules.
  let mirror: DnsService | undefined;
  if (o.mirror ?? true) {
    // No sockets and no ServerSets: only the state's records, for the dashboard (the config
    // check refuses dnson and httpon both off for a real service, so they are turned off after).
    const { config } = parseConfig({ ...raw, serversets: [] }, 'devcluster DNS settings');
    mirror = await DnsService.start({
      config: { ...config, dnson: false, httpon: false },
      processMetrics: false,
    });
  }
  let dnsAddress = `${o.dnsHost}:${o.dnsPort}`;
  // Samples are asked of the worker once it is ready; before that (and after close) there are none.
  let sample: () => Promise<DnsSample> = () => Promise.reject(new Error('DNS not started'));
  const dashboard: DashboardDns | undefined = mirror && {
    records: mirror,
    get dnsAddress() {
      return dnsAddress;
    },
    sample: () => sample(),
  };
  if (dashboard) o.attach?.(dashboard);
  const worker = new Worker(compiledFile('cluster/dns-worker.js'), { workerData: raw });
  const pending = new Map<number, (s: DnsSample) => void>();
  const pendingMemory = new Map<number, (m: WorkerMemory) => void>();
  let nextId = 0;
  let exited = false;
  let closing = false;
  const closed = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      exited = true;
      for (const r of pending.values()) r({ queries: [], stateAge: undefined });
      pending.clear();
      if (!closing) log.error({ code }, 'the DNS worker thread exited');
      resolve();
    });
  });
  worker.on('error', (e) => log.error({ err: e.message }, 'the DNS worker thread failed'));

  // The first message says whether the service started.
  const [first] = (await Promise.race([
    once(worker, 'message'),
    closed.then(() => [{ type: 'failed', message: 'the DNS worker thread exited at start' }]),
  ])) as [FromWorker];
  if (first.type !== 'ready') {
    await closed;
    await mirror?.close();
    const f = first as Extract<FromWorker, { type: 'failed' }>;
    throw f.code && isErrorCode(f.code) ? errorFor(f.code, f.message) : new Error(f.message);
  }
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'sample') {
      pending.get(m.id)?.(m.sample);
      pending.delete(m.id);
    } else if (m.type === 'memory') {
      pendingMemory.get(m.id)?.(m.memory);
      pendingMemory.delete(m.id);
    }
  });
  const post = (m: ToWorker) => worker.postMessage(m);

  dnsAddress = `${first.dns.host}:${first.dns.port}`;
  sample = () =>
    exited || closing
      ? Promise.reject(new Error('the DNS worker is closed'))
      : new Promise<DnsSample>((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          post({ type: 'sample', id });
        });
  const close = async () => {
    if (closing) return closed;
    closing = true;
    await mirror?.close();
    if (!exited) {
      post({ type: 'close' });
      // Bounded: a worker that does not close in time is terminated.
      const t = setTimeout(() => void worker.terminate(), 5000);
      await closed;
      clearTimeout(t);
    }
  };
  return {
    dnsAddress,
    httpUrl: first.http ? `http://${first.http.host}:${first.http.port}` : '',
    domain: o.domain,
    source: describeSource(first.source, o),
    threadId: worker.threadId,
    memory: () =>
      exited || closing
        ? Promise.reject(new Error('the DNS worker is closed'))
        : new Promise<WorkerMemory>((resolve) => {
            const id = nextId++;
            pendingMemory.set(id, resolve);
            post({ type: 'memory', id });
          }),
    dashboard,
    close,
  };
}

/** What really feeds the DNS service: the stream when the service runs it, else polling. */
function describeSource(desc: string, o: DevclusterDnsOptions): string {
  if (desc.includes('event stream')) return desc;
  return `${desc}, polled every ${o.refreshSeconds} s`;
}
