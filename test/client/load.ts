// Load generation for client tests: `total` requests, `inFlight` at a time, bounded in count and
// (through each request's own timeout) in time. Failures are collected, not thrown.
export async function runLoad(
  total: number,
  inFlight: number,
  one: (i: number) => Promise<void>,
): Promise<{ ok: number; errors: unknown[] }> {
  let next = 0;
  let ok = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < total) {
      const i = next++;
      try {
        await one(i);
        ok++;
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { ok, errors };
}

export function describeErrors(errors: unknown[]): string {
  return errors
    .slice(0, 5)
    .map((e) => {
      const err = e as Error & { cause?: Error & { code?: string }; code?: string };
      return `${err.code ?? ''} ${err.message}${err.cause ? ` (cause: ${err.cause.code ?? ''} ${err.cause.message})` : ''}`;
    })
    .join('; ');
}
