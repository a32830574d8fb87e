// The executor's HTTP health checker (Aurora's HealthChecker): GET http://host:port/path every
// interval; failures inside the initial interval do not count; `max_consecutive_failures` failures
// in a row after it make the task unhealthy (it is failed). The first success marks it healthy; a
// failing check after that reports it failing (Mesos sends TASK_RUNNING with healthy: false, and
// DNS leaves it out of the job's names), and the next success healthy again.
import http from 'node:http';
import { EventEmitter } from 'node:events';

export interface HealthCheckOptions {
  host: string;
  port: number;
  path: string;
  expected: string;
  intervalMs: number;
  initialMs: number;
  maxFailures: number;
  timeoutMs: number;
}

export interface HealthEvents {
  /** The first passing check, and the first passing one after a failing one. */
  healthy: [];
  /** The first failing check after a passing one (the task is not failed yet). */
  failing: [reason: string];
  /** `maxFailures` consecutive failures after the initial interval. */
  unhealthy: [reason: string];
}

/** One check: resolves with a failure reason, or undefined when it passed. */
export function checkOnce(
  o: Pick<HealthCheckOptions, 'host' | 'port' | 'path' | 'expected' | 'timeoutMs'>,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: o.host, port: o.port, path: o.path, timeout: o.timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 65536) chunks.push(c);
        });
        res.on('error', (e) => resolve(e.message));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').trim();
          if ((res.statusCode ?? 0) !== 200) resolve(`HTTP ${res.statusCode}`);
          else if (body !== o.expected)
            resolve(`answered '${body.slice(0, 40)}', expected '${o.expected}'`);
          else resolve(undefined);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', (e) => resolve(e.message));
  });
}

export class HealthChecker extends EventEmitter<HealthEvents> {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private healthySent = false;
  private failingSent = false;
  private readonly startedAt = Date.now();

  constructor(private readonly o: HealthCheckOptions) {
    super();
  }

  start(): void {
    this.schedule(Math.min(this.o.intervalMs, 200));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const failure = await checkOnce(this.o);
    if (this.stopped) return;
    const target = `http://${this.o.host}:${this.o.port}${this.o.path}`;
    if (failure === undefined) {
      this.failures = 0;
      if (!this.healthySent || this.failingSent) {
        this.healthySent = true;
        this.failingSent = false;
        this.emit('healthy');
      }
      // Until the first success, check often so RUNNING follows the process start closely.
      this.schedule(this.o.intervalMs);
      return;
    }
    const inInitial = Date.now() - this.startedAt < this.o.initialMs;
    if (!inInitial) this.failures++;
    if (this.healthySent && !this.failingSent && this.failures < this.o.maxFailures) {
      this.failingSent = true;
      this.emit('failing', `${target}: ${failure}`);
    }
    if (this.failures >= this.o.maxFailures) {
      this.stop();
      this.emit(
        'unhealthy',
        `Failed health check! ${target}: ${failure} (${this.failures} times in a row)`,
      );
      return;
    }
    this.schedule(this.healthySent ? this.o.intervalMs : Math.min(this.o.intervalMs, 100));
  }
}
