// `beacon dns --config config.json [--state FILE]`: Mesos-DNS's drop-in. Parses flags, loads the
// config, starts the DnsService (src/service) and waits for SIGINT/SIGTERM; everything else lives
// in the service so tests can run it in-process.
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { defaultConfig, loadConfig, type Config } from '../config/mesos-dns.js';
import { UsageError } from '../errors.js';
import { DnsService, withOverrides, type ListenOverrides } from '../service/dns-service.js';

interface DnsFlags {
  config?: string;
  state?: string;
  port?: string;
  httpPort?: string;
  listener?: string;
  httpListener?: string;
}

function portFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535)
    throw new UsageError(`${name} "${v}": expected a port number 0-65535`);
  return n;
}

function ipFlag(name: string, v: string | undefined): string | undefined {
  if (v !== undefined && isIP(v) === 0)
    throw new UsageError(`${name} "${v}": expected an IP address`);
  return v;
}

function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export async function runDns(flags: DnsFlags): Promise<void> {
  if (!flags.config && !flags.state) {
    throw new UsageError(
      'beacon dns needs --config config.json (or --state FILE to serve a state document)',
    );
  }
  const warn = (line: string) => process.stderr.write(`beacon dns: warning: ${line}\n`);
  let config: Config = defaultConfig();
  if (flags.config) {
    const r = await loadConfig(flags.config);
    config = r.config;
    r.warnings.forEach(warn);
  }
  const overrides: ListenOverrides = {
    port: portFlag('--port', flags.port),
    httpPort: portFlag('--http-port', flags.httpPort),
    listener: ipFlag('--listener', flags.listener),
    httpListener: ipFlag('--http-listener', flags.httpListener),
  };
  config = withOverrides(config, overrides);
  if (config.stateSource === 'stream' && config.zk && !flags.state) {
    warn('"stateSource": "stream" is not available with "zk" yet; polling the detected leader');
  }

  // SIGHUP is the CLI's: it re-reads --config and asks the service to apply it (the service
  // re-reads --state itself when the config did not change).
  // Taken before anything can print: SIGHUP's default action would end the process.
  let onHup = (): void => {
    process.stderr.write('beacon dns: SIGHUP before start-up finished; ignored\n');
  };
  const hup = () => onHup();
  process.on('SIGHUP', hup);
  let service: DnsService;
  try {
    service = await DnsService.start({ config, statePath: flags.state, reloadOnSighup: false });
  } catch (e) {
    process.off('SIGHUP', hup);
    throw e;
  }
  const dns = service.dnsAddress();
  const http = service.httpAddress();
  const parts = [
    dns
      ? `DNS on ${hostPort(dns)} (udp+tcp; UDP path ${service.dnsUdpPath()}) for ${config.domain}.`
      : 'DNS off',
    http ? `HTTP on http://${hostPort(http)}` : 'HTTP off',
    `state from ${service.sourceDescription()}`,
  ];
  process.stdout.write(`beacon dns: ${parts.join(', ')}\n`);

  const configPath = flags.config;
  const nextConfig = async (): Promise<Config> => {
    if (!configPath) return service.config; // --state only: the state file is re-read
    const r = await loadConfig(configPath);
    r.warnings.forEach(warn);
    return withOverrides(r.config, overrides);
  };
  onHup = () => {
    service.reload(nextConfig).then(
      (r) =>
        process.stderr.write(
          `beacon dns: SIGHUP: reloaded${r.applied.length ? ` (${r.applied.join(', ')})` : ''}\n`,
        ),
      (e: unknown) =>
        process.stderr.write(
          `beacon dns: SIGHUP: reload rejected, the previous config keeps serving: ${(e as Error).message}\n`,
        ),
    );
  };

  await new Promise<void>((resolve) => {
    let lameduck: NodeJS.Timeout | undefined;
    const stop = (signal: NodeJS.Signals) => {
      if (lameduck) {
        // A second signal ends the lameduck period at once.
        clearTimeout(lameduck);
        resolve();
        return;
      }
      // /readyz fails from now on, so load balancers stop sending; DNS and HTTP keep answering
      // for lameduckSeconds, then everything closes.
      service.drain();
      const seconds = service.config.lameduckSeconds;
      process.stderr.write(
        `beacon dns: ${signal}, shutting down${seconds > 0 ? ` after ${seconds} s of lameduck` : ''}\n`,
      );
      lameduck = setTimeout(resolve, seconds * 1000);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.off('SIGHUP', hup);
  await service.close();
}

export function registerDns(program: Command): void {
  program
    .command('dns')
    .description(
      'serve DNS records and the Mesos-DNS HTTP API from Mesos state (a drop-in for Mesos-DNS)',
    )
    .option('--config <config.json>', "Mesos-DNS's config.json (plus Beacon's keys)")
    .option(
      '--state <file>',
      'serve this state document instead of asking masters (re-read on SIGHUP)',
    )
    .option('--port <port>', 'DNS port (overrides "port"; 0 picks a free one)')
    .option('--http-port <port>', 'HTTP API port (overrides "httpport"; 0 picks a free one)')
    .option('--listener <ip>', 'DNS listen address (overrides "listener")')
    .option('--http-listener <ip>', 'HTTP listen address (overrides "HTTPListener")')
    .action(async (flags: DnsFlags) => {
      await runDns(flags);
    });
}
