// The client as an undici Dispatcher: `undici.request(client.url('/x'), { dispatcher })` and
// `fetch` send every request addressed to the client's virtual origin through the balancer.
// Requests to any other origin are refused, so a mistyped URL never bypasses the balancer.
import { Dispatcher, errors as undiciErrors, util as undiciUtil } from 'undici';
import { LogicalRequest, type LegacyHandler, type RequestContext } from './request.js';

/** The origin of `client.url()`: `.invalid` never resolves, so it cannot leak past the client. */
export const VIRTUAL_ORIGIN = 'http://serverset.beacon.invalid';

type NewHandler = Required<Pick<Dispatcher.DispatchHandler, 'onRequestStart'>> &
  Dispatcher.DispatchHandler;

/** Adapts a handler written for undici's newer controller API (interceptors, compose) to the
 *  callback API the attempts speak. */
function toLegacy(h: NewHandler): LegacyHandler {
  let abort: (err?: Error) => void = () => undefined;
  let resume: () => void = () => undefined;
  let paused = false;
  let aborted = false;
  let reason: Error | null = null;
  const controller: Dispatcher.DispatchController = {
    abort(err: Error) {
      aborted = true;
      reason = err;
      abort(err);
    },
    pause() {
      paused = true;
    },
    resume() {
      if (paused) {
        paused = false;
        resume();
      }
    },
    get aborted() {
      return aborted;
    },
    get paused() {
      return paused;
    },
    get reason() {
      return reason;
    },
  };
  const headers = (raw: Buffer[] | string[] | null) =>
    undiciUtil.parseHeaders(raw as Buffer[]) as Record<string, string | string[]>;
  return {
    onConnect(a, context) {
      abort = a;
      h.onRequestStart(controller, context);
    },
    onHeaders(status, raw, r, text) {
      resume = r;
      h.onResponseStart?.(controller, status, headers(raw), text);
      return !paused;
    },
    onData(chunk) {
      h.onResponseData?.(controller, chunk);
      return !paused;
    },
    onComplete(trailers) {
      h.onResponseEnd?.(controller, headers(trailers));
    },
    onError(err) {
      h.onResponseError?.(controller, err);
    },
    onUpgrade(status, raw, socket) {
      h.onRequestUpgrade?.(controller, status, headers(raw), socket);
    },
  };
}

function originOf(origin: Dispatcher.DispatchOptions['origin']): string | undefined {
  if (origin === undefined) return undefined;
  if (typeof origin === 'string') return origin.endsWith('/') ? origin.slice(0, -1) : origin;
  return origin.origin;
}

export class ServersetDispatcher extends Dispatcher {
  private closed = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly onClose: () => Promise<void>,
  ) {
    super();
  }

  override dispatch(
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const h: LegacyHandler =
      typeof handler.onRequestStart === 'function'
        ? toLegacy(handler as NewHandler)
        : (handler as LegacyHandler);
    const fail = (err: Error) => {
      if (!h.onError) throw err;
      h.onError(err);
      return false;
    };
    if (this.closed) return fail(new undiciErrors.ClientClosedError());
    const origin = originOf(opts.origin);
    if (origin !== VIRTUAL_ORIGIN) {
      return fail(
        new undiciErrors.InvalidArgumentError(
          `this dispatcher sends only to ${VIRTUAL_ORIGIN} (build URLs with client.url(path)); got ${origin ?? 'no origin'}`,
        ),
      );
    }
    new LogicalRequest(this.ctx, opts, h).start();
    return true;
  }

  /** Refuses new requests from now on (the client is closing). */
  refuse(): void {
    this.closed = true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.closed = true;
    const p = this.onClose();
    if (!callback) return p;
    void p.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    return callback ? this.close(callback) : this.close();
  }
}
