// `beacon devcluster` (= `npm start`): the whole flow on one machine — coordination store, master,
// agents, scheduler, DNS — with the example job; prints the endpoints and commands to try. Ctrl-C
// or SIGTERM: tasks deannounced, processes killed, clean exit (a second Ctrl-C kills at once).
import type { Command } from 'commander';
import { InputError, UsageError } from '../errors.js';
import {
  DEFAULTS,
  EXAMPLE_JOB,
  startDevcluster,
  type Devcluster,
  type DevclusterOptions,
} from '../cluster/devcluster.js';
import { startDevclusterDns, type DevclusterDns } from '../cluster/dns.js';
import { API_TOKEN_ENV, resolveApiToken } from '../cluster/auth.js';
import { killAllTaskGroups } from '../cluster/task-process.js';

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InputError(`${name} ${v}: expected an integer from ${min} to ${max}`);
    return n;
  };
}
function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new InputError(`${name} ${v}: expected a positive number`);
    return n;
  };
}

/** Flags that carry a DevclusterOptions value unchanged, under the same name. */
const PASSED_THROUGH = [
  'dataDir',
  'masterHost',
  'masterPort',
  'agents',
  'agentIp',
  'agentPort',
  'agentCpus',
  'agentMem',
  'agentDisk',
  'agentPorts',
  'zk',
  'zkHost',
  'zkPort',
  'zkRoot',
  'announceHostname',
  'populateDiscoveryInfo',
  'discoveryPortAliases',
  'cluster',
  'frameworkName',
] as const satisfies readonly (keyof DevclusterOptions)[];

type PassedThrough = (typeof PASSED_THROUGH)[number];

interface Flags extends Pick<DevclusterOptions, PassedThrough> {
  allowCustomServersetPath?: boolean;
  zkStartupTimeout: number;
  example: boolean;
  exampleFile: string;
  heartbeat: number;
  dns: boolean;
  dnsHost: string;
  dnsPort: number;
  dnsHttpHost: string;
  dnsHttpPort: number;
  domain: string;
  dnsSource: string;
  dnsRefresh: number;
  apiToken?: string;
}

function banner(dc: Devcluster, dns: DevclusterDns | undefined, example: boolean): string {
  const a = dc.agents.map(
    (x) => `${x.info.hostname} (http://${x.info.ip}:${x.info.port}/state, id ${x.info.id})`,
  );
  const zkName = `zk!${dc.zkConnectString}!/aurora/vagrant/test/http_example`;
  const lines = [
    '',
    'Beacon devcluster is up.',
    `  master      ${dc.masterUrl}  (/master/state, POST /api/v1, jobs API${dc.apiTokenRequired ? '; changes need the API token' : ''})`,
    `  dashboard   ${dc.masterUrl}/  (jobs, DNS names, ServerSet members, live events)`,
    ...a.map((x, i) => `  agent ${i}     ${x}`),
    `  ZooKeeper   ${dc.zkConnectString}${dc.zkTarget === 'embedded' ? '  (embedded store, ZooKeeper wire protocol)' : ''}`,
    dns
      ? `  DNS         ${dns.dnsAddress} UDP+TCP, domain ${dns.domain}; HTTP API ${dns.httpUrl}  (source: ${dns.source})`
      : '  DNS         off (--no-dns)',
    `  data dir    ${dc.dataDir}`,
    '',
    'Try:',
  ];
  if (dns && example) {
    const [host, port] = [dns.dnsAddress.split(':')[0], dns.dnsAddress.split(':')[1]];
    lines.push(
      `  dig @${host} -p ${port} +short http_example.test.vagrant.aurora.${dns.domain} A`,
      `  dig @${host} -p ${port} +short _http._http_example.test.vagrant._tcp.aurora.${dns.domain} SRV`,
      `  dig @${host} -p ${port} +short _alias._http_example.test.vagrant._tcp.aurora.${dns.domain} SRV`,
    );
  }
  lines.push(
    `  curl -s ${dc.masterUrl}/master/state | head -c 600`,
    `  npx beacon serverset ls '${zkName}'`,
    `  npx beacon job status devcluster/vagrant/test/http_example${dc.masterUrl === 'http://127.0.0.1:5050' ? '' : ` --master ${dc.masterUrl}`}`,
    `  npx beacon job kill devcluster/vagrant/test/http_example --instances 1`,
    `  npx beacon job create devcluster/vagrant/test/http_example examples/http_example.yaml`,
    '',
    'Ctrl-C stops everything (tasks deannounced, processes killed).',
    '',
  );
  return lines.join('\n');
}

export function registerDevcluster(program: Command): void {
  const d = DEFAULTS;
  program
    .command('devcluster')
    .description(
      'run a one-machine Aurora/Mesos-style cluster with live discovery (what `npm start` runs)',
    )
    .option('--data-dir <dir>', 'jobs, task states and sandboxes', d.dataDir)
    .option('--master-host <ip>', 'master HTTP address', d.masterHost)
    .option(
      '--master-port <port>',
      'master HTTP port',
      int('--master-port', 0, 65535),
      d.masterPort,
    )
    .option('--agents <n>', 'number of agents', int('--agents', 1, 50), d.agents)
    .option('--agent-ip <ip>', 'first agent address (the next agents count up)', d.agentIp)
    .option(
      '--agent-port <port>',
      'agent HTTP port (on each agent address)',
      int('--agent-port', 1, 65535),
      d.agentPort,
    )
    .option('--agent-cpus <n>', 'CPUs per agent', num('--agent-cpus'), d.agentCpus)
    .option('--agent-mem <mb>', 'memory per agent, MB', num('--agent-mem'), d.agentMem)
    .option('--agent-disk <mb>', 'disk per agent, MB', num('--agent-disk'), d.agentDisk)
    .option('--agent-ports <range>', 'port range offered by each agent', d.agentPorts)
    .option(
      '--zk <hosts>',
      'use this ZooKeeper ensemble (h1:2181,h2:2181) instead of the embedded store',
    )
    .option('--zk-host <ip>', 'address the embedded store is served on (ZooKeeper wire)', d.zkHost)
    .option(
      '--zk-port <port>',
      'first port tried for the embedded store (the next free one is used)',
      int('--zk-port', 0, 65535),
      d.zkPort,
    )
    .option('--zk-root <path>', 'ServerSet root (Aurora: /aurora)', d.zkRoot)
    .option('--allow-custom-serverset-path', "honour a job's announce.zk_path")
    .option(
      '--announce-hostname <host>',
      'host written into ServerSet members instead of the agent hostname',
    )
    .option(
      '--zk-startup-timeout <secs>',
      'fail a task whose ZooKeeper stays unreachable this long',
      num('--zk-startup-timeout'),
      d.zkStartupBoundMs / 1000,
    )
    .option(
      '--no-populate-discovery-info',
      'do not publish DiscoveryInfo (Aurora: --populate_discovery_info)',
    )
    .option(
      '--no-discovery-port-aliases',
      "do not publish the announcer's portmap aliases as DiscoveryInfo ports",
    )
    .option('--cluster <name>', 'cluster name (DiscoveryInfo location)', d.cluster)
    .option(
      '--framework-name <name>',
      'framework name (the DNS names end in .<name>.<domain>)',
      d.frameworkName,
    )
    .option('--no-example', 'do not submit examples/http_example.yaml')
    .option('--example-file <file>', 'job file submitted at start', EXAMPLE_JOB)
    .option(
      '--heartbeat <secs>',
      'operator API HEARTBEAT interval',
      num('--heartbeat'),
      d.heartbeatSeconds,
    )
    .option('--no-dns', 'do not run the DNS server')
    .option('--dns-host <ip>', 'DNS address', '127.0.0.1')
    .option('--dns-port <port>', 'DNS port (UDP and TCP)', int('--dns-port', 0, 65535), 8053)
    .option('--dns-http-host <ip>', 'DNS HTTP API address', '127.0.0.1')
    .option('--dns-http-port <port>', 'DNS HTTP API port', int('--dns-http-port', 0, 65535), 8123)
    .option('--domain <domain>', 'DNS domain', 'mesos')
    .option(
      '--dns-source <kind>',
      'how DNS follows the master: stream (v1 SUBSCRIBE) or poll',
      'stream',
    )
    .option(
      '--dns-refresh <secs>',
      'poll interval of the DNS source (Mesos-DNS default: 60)',
      int('--dns-refresh', 1, 3600),
      1,
    )
    .option(
      '--api-token <token>',
      `token for the master's state-changing calls (Authorization: Bearer …); required with a non-loopback --master-host (default: $${API_TOKEN_ENV}, which is preferred: flags show in ps)`,
    )
    .action(async (f: Flags) => {
      if (!['stream', 'poll'].includes(f.dnsSource))
        throw new UsageError(`--dns-source ${f.dnsSource}: expected stream or poll`);
      const apiToken = resolveApiToken(f.apiToken);
      // Task processes inherit this process's environment: the token must not reach them.
      delete process.env[API_TOKEN_ENV];
      const opts: Partial<DevclusterOptions> = {
        apiToken,
        ...(Object.fromEntries(PASSED_THROUGH.map((k) => [k, f[k]])) as Pick<Flags, PassedThrough>),
        allowCustomServersetPath: f.allowCustomServersetPath ?? false,
        zkStartupBoundMs: f.zkStartupTimeout * 1000,
        heartbeatSeconds: f.heartbeat,
        exampleJob: f.example ? f.exampleFile : undefined,
      };
      // Whatever ends this process, no task process outlives it.
      process.on('exit', killAllTaskGroups);
      const dc = await startDevcluster(opts);
      let dns: DevclusterDns | undefined;
      try {
        if (f.dns) {
          dns = await startDevclusterDns({
            master: dc.masterUrl.replace(/^http:\/\//, ''),
            refreshSeconds: f.dnsRefresh,
            dnsHost: f.dnsHost,
            dnsPort: f.dnsPort,
            httpHost: f.dnsHttpHost,
            httpPort: f.dnsHttpPort,
            domain: f.domain,
            source: f.dnsSource as 'stream' | 'poll',
            serversetsZk: dc.zkConnectString,
            attach: (d) => dc.dashboard.attachDns(d),
          });
        }
      } catch (e) {
        await dc.close();
        throw e;
      }
      process.stdout.write(banner(dc, dns, f.example));

      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (sig: NodeJS.Signals) => {
          if (stopping) {
            process.stderr.write(`\n${sig} again: killing everything now\n`);
            killAllTaskGroups();
            process.exit(130);
          }
          stopping = true;
          process.stdout.write(`\n${sig}: stopping (deannouncing and killing tasks)…\n`);
          void (async () => {
            await dns?.close().catch(() => undefined);
            await dc.close();
            process.stdout.write('devcluster stopped.\n');
            resolve();
          })();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        process.on('SIGHUP', stop);
      });
    });
}
