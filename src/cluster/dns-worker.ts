// The devcluster's DNS service in its own worker thread (started by cluster/dns.ts): the same
// composition root as `beacon dns` (service/dns-service.ts), fed by the master's v1 event stream
// over HTTP like any `beacon dns`. Its event loop answers queries whatever the devcluster's main
// thread — scheduler, agents, executors' health checks, the embedded ZooKeeper — is busy with.
// Messages: `ready` (addresses) or `failed` (the start-up error) once; then answers `sample`
// (the chart's counters) and `close`.
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig } from '../config/mesos-dns.js';
import { isBeaconError } from '../errors.js';
import { DnsService } from '../service/dns-service.js';
import { readDnsSample } from './dashboard/metrics-sampler.js';

export type ToWorker =
  { type: 'sample'; id: number } | { type: 'memory'; id: number } | { type: 'close' };

/** The worker's own heap (after full GCs when the process runs with --expose-gc), in bytes. */
export interface WorkerMemory {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  collected: boolean;
}
export type FromWorker =
  | {
      type: 'ready';
      dns: { host: string; port: number };
      http?: { host: string; port: number };
      source: string;
    }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'sample'; id: number; sample: Awaited<ReturnType<typeof readDnsSample>> }
  | { type: 'memory'; id: number; memory: WorkerMemory }
  | { type: 'closed' };

const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);

async function main(): Promise<void> {
  const { config } = parseConfig(workerData as Record<string, unknown>, 'devcluster DNS settings');
  let service: DnsService;
  try {
    service = await DnsService.start({ config, processMetrics: false });
  } catch (e) {
    send({
      type: 'failed',
      message: (e as Error).message,
      ...(isBeaconError(e) ? { code: e.code } : {}),
    });
    port.close();
    return;
  }
  port.on('message', (m: ToWorker) => {
    if (m.type === 'sample') {
      void readDnsSample(service.metrics.registry).then((sample) =>
        send({ type: 'sample', id: m.id, sample }),
      );
    } else if (m.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const u = process.memoryUsage();
      send({
        type: 'memory',
        id: m.id,
        memory: {
          heapUsed: u.heapUsed,
          external: u.external,
          arrayBuffers: u.arrayBuffers,
          collected: gc !== undefined,
        },
      });
    } else if (m.type === 'close') {
      void service.close().finally(() => {
        send({ type: 'closed' });
        port.close();
      });
    }
  });
  send({
    type: 'ready',
    dns: service.dnsAddress()!,
    http: service.httpAddress(),
    source: service.sourceDescription(),
  });
}

void main().catch((e: unknown) => {
  send({ type: 'failed', message: (e as Error).message });
  port.close();
});
