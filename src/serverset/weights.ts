// Finagle's ServerSet weight vectors (finagle-serversets serverset2 Vector.scala and
// ServiceDiscoverer): `vector_*` nodes beside the `member_*` nodes hold
// `{"vector": [{"select": "inet=HOST:PORT" | "member=member_N" | "shard=N", "weight": W,
// "priority": P}, …]}`. An endpoint's weight is the product, over every vector node and every
// descriptor in it whose selector matches the endpoint, of the descriptor weights (1.0 when none
// matches). Weight -1 is the drain signal: such an endpoint is left out. Pure: bytes in, numbers out.

/** One descriptor: which endpoints it selects, and the factor it applies. */
export interface WeightDescriptor {
  select:
    | { kind: 'inet'; host: string; port: number }
    | { kind: 'member'; name: string }
    | {
        kind: 'shard';
        shard: number;
      };
  weight: number;
  priority: number;
}

/** A parsed `vector_*` node. */
export type WeightVector = readonly WeightDescriptor[];

/** What a selector can match: one endpoint of one member. */
export interface WeightedEndpoint {
  /** Member node name (`member_0000000003`). */
  member: string;
  host: string;
  port: number;
  shard?: number;
}

/** The weight that drains an endpoint: it is left out. */
export const DRAIN_WEIGHT = -1;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `inet=host:port` (Finagle parseHostPorts: the first of a space/comma list; IPv6 in brackets),
 *  `member=NAME`, `shard=N`; undefined for anything else. */
function parseSelector(text: string): WeightDescriptor['select'] | undefined {
  const eq = text.indexOf('=');
  if (eq < 0) return undefined;
  const kind = text.slice(0, eq);
  const arg = text.slice(eq + 1);
  if (kind === 'member') return { kind, name: arg };
  if (kind === 'shard') {
    if (!/^[+-]?\d+$/.test(arg.trim())) return undefined;
    const shard = Number(arg.trim());
    return Number.isSafeInteger(shard) ? { kind, shard } : undefined;
  }
  if (kind === 'inet') {
    const first = arg.split(/[\s,]+/).find((s) => s !== '');
    if (!first) return undefined;
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(first) ?? /^([^:]*):(\d+)$/.exec(first);
    if (!m) return undefined;
    const port = Number(m[2]);
    if (port > 65535) return undefined;
    return { kind, host: m[1]!, port };
  }
  return undefined;
}

/** Reads a `vector_*` node's data; undefined when it is not a JSON object. Descriptors without a
 *  usable `select` are skipped, as Finagle skips them; `weight` defaults to 1, `priority` to 1. */
export function parseWeightVector(data: Uint8Array | string): WeightVector | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : utf8.decode(data));
  } catch {
    return undefined;
  }
  if (!isObj(doc)) return undefined;
  const list = Array.isArray(doc.vector) ? doc.vector : [];
  const out: WeightDescriptor[] = [];
  for (const d of list) {
    if (!isObj(d) || typeof d.select !== 'string') continue;
    const select = parseSelector(d.select);
    if (!select) continue;
    const weight = typeof d.weight === 'number' && Number.isFinite(d.weight) ? d.weight : 1;
    const priority = Number.isInteger(d.priority) ? (d.priority as number) : 1;
    out.push({ select, weight, priority });
  }
  return out;
}

function matches(d: WeightDescriptor, e: WeightedEndpoint): boolean {
  const s = d.select;
  if (s.kind === 'inet') return s.host === e.host && s.port === e.port;
  if (s.kind === 'member') return s.name === e.member;
  return e.shard !== undefined && s.shard === e.shard;
}

/** The endpoint's weight: the product of the weights of every matching descriptor of every
 *  vector (Finagle zipWithWeights × Vector.weightOf); 1 when nothing matches. */
export function weightOf(vectors: readonly WeightVector[], e: WeightedEndpoint): number {
  let w = 1;
  for (const v of vectors) for (const d of v) if (matches(d, e)) w *= d.weight;
  return w;
}

/** The SRV weight of an endpoint of weight `w` when unweighted endpoints get `base`: `base` for
 *  1, else `w × base` rounded, at least 1 for any positive weight (0 when `base` is 0), 0 for a
 *  weight of 0 or below, at most 65535. */
export function srvWeight(w: number, base: number): number {
  if (w === 1) return base;
  if (!(w > 0) || base === 0) return 0;
  return Math.min(65535, Math.max(1, Math.round(w * base)));
}
