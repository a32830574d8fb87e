// Names, labels and DiscoveryInfo exactly as Aurora's scheduler makes them (spec/aurora.md):
// task name `role/env/job`, task id `role-env-job-instance-uuid`, executor id `thermos-<task id>`,
// tier/metadata labels, and DiscoveryInfo with `--populate_discovery_info`. Beacon's extra,
// `--discovery_port_aliases`, adds the announcer's portmap aliases as named ports.
import { randomUUID } from 'node:crypto';
import type { JobKey } from './job-schema.js';
import type { DiscoveryJson, DiscoveryPortJson } from './types.js';

export function taskName(k: JobKey): string {
  return `${k.role}/${k.environment}/${k.name}`;
}

export function newTaskId(k: JobKey, instance: number, uuid: string = randomUUID()): string {
  return `${k.role}-${k.environment}-${k.name}-${instance}-${uuid}`.replace(/[^A-Za-z0-9_-]/g, '-');
}

export function executorId(taskId: string): string {
  return `thermos-${taskId}`;
}

export function taskLabels(
  tier: string,
  metadata: Record<string, string>,
): { key: string; value: string }[] {
  return [
    { key: 'org.apache.aurora.tier', value: tier },
    ...Object.entries(metadata).map(([k, v]) => ({
      key: `org.apache.aurora.metadata.${k}`,
      value: v,
    })),
  ];
}

/** The ServerSet path the executor announces to: `<root>/<role>/<env>/<job>` (no cluster). */
export function serversetPath(root: string, k: JobKey): string {
  return `${root.replace(/\/+$/, '')}/${k.role}/${k.environment}/${k.name}`;
}

export interface DiscoveryOptions {
  /** Assigned ports by name. */
  assigned: Record<string, number>;
  /** Every resolved announcer endpoint (aliases included); used with `portAliases`. */
  endpoints?: Record<string, number>;
  /** `--discovery_port_aliases`: also publish resolved names that got no port of their own. */
  portAliases: boolean;
}

/** DiscoveryInfo as Aurora populates it: CLUSTER visibility, `job.env.role`, the environment, the
 *  cluster as location, one TCP port per assigned port (sorted by name, as Aurora's sorted port
 *  map yields them); aliases follow, sorted, when enabled. No version, no labels. */
export function discoveryInfo(k: JobKey, opts: DiscoveryOptions): DiscoveryJson {
  const ports: DiscoveryPortJson[] = Object.entries(opts.assigned)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, number]) => ({ number, name, protocol: 'TCP' }));
  if (opts.portAliases && opts.endpoints) {
    const extra = Object.entries(opts.endpoints)
      .filter(([name]) => !(name in opts.assigned))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [name, number] of extra) ports.push({ number, name, protocol: 'TCP' });
  }
  return {
    visibility: 'CLUSTER',
    name: `${k.name}.${k.environment}.${k.role}`,
    environment: k.environment,
    location: k.cluster,
    ports: { ports },
  };
}
