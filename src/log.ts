// Structured logging (pino): quiet by default (warn), `BEACON_LOG=debug|info|…` or --debug to raise.
// Logs go to stderr so command output on stdout stays machine-readable.
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino(
    {
      level: process.env.BEACON_LOG ?? 'warn',
      base: undefined,
      redact: ['*.password', '*.secret', '*.auth'],
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
