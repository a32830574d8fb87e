// A state document with one job (`web`, framework Aurora) whose instances have a given latest
// health, for the health-filtering tests (records, DNS, service): `health[i]` is instance i's
// latest health (undefined: none), its address 10.1.0.(i+1), its port 31000+i named `http`.
// An older status says the opposite, so only the latest one with health counts.

/** The job's A name, its `_job._tcp` SRV name and its named-port SRV name. */
export const WEB = 'web.aurora.mesos.';
export const WEB_SRV = '_web._tcp.aurora.mesos.';
export const WEB_NAMED = '_http._web._tcp.aurora.mesos.';

function status(healthy: boolean | undefined, timestamp: number, ips: string[] = ['']) {
  return {
    state: 'TASK_RUNNING',
    timestamp,
    ...(healthy === undefined ? {} : { healthy }),
    container_status: {
      network_infos: [
        {
          ip_addresses: ips.map((ip) =>
            ip.includes(':') ? { protocol: 'IPv6', ip_address: ip } : { ip_address: ip },
          ),
        },
      ],
    },
  };
}

/** `ipv6`: instances that also have the address fd00::(i+1). */
export function healthState(
  health: (boolean | undefined)[],
  o: { ipv6?: number[] } = {},
): Record<string, unknown> {
  return {
    leader: 'master@10.0.0.9:5050',
    slaves: [{ id: 'S0', hostname: 'a0', pid: 'slave(1)@10.0.0.1:5051' }],
    frameworks: [
      {
        id: 'F',
        name: 'Aurora',
        tasks: health.map((h, i) => ({
          id: `t${i}`,
          name: 'web',
          slave_id: 'S0',
          state: 'TASK_RUNNING',
          resources: { ports: `[${31000 + i}-${31000 + i}]` },
          statuses: [
            status(h === undefined ? undefined : !h, 100),
            status(h, 200, [`10.1.0.${i + 1}`, ...(o.ipv6?.includes(i) ? [`fd00::${i + 1}`] : [])]),
          ],
          discovery: {
            name: 'web',
            ports: { ports: [{ number: 31000 + i, name: 'http', protocol: 'tcp' }] },
          },
        })),
      },
    ],
  };
}
