// Waiting for conditions with a deadline (never a fixed sleep).
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}

/** Resolves with the args of the next `event` from `emitter`, or rejects after `timeoutMs`. */
export function nextEvent<A extends unknown[]>(
  emitter: {
    once(event: string, fn: (...args: A) => void): unknown;
    off(event: string, fn: (...args: A) => void): unknown;
  },
  event: string,
  timeoutMs = 10000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const fn = (...args: A) => {
      clearTimeout(t);
      resolve(args);
    };
    const t = setTimeout(() => {
      emitter.off(event, fn);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    emitter.once(event, fn);
  });
}

/** `p`, or a rejection naming `what` (and `detail()`, for diagnosis) after `timeoutMs`. */
export async function withDeadline<T>(
  p: Promise<T>,
  timeoutMs: number,
  what: string,
  detail: () => string = () => '',
): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    t = setTimeout(() => {
      const d = detail();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${d ? ` (${d})` : ''}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(t);
  }
}
