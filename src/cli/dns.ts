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
  if (Object.keys(config.zoneResolvers).length > 0)
    warn('"zoneResolvers" is not supported yet; those zones go to "resolvers"');
  if (!config.dnson && !config.httpon)
    warn('both "dnson" and "httpon" are false: nothing will be served');

  const service = await DnsService.start({ config, statePath: flags.state, reloadOnSighup: true });
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

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`beacon dns: ${signal}, shutting down\n`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
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
