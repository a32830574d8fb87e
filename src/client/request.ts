// One request through the client: picks a member, sends the attempt on its pool, and retries on
// another member when the attempt failed before any response byte and retrying is safe — the
// request was never sent, or its method is idempotent and its body can be sent again — within
// the retry budget and the request's deadline. Member accounting (outstanding, peak-EWMA latency,
// failure accrual) is updated per attempt. 5xx responses are responses: returned, not retried.
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { errors as undiciErrors } from 'undici';
import { NoMembersError, TimeoutError } from '../errors.js';
import type { Balancer } from './balancer.js';
import type { MemberNode } from './member.js';
import type { Membership } from './membership.js';
import type { ClientMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { RetryBudget } from './retry-budget.js';

/** The handler interface undici's request/fetch/stream hand to a dispatcher. */
export interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  onResponseStarted?(): void;
  onHeaders?(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: string[] | Buffer[] | null): void;
  onError?(err: Error): void;
  onUpgrade?(status: number, headers: Buffer[] | string[] | null, socket: Duplex): void;
  onBodySent?(chunkSize: number, totalBytesSent: number): void;
}

export interface RequestContext {
  membership: Membership;
  balancer: Balancer;
  budget: RetryBudget;
  metrics: ClientMetrics;
  options: ResolvedOptions;
  now: () => number;
  /** The ServerSet path, for messages. */
  label: string;
  /** True once the client is closing: waiting requests fail instead of waiting on. */
  closed: () => boolean;
}

/** Finagle requeues at most 25 times per request; the budget usually stops far earlier. */
const MAX_ATTEMPTS = 26;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** Connection-level failures: they count against a member and make an attempt retryable. */
const MEMBER_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** The member's pool was closed under the attempt (the member left): retry, but no blame. */
const POOL_GONE = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);
const TIMEOUTS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[] } | null;
  if (typeof e?.code === 'string') return e.code;
  // Happy-eyeballs connects fail with an AggregateError holding one error per address.
  if (Array.isArray(e?.errors)) return errorCode(e.errors[0]);
  return undefined;
}

type Body = Dispatcher.DispatchOptions['body'];

/** Bodies undici can send again as they are: nothing, strings, bytes, FormData, Blobs. */
function reusable(body: unknown): boolean {
  if (body === null || body === undefined) return true;
  if (typeof body === 'string' || body instanceof Uint8Array) return true;
  const tag = Object.prototype.toString.call(body);
  return tag === '[object FormData]' || tag === '[object Blob]' || tag === '[object File]';
}

export class LogicalRequest {
  private readonly tried = new Set<MemberNode>();
  private attempt: Attempt | undefined;
  private attempts = 0;
  private done = false;
  /** Headers were passed on: from here on nothing is retried. */
  responded = false;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastError: Error | undefined;
  private waiting = false;
  /** A stream body is sent through a wrapper that notes whether any attempt started reading. */
  private readonly streamBody: AsyncIterable<unknown> | undefined;
  private bodyTouched = false;
  private readonly idempotent: boolean;

  constructor(
    private readonly ctx: RequestContext,
    private readonly opts: Dispatcher.DispatchOptions,
    readonly handler: LegacyHandler,
  ) {
    const method = String(opts.method).toUpperCase();
    // undici's `idempotent: true` is the caller saying so (e.g. a POST with an idempotency key).
    this.idempotent = IDEMPOTENT.has(method) || opts.idempotent === true;
    this.streamBody = reusable(opts.body)
      ? undefined
      : (opts.body as unknown as AsyncIterable<unknown>);
  }

  start(): void {
    this.ctx.metrics.request();
    this.ctx.budget.deposit();
    this.timer = setTimeout(() => this.expire(), this.ctx.options.requestTimeoutMs);
    try {
      this.handler.onConnect?.((reason) =>
        this.terminate(reason ?? new undiciErrors.RequestAbortedError()),
      );
    } catch (e) {
      this.terminate(e as Error);
    }
    if (!this.done) this.next();
  }

  private readonly onMembers = () => {
    this.waiting = false;
    if (!this.done) this.next();
  };

  private next(): void {
    if (this.ctx.closed()) return this.terminate(new undiciErrors.ClientClosedError());
    const m = this.ctx.balancer.choose(this.ctx.membership.members(), this.tried);
    if (!m) {
      // No member at all: wait (bounded by the deadline) for the resolver to find one.
      this.waiting = true;
      this.ctx.membership.once('change', this.onMembers);
      return;
    }
    this.send(m);
  }

  private body(): Body {
    if (!this.streamBody) return this.opts.body;
    const source = this.streamBody;
    const touched = () => {
      this.bodyTouched = true;
    };
    return (async function* () {
      touched();
      yield* source;
    })() as unknown as Body;
  }

  private send(m: MemberNode): void {
    this.attempts++;
    this.tried.add(m);
    m.accrual.dispatched();
    m.outstanding++;
    m.requests++;
    const attempt = new Attempt(this, m, this.ctx.now());
    this.attempt = attempt;
    // The pool sends to its own origin; the virtual origin of the request is not passed on.
    const opts: Dispatcher.DispatchOptions = { ...this.opts, body: this.body() };
    delete opts.origin;
    if (this.ctx.options.attemptTimeoutMs !== undefined)
      opts.headersTimeout = this.ctx.options.attemptTimeoutMs;
    try {
      m.pool.dispatch(opts, attempt);
    } catch (e) {
      attempt.onError(e as Error);
    }
  }

  /** Called by an attempt that ended in an error. */
  attemptFailed(attempt: Attempt, err: Error): void {
    if (this.done || attempt !== this.attempt) return;
    this.attempt = undefined;
    this.lastError = err;
    if (!this.responded && this.mayRetry(attempt, err)) {
      if (this.ctx.budget.tryWithdraw()) {
        this.ctx.metrics.retry();
        if (this.freshMemberLeft()) this.next();
        else {
          // Only members this request already failed on are left (one member restarting, all
          // dead): back off a little instead of spinning through the attempts in a millisecond.
          const ms =
            Math.min(1000, 25 * 2 ** Math.min(this.attempts, 6)) * (0.5 + Math.random() / 2);
          this.retryTimer = setTimeout(this.onMembers, ms);
        }
        return;
      }
      this.ctx.metrics.budgetExhausted();
    }
    this.finish();
    this.ctx.metrics.failure();
    this.handler.onError?.(err);
  }

  private freshMemberLeft(): boolean {
    return this.ctx.membership
      .members()
      .some((m) => !m.draining && !this.tried.has(m) && m.accrual.available());
  }

  private mayRetry(attempt: Attempt, err: Error): boolean {
    if (this.attempts >= MAX_ATTEMPTS) return false;
    const code = errorCode(err);
    if (code === undefined || !(MEMBER_FAILURES.has(code) || POOL_GONE.has(code))) return false;
    if (!attempt.sent) return true; // never written: safe whatever the method
    return this.idempotent && !this.bodyTouched;
  }

  /** Called by the attempt that delivered the response, once it is complete. */
  completed(attempt: Attempt): void {
    if (attempt === this.attempt) this.attempt = undefined;
    this.finish();
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    if (this.waiting) this.ctx.membership.off('change', this.onMembers);
  }

  ctxNow(): number {
    return this.ctx.now();
  }

  /** An attempt's failure marked its member dead. */
  ejected(): void {
    this.ctx.metrics.ejection();
  }

  private expire(): void {
    if (this.done) return;
    const ms = this.ctx.options.requestTimeoutMs;
    if (this.waiting) {
      const why = this.ctx.membership.lastError;
      const members = this.ctx.membership.members().length;
      const m = this.ctx.membership;
      const detail = !m.synced
        ? `the ServerSet has not been read from ZooKeeper yet${why ? `: ${why.message}` : ''}`
        : members
          ? 'every member is leaving'
          : 'the ServerSet has no ALIVE members; check that the service is announced';
      this.terminate(
        new NoMembersError(
          `no member of ServerSet ${this.ctx.label} to send to within ${ms} ms (${detail})`,
          why ? { cause: why } : undefined,
        ),
      );
      return;
    }
    const last = this.lastError ? `; last attempt: ${this.lastError.message}` : '';
    const err = new TimeoutError(
      `request to ServerSet ${this.ctx.label} did not complete within ${ms} ms (requestTimeoutMs, retries included)${last}`,
    );
    if (this.lastError) Object.defineProperty(err, 'cause', { value: this.lastError });
    this.terminate(err);
  }

  /** Ends the request now with `err` (deadline, caller's abort); the attempt in flight, if any,
   *  is aborted and its late callbacks ignored. */
  private terminate(err: Error): void {
    if (this.done) return;
    const attempt = this.attempt;
    this.attempt = undefined;
    this.finish();
    attempt?.abandon(err);
    this.ctx.metrics.failure();
    this.handler.onError?.(err);
  }
}

/** One attempt on one member: the handler given to the member's pool. */
class Attempt implements LegacyHandler {
  /** The request reached a connection (undici calls onConnect just before writing it). */
  sent = false;
  private abortFn: ((err?: Error) => void) | undefined;
  private abandoned: Error | undefined;
  private ended = false;

  constructor(
    private readonly req: LogicalRequest,
    private readonly member: MemberNode,
    private readonly startedAt: number,
  ) {}

  /** The logical request gave up on this attempt: abort it, keep only the accounting. */
  abandon(err: Error): void {
    this.abandoned = err;
    this.abortFn?.(err);
  }

  private end(outcome: 'success' | 'failure' | 'neutral', err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    const m = this.member;
    m.outstanding--;
    if (outcome === 'success') return;
    if (outcome === 'neutral') return m.accrual.neutral();
    m.failures++;
    // A timeout says how slow the member is; a refused connection says nothing about latency.
    if (TIMEOUTS.has(errorCode(err) ?? '') || err instanceof TimeoutError)
      m.ewma.observe(this.req.ctxNow() - this.startedAt);
    if (m.accrual.failure()) this.req.ejected();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.sent = true;
    this.abortFn = abort;
    if (this.abandoned) abort(this.abandoned);
  }

  onResponseStarted(): void {
    if (!this.abandoned) this.req.handler.onResponseStarted?.();
  }

  onHeaders(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.abandoned) return false;
    if (!this.req.responded) {
      this.req.responded = true;
      const m = this.member;
      m.ewma.observe(this.req.ctxNow() - this.startedAt);
      m.accrual.success();
    }
    return this.req.handler.onHeaders?.(status, headers, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    if (this.abandoned) return false;
    return this.req.handler.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | Buffer[] | null): void {
    this.end('success');
    if (this.abandoned) return;
    this.req.completed(this);
    this.req.handler.onComplete?.(trailers);
  }

  onUpgrade(status: number, headers: Buffer[] | string[] | null, socket: Duplex): void {
    this.member.accrual.success();
    this.end('success');
    if (this.abandoned) {
      socket.destroy();
      return;
    }
    this.req.responded = true;
    this.req.completed(this);
    this.req.handler.onUpgrade?.(status, headers, socket);
  }

  onBodySent(chunkSize: number, totalBytesSent: number): void {
    if (!this.abandoned) this.req.handler.onBodySent?.(chunkSize, totalBytesSent);
  }

  onError(err: Error): void {
    const code = errorCode(err);
    const blame =
      (code !== undefined && MEMBER_FAILURES.has(code)) ||
      (this.abandoned instanceof TimeoutError && err === this.abandoned);
    const wasAlive = !this.ended;
    this.end(blame ? 'failure' : 'neutral', err);
    if (!wasAlive || this.abandoned) return;
    this.req.attemptFailed(this, err);
  }
}
