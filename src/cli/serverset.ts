// `beacon serverset announce|ls|watch`: thin command wrappers over serverset/ (sidecar, resolver).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { resolvePortmap } from '../model/ports.js';
import type { ServiceInstance } from '../model/service-instance.js';
import { parseServersetName, serversetNameFrom } from '../serverset/names.js';
import { ServersetResolver, type ResolvedMember } from '../serverset/resolver.js';
import { runAnnounced } from '../serverset/sidecar.js';
import { parseAcl, parseAuth } from '../zk/acl.js';

const collect = (v: string, acc: string[]) => [...acc, v];

function parsePortFlag(spec: string, flag: string): [string, number] {
  const m = /^([A-Za-z0-9_.-]+)=(\d{1,5})$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new UsageError(
      `${flag} "${spec}": expected NAME=NUMBER with a port from 1 to 65535, e.g. ${flag} http=8080`,
    );
  }
  return [m[1]!, port];
}

function parseTimeout(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} "${text}": expected a positive number of seconds`);
  return Math.round(n * 1000);
}

function parseShard(text: string): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`--shard "${text}": expected a non-negative integer (the instance id)`);
  return Number(text);
}

interface AnnounceFlags {
  zk: string;
  path: string;
  host?: string;
  port: string[];
  primary: string;
  portmap: string[];
  shard?: string;
  auth: string[];
  acl: string[];
  zkTimeout: string;
}

/** Builds the announced instance with Aurora's port resolution; unassigned names are errors here
 *  (a user typed them), where Aurora would drop them silently. */
export function buildInstance(
  flags: Pick<AnnounceFlags, 'host' | 'port' | 'primary' | 'portmap' | 'shard'>,
): ServiceInstance {
  const assigned: Record<string, number> = {};
  for (const spec of flags.port) {
    const [name, port] = parsePortFlag(spec, '--port');
    assigned[name] = port;
  }
  if (Object.keys(assigned).length === 0) {
    throw new UsageError('at least one --port NAME=NUMBER is required (e.g. --port http=8080)');
  }
  let portmap: Record<string, string> | undefined;
  if (flags.portmap.length) {
    portmap = {};
    for (const spec of flags.portmap) {
      const m = /^([A-Za-z0-9_.-]+)=([A-Za-z0-9_.-]+)$/.exec(spec);
      if (!m)
        throw new UsageError(
          `--portmap "${spec}": expected ALIAS=NAME or ALIAS=NUMBER, e.g. --portmap aurora=http`,
        );
      portmap[m[1]!] = m[2]!;
    }
  }
  const resolved = resolvePortmap({ assigned, portmap, primary: flags.primary });
  if (resolved.serviceEndpointPort === 0) {
    throw new UsageError(
      `--primary "${flags.primary}" is not an assigned port; assign it with --port ${flags.primary}=NUMBER or choose one of: ${Object.keys(assigned).join(', ')}`,
    );
  }
  for (const alias of Object.keys(portmap ?? {})) {
    if (!(alias in resolved.endpoints)) {
      throw new UsageError(
        `--portmap ${alias}=${portmap![alias]}: "${portmap![alias]}" is not an assigned port or a port number; assigned: ${Object.keys(assigned).join(', ')}`,
      );
    }
  }
  const host = flags.host ?? hostname();
  const additionalEndpoints: ServiceInstance['additionalEndpoints'] = {};
  // Sorted names: the same flags always give the same member bytes.
  for (const name of Object.keys(resolved.endpoints).sort()) {
    additionalEndpoints[name] = { host, port: resolved.endpoints[name]! };
  }
  return {
    serviceEndpoint: { host, port: resolved.serviceEndpointPort },
    additionalEndpoints,
    status: 'ALIVE',
    ...(flags.shard !== undefined ? { shard: parseShard(flags.shard) } : {}),
  };
}

function memberJson(m: ResolvedMember) {
  return {
    name: m.name,
    ensemble: m.ensemble,
    endpoint: m.endpoint,
    serviceEndpoint: m.instance.serviceEndpoint,
    additionalEndpoints: m.instance.additionalEndpoints,
    status: m.instance.status,
    weight: m.weight,
    ...(m.instance.shard !== undefined ? { shard: m.instance.shard } : {}),
    ...(m.instance.metadata ? { metadata: m.instance.metadata } : {}),
  };
}

function memberLine(m: ResolvedMember): string {
  const extra = Object.entries(m.instance.additionalEndpoints)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, e]) => `${k}=${e.host}:${e.port}`)
    .join(' ');
  const shard = m.instance.shard !== undefined ? ` shard=${m.instance.shard}` : '';
  // Finagle weight from `vector_*` nodes; shown when a vector gives one other than 1.
  const weight = m.weight !== 1 ? ` weight=${m.weight}` : '';
  return `${m.name}\t${m.endpoint.host}:${m.endpoint.port}${shard}${weight}${extra ? `\t${extra}` : ''}`;
}

function sessionOptions(flags: { auth: string[] }) {
  return { auth: flags.auth.map(parseAuth) };
}

export function registerServerset(program: Command): void {
  const ss = program
    .command('serverset')
    .description('announce into and resolve ZooKeeper ServerSets (Aurora/Finagle compatible)');

  ss.command('announce')
    .description('run CMD, announce it into a ServerSet while it runs, and exit with its status')
    .requiredOption('--zk <HOSTS>', 'ZooKeeper ensemble, host:port[,host:port…]')
    .requiredOption('--path <PATH>', 'ServerSet path, e.g. /aurora/ROLE/ENV/JOB')
    .option('--host <HOST>', 'host to announce (default: this machine’s hostname)')
    .option('--port <NAME=NUM>', 'a named port (repeatable)', collect, [])
    .option('--primary <NAME>', 'port name for serviceEndpoint', 'http')
    .option(
      '--portmap <ALIAS=NAME|NUM>',
      'alias another port name or a static port (repeatable; replaces the default aurora=PRIMARY)',
      collect,
      [],
    )
    .option('--shard <N>', 'shard (the instance id)')
    .option(
      '--auth <digest:USER:PASS>',
      'credentials for the ZooKeeper session (repeatable)',
      collect,
      [],
    )
    .option(
      '--acl <SPEC>',
      'ACL of created nodes: world:anyone[:PERMS] | digest:USER:PASS[:PERMS] | ip:ADDR[/BITS][:PERMS] | auth[:PERMS] (repeatable)',
      collect,
      [],
    )
    .option(
      '--zk-timeout <SECONDS>',
      'give up (and stop CMD) when ZooKeeper is unreachable this long at start',
      '15',
    )
    .argument('<command...>', 'the command to run, after --')
    .action(async (command: string[], flags: AnnounceFlags) => {
      const name = serversetNameFrom(flags.zk, flags.path);
      const instance = buildInstance(flags);
      const acl = flags.acl.length ? flags.acl.map(parseAcl) : undefined;
      const session = sessionOptions(flags);
      const connectTimeoutMs = parseTimeout(flags.zkTimeout, '--zk-timeout');
      const status = await runAnnounced({
        ensemble: name.ensembles[0]!,
        path: name.path,
        instance,
        session,
        acl,
        connectTimeoutMs,
        command: command[0]!,
        args: command.slice(1),
        report: (line) => process.stderr.write(`beacon: ${line}\n`),
      });
      process.exitCode = status;
    });

  const resolveOptions = (c: Command) =>
    c
      .argument(
        '<NAME>',
        'zk!HOSTS!/path[!endpoint] | zk2!HOSTS[#HOSTS…]!/path[!endpoint] | /$/com.twitter.serverset/HOSTS/path[:endpoint][#shard]',
      )
      .option('--json', 'JSON output')
      .option(
        '--auth <digest:USER:PASS>',
        'credentials for the ZooKeeper session (repeatable)',
        collect,
        [],
      )
      .option('--zk-timeout <SECONDS>', 'give up when ZooKeeper is unreachable this long', '15');

  resolveOptions(
    ss.command('ls').description('print the current ALIVE members of a ServerSet'),
  ).action(async (text: string, flags: { json?: boolean; auth: string[]; zkTimeout: string }) => {
    const resolver = new ServersetResolver(parseServersetName(text), {
      ...sessionOptions(flags),
      connectTimeoutMs: parseTimeout(flags.zkTimeout, '--zk-timeout'),
    });
    await resolver.start();
    try {
      const members = resolver.members();
      if (flags.json) process.stdout.write(`${JSON.stringify(members.map(memberJson), null, 2)}\n`);
      else for (const m of members) process.stdout.write(`${memberLine(m)}\n`);
      if (resolver.skipped)
        process.stderr.write(
          `beacon: skipped ${resolver.skipped} undecodable or invalid member(s)\n`,
        );
      if (!flags.json && members.length === 0)
        process.stderr.write(`beacon: no ALIVE members at ${resolver.name.path}\n`);
    } finally {
      await resolver.stop();
    }
  });

  resolveOptions(
    ss.command('watch').description('print one line per membership change until interrupted'),
  ).action(async (text: string, flags: { json?: boolean; auth: string[]; zkTimeout: string }) => {
    const resolver = new ServersetResolver(parseServersetName(text), {
      ...sessionOptions(flags),
      connectTimeoutMs: parseTimeout(flags.zkTimeout, '--zk-timeout'),
    });
    const out = (event: string, m?: ResolvedMember, size?: number) => {
      const time = new Date().toISOString();
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ time, event, ...(m ? { member: memberJson(m) } : {}), ...(size !== undefined ? { size } : {}) })}\n`,
        );
      } else {
        process.stdout.write(
          `${time} ${event}${m ? ` ${memberLine(m)}` : ''}${size !== undefined ? ` (${size} members)` : ''}\n`,
        );
      }
    };
    await resolver.start();
    const initial = resolver.members();
    out('snapshot', undefined, initial.length);
    for (const m of initial) out('join', m);
    resolver.on('change', (members, joined, left) => {
      for (const m of left) out('leave', m, members.length);
      for (const m of joined) out('join', m, members.length);
    });
    resolver.on('stale', () => out('stale'));
    resolver.on('fresh', () => out('fresh'));
    resolver.on('skipped', (_e, n, reason) =>
      process.stderr.write(`beacon: skipped member ${n}: ${reason}\n`),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await resolver.stop();
  });
}
