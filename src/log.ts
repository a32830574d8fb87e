// Structured logging (pino): quiet by default (warn), `BEACON_LOG=debug|info|…` or --debug to raise.
// Logs go to stderr so command output on stdout stays machine-readable. Secrets never reach a log
// line: fields that hold them are redacted by name, and every string logged (messages, error
// messages, field values) has URL passwords (`zk://user:PASS@…`), Authorization values and
// `digest:USER:PASS` specs masked — this runs only for lines actually written.
import { format } from 'node:util';
import { pino, type Logger } from 'pino';

export type { Logger };

/** Field names that hold secrets, at the top level or one level down (pino's redact syntax). */
const SECRET_FIELDS = ['password', 'secret', 'Secret', 'auth', 'authorization', 'digest'];
const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'headers.authorization',
  '*.headers.authorization',
  'MesosCredentials.Secret',
  '*.MesosCredentials.Secret',
];

const MASK = '******';
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^@/\s"]*@/gi;
const AUTH_HEADER = /\b(Basic|Bearer|Digest)\s+[A-Za-z0-9+/=._~-]+/g;
const DIGEST_SPEC = /\bdigest:([^:\s"]+):[^\s"]+/g;

/** `s` with credentials masked; the regexes run only when a cheap test says they might match. */
export function scrubSecrets(s: string): string {
  let out = s;
  if (out.includes('@')) out = out.replace(URL_USERINFO, `$1${MASK}@`);
  if (/Basic|Bearer|Digest/.test(out)) out = out.replace(AUTH_HEADER, `$1 ${MASK}`);
  if (out.includes('digest:')) out = out.replace(DIGEST_SPEC, `digest:$1:${MASK}`);
  return out;
}

/** A copy of a log argument with every string scrubbed (bounded depth; errors kept as errors). */
function scrubValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return scrubSecrets(v);
  if (typeof v !== 'object' || v === null || depth > 4) return v;
  if (v instanceof Error) {
    // Keep what pino's error serializer reads (type, message, stack, own fields like `code`).
    const e = Object.create(Object.getPrototypeOf(v) as object) as Error;
    for (const [k, x] of Object.entries(v))
      (e as unknown as Record<string, unknown>)[k] = scrubValue(x, depth + 1);
    Object.defineProperty(e, 'message', { value: scrubSecrets(v.message), enumerable: false });
    Object.defineProperty(e, 'stack', {
      value: v.stack && scrubSecrets(v.stack),
      enumerable: false,
    });
    if (v.cause !== undefined) e.cause = scrubValue(v.cause, depth + 1);
    return e;
  }
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, depth + 1));
  // Only plain objects are copied; anything else (Buffer, Map, class instances) is left as is.
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = scrubValue(x, depth + 1);
  return out;
}

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino(
    {
      level: process.env.BEACON_LOG ?? 'warn',
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: MASK },
      hooks: {
        // Called only for enabled levels, so a quiet logger pays nothing.
        logMethod(args, method) {
          // Interpolate first (`'sent %s', header`): a secret can be split across the arguments.
          const at = args.findIndex((a) => typeof a === 'string');
          const merged =
            at >= 0 && args.length > at + 1
              ? [...args.slice(0, at), format(...args.slice(at))]
              : args;
          return method.apply(
            this,
            merged.map((a) => scrubValue(a, 0)) as Parameters<typeof method>,
          );
        },
      },
    },
    pino.destination(2),
  );
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}
