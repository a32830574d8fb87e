// The jobs API client used by `beacon job …`: JSON over HTTP to the devcluster master, with the
// API token as `Authorization: Bearer …` when one is given. Errors from the master come back with
// their code and message; an unreachable master says so.
import {
  errorFor,
  ErrorCodes,
  isErrorCode,
  StateError,
  UnauthorizedError,
  UsageError,
} from '../errors.js';
import type { JobConfig } from './job-schema.js';
import type { JobSummary, JobView } from './scheduler.js';

export class JobsClient {
  constructor(
    private readonly masterUrl: string,
    /** Sent as `Authorization: Bearer <apiToken>` (the master's --api-token). */
    private readonly apiToken?: string,
  ) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.masterUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      const headers: Record<string, string> =
        body === undefined ? {} : { 'content-type': 'application/json' };
      if (this.apiToken !== undefined) headers.authorization = `Bearer ${this.apiToken}`;
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new UsageError(
        `cannot reach the master at ${this.masterUrl} (${cause}); start it with 'npm start' or pass --master URL`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new StateError(`${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const err = json as { error?: string; code?: string };
      // The master's code comes back as the same class; a reply without one is a job error.
      if (res.status === 401) {
        throw new UnauthorizedError(
          `${this.masterUrl}: ${err.error ?? 'HTTP 401: the master wants an API token (--api-token)'}`,
        );
      }
      throw errorFor(
        isErrorCode(err.code) ? err.code : ErrorCodes.JOB,
        err.error ?? `HTTP ${res.status}`,
      );
    }
    return json as T;
  }

  create(key: string, config: JobConfig, source: string): Promise<JobView> {
    return this.call('POST', '/jobs', { key, config, source });
  }

  kill(key: string, instances?: number[]): Promise<JobView> {
    return this.call('POST', `/jobs/${key}/kill`, { instances });
  }

  restart(key: string, instances?: number[]): Promise<JobView> {
    return this.call('POST', `/jobs/${key}/restart`, { instances });
  }

  status(key: string): Promise<JobView> {
    return this.call('GET', `/jobs/${key}`);
  }

  async list(): Promise<JobSummary[]> {
    return (await this.call<{ jobs: JobSummary[] }>('GET', '/jobs')).jobs;
  }
}
