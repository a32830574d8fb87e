// Resource arithmetic of the devcluster: port ranges (parse, render as Mesos does), free resources
// of an agent, and choosing ports for a task.
import { InputError } from '../errors.js';
import type { AgentResources, PortRange } from './types.js';

/** Parses `31000-32000` or `[31000-31100, 31200-31300]`. */
export function parsePortRanges(text: string): PortRange[] {
  const body = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  const out: PortRange[] = [];
  for (const part of body.split(',')) {
    const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (!m) throw new InputError(`port range '${text}': expected BEGIN-END, e.g. 31000-32000`);
    const b = Number(m[1]);
    const e = Number(m[2]);
    if (b < 1 || e > 65535 || b > e)
      throw new InputError(`port range '${text}': expected 1 ≤ BEGIN ≤ END ≤ 65535`);
    out.push([b, e]);
  }
  return out;
}

/** Mesos's rendering of a RANGES value: sorted, adjacent ports coalesced, `[a-b, c-d]`. */
export function formatRanges(ports: Iterable<number> | PortRange[]): string {
  return `[${toRanges(ports)
    .map(([b, e]) => `${b}-${e}`)
    .join(', ')}]`;
}

export function toRanges(ports: Iterable<number> | PortRange[]): PortRange[] {
  const arr = [...ports];
  if (arr.length && Array.isArray(arr[0])) return (arr as PortRange[]).map(([b, e]) => [b, e]);
  const sorted = [...new Set(arr as number[])].sort((a, b) => a - b);
  const out: PortRange[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === p) last[1] = p;
    else out.push([p, p]);
  }
  return out;
}

export interface Need {
  cpus: number;
  mem: number;
  disk: number;
  portNames: string[];
}

export interface Usage {
  cpus: number;
  mem: number;
  disk: number;
  ports: Set<number>;
}

const EPS = 1e-9;

/** Why `need` does not fit on an agent with `total` and `used`, or undefined when it fits. */
export function misfit(total: AgentResources, used: Usage, need: Need): string | undefined {
  const lacks: string[] = [];
  if (used.cpus + need.cpus > total.cpus + EPS)
    lacks.push(`cpus ${round(total.cpus - used.cpus)} free, ${need.cpus} needed`);
  if (used.mem + need.mem > total.mem + EPS)
    lacks.push(`mem ${round(total.mem - used.mem)} MB free, ${need.mem} needed`);
  if (used.disk + need.disk > total.disk + EPS)
    lacks.push(`disk ${round(total.disk - used.disk)} MB free, ${need.disk} needed`);
  const freePorts = countPorts(total.ports) - used.ports.size;
  if (freePorts < need.portNames.length)
    lacks.push(`${freePorts} ports free, ${need.portNames.length} needed`);
  return lacks.length ? lacks.join(', ') : undefined;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function countPorts(ranges: PortRange[]): number {
  return ranges.reduce((n, [b, e]) => n + e - b + 1, 0);
}

/** Lowest free ports of the agent's ranges, one per name (names in the given order). */
export function pickPorts(
  ranges: PortRange[],
  used: Set<number>,
  names: string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  let i = 0;
  for (const [b, e] of ranges) {
    for (let p = b; p <= e && i < names.length; p++) {
      if (!used.has(p)) out[names[i++]!] = p;
    }
  }
  if (i < names.length) throw new InputError('not enough free ports');
  return out;
}
