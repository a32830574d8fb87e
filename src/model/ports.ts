// Aurora executor port resolution (spec/aurora.md, executor's resolve_ports + PortResolver +
// make_endpoints): which named ports a task announces and which one is its serviceEndpoint.
import { PortmapError } from '../errors.js';

export interface PortmapInput {
  /** Ports the scheduler assigned, by name (`--port http=31000`). */
  assigned: Record<string, number>;
  /** The Announcer's portmap: alias → port name, or a static port (number or numeric string).
   *  Default `{aurora: primary}`; a given portmap replaces the default, it is not merged. */
  portmap?: Record<string, string | number>;
  /** The Announcer's `primary_port`. Default `'http'`. */
  primary?: string;
}

export interface ResolvedPorts {
  /** The primary port's number, or 0 when it does not resolve (Aurora announces port 0 then). */
  serviceEndpointPort: number;
  /** Every name that resolved to a number: assigned ports, aliases, static ports. */
  endpoints: Record<string, number>;
  /** Names dropped because their chain ends at a name that is neither assigned nor mapped, with
   *  that name (Aurora logs "unmapped port" and drops them). */
  unresolved: Record<string, string>;
}

export const DEFAULT_PRIMARY_PORT = 'http';

/** A number written as a string counts as a static port, as Python's int() reads it. */
const NUMERIC = /^\s*[+-]?\d+\s*$/;

function checkPort(port: number, where: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PortmapError(`${where}: port ${port} is not a port number from 1 to 65535`);
  }
  return port;
}

/**
 * Resolves named ports the way Aurora's executor does: start from the announce portmap (default
 * `{aurora: primary}`), overlay the scheduler-assigned ports (they win over an alias of the same
 * name), follow string aliases name → name until a number, treat numeric strings and numbers as
 * static ports, reject any cycle, and drop names that do not resolve.
 * Throws PortmapError for a cycle or a port number outside 1..65535.
 */
export function resolvePortmap(input: PortmapInput): ResolvedPorts {
  const primary = input.primary ?? DEFAULT_PRIMARY_PORT;
  // A Map, not an object: port names such as "constructor" or "__proto__" must stay plain keys.
  const map = new Map<string, number | string>();
  const base = input.portmap ?? { aurora: primary };
  for (const [name, value] of Object.entries(base)) {
    if (typeof value === 'number') map.set(name, checkPort(value, `portmap ${name}`));
    else if (typeof value === 'string' && NUMERIC.test(value)) {
      map.set(name, checkPort(Number(value), `portmap ${name}=${JSON.stringify(value)}`));
    } else if (typeof value === 'string' && value.length > 0) map.set(name, value);
    else throw new PortmapError(`portmap ${name}: expected a port name or a port number`);
  }
  for (const [name, port] of Object.entries(input.assigned)) {
    map.set(name, checkPort(port, `assigned port ${name}`));
  }

  const endpoints: [string, number][] = [];
  const unresolved: [string, string][] = [];
  for (const name of map.keys()) {
    const chain = [name];
    let value = map.get(name)!;
    while (typeof value === 'string' && map.has(value)) {
      const seen = chain.indexOf(value);
      if (seen >= 0) {
        const cycle = [...chain.slice(seen), value].join(' → ');
        throw new PortmapError(
          `portmap has an alias cycle: alias ${cycle}; every alias must lead to an assigned port or a port number`,
        );
      }
      chain.push(value);
      value = map.get(value)!;
    }
    if (typeof value === 'number') endpoints.push([name, value]);
    else unresolved.push([name, value]);
  }
  const resolved: Record<string, number> = Object.fromEntries(endpoints);
  const primaryPort = endpoints.find(([name]) => name === primary)?.[1];
  return {
    serviceEndpointPort: primaryPort ?? 0,
    endpoints: resolved,
    unresolved: Object.fromEntries(unresolved),
  };
}
