// Decides what to answer for a (name, type) from one RecordSet and caches the encoded result: the
// authoritative rules (apex SOA/NS in Answer, NXDOMAIN vs NODATA with the SOA in Authority at the
// negative TTL, SRV Additional, RFC 8482 ANY) live here. One Answerer per RecordSet generation:
// the server swaps the whole Answerer on setRecords, and an in-place update (which bumps the SOA
// serial) empties the cache, so a cached answer is never stale.
import type { NameRecords, RecordSet } from '../records/types.js';
import { HEADER_LEN, QTYPE, RCODE } from './codec/constants.js';
import type { Query, QueryScratch } from './codec/query.js';
import { makePlan, type AnswerPlan } from './codec/response.js';
import { encodeRR, questionDict, type NameDict, type RData, type SoaFields } from './codec/rr.js';

/** Result of a lookup: a plan to encode, or `forward` for a name outside what we serve. */
export type Lookup = AnswerPlan | 'forward';

/** NameRecords.failOpen's key of each answered type. */
const FAIL_OPEN_KEY = { A: 'a', AAAA: 'aaaa', SRV: 'srv' } as const;

function fqdn(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n : `${n}.`;
}

export class Answerer {
  readonly records: RecordSet;
  /** Zone apex, lowercase with trailing dot (`mesos.`). */
  readonly apex: string;
  private readonly dotApex: string;
  private soa: SoaFields;
  private ttl: number;
  private serial: number;
  /** name → (qtype → answer). Two levels so a hit needs no key concatenation. */
  private readonly cache = new Map<string, Map<number, Lookup>>();
  private cached = 0;
  readonly cacheSize: number;
  /**
   * The server's cache, keyed by the question's lowercase wire bytes, so a hit builds no string:
   * open addressing over parallel arrays; a slot is live when its generation is the current one,
   * so emptying the table is one increment. Grows by doubling up to twice cacheSize slots.
   */
  private wGen = new Uint32Array(1024);
  private wHash = new Uint32Array(1024);
  private wType = new Uint16Array(1024);
  private wKey: (Buffer | undefined)[] = new Array<Buffer | undefined>(1024);
  private wPlan: (Lookup | undefined)[] = new Array<Lookup | undefined>(1024);
  private wMask = 1023;
  private wCount = 0;
  private gen = 1;

  constructor(records: RecordSet, cacheSize = 100_000) {
    this.records = records;
    const z = records.zone;
    this.apex = fqdn(z.domain);
    this.dotApex = `.${this.apex}`;
    this.cacheSize = cacheSize;
    this.ttl = z.ttl;
    this.soa = this.readSoa();
    this.serial = z.soa.serial;
  }

  private readSoa(): SoaFields {
    const s = this.records.zone.soa;
    return { ...s, mname: fqdn(s.mname), rname: fqdn(s.rname) };
  }

  /**
   * An in-place update of the RecordSet bumps its SOA serial (records/ does on every change):
   * then every cached answer may be stale, and the SOA itself changed. One comparison per query.
   */
  private checkSerial(): void {
    if (this.records.zone.soa.serial !== this.serial) this.invalidate();
  }

  /** Drops every cached answer and re-reads the SOA: the set changed in place. (Its serial shows
   *  that too, unless a view shows another serial: the zone journal's moves only on its sync.) */
  invalidate(): void {
    const z = this.records.zone;
    this.serial = z.soa.serial;
    this.soa = this.readSoa();
    this.ttl = z.ttl;
    this.cache.clear();
    this.cached = 0;
    this.gen++;
    this.wCount = 0;
  }

  inZone(name: string): boolean {
    return name === this.apex || name.endsWith(this.dotApex);
  }

  /** What to answer for the question of `q` (class already checked by the caller). */
  lookup(q: Query): Lookup {
    this.checkSerial();
    let byType = this.cache.get(q.name);
    let hit = byType?.get(q.qtype);
    if (hit === undefined) {
      hit = this.build(q.name, q.qtype);
      // Bounded: random names (NXDOMAIN floods) must not grow memory; start over when full.
      if (this.cached >= this.cacheSize) {
        this.cache.clear();
        this.cached = 0;
        byType = undefined;
      }
      if (!byType) this.cache.set(q.name, (byType = new Map()));
      byType.set(q.qtype, hit);
      this.cached++;
    }
    return hit;
  }

  /** lookup() for a query decoded in place (the server's path): no allocation on a cache hit. */
  lookupWire(q: QueryScratch): Lookup {
    this.checkSerial();
    const msg = q.msg;
    const h = q.hash;
    const qtype = q.qtype;
    const nameLen = q.qnameEnd - HEADER_LEN;
    const gen = this.gen;
    for (let i = h & this.wMask; this.wGen[i] === gen; i = (i + 1) & this.wMask) {
      if (this.wHash[i] !== h || this.wType[i] !== qtype) continue;
      const key = this.wKey[i]!;
      if (key.length !== nameLen) continue;
      let k = 0;
      for (; k < nameLen; k++) {
        let c = msg[HEADER_LEN + k];
        if (c >= 0x41 && c <= 0x5a) c += 0x20;
        if (c !== key[k]) break;
      }
      if (k === nameLen) return this.wPlan[i]!;
    }
    const plan = this.build(q.name, qtype);
    // Bounded like the name cache: random names (NXDOMAIN floods) must not grow memory.
    if (this.wCount >= this.cacheSize) {
      this.gen++;
      this.wCount = 0;
    } else if (2 * (this.wCount + 1) > this.wGen.length && this.wGen.length < 2 * this.cacheSize) {
      this.grow();
    }
    const key = Buffer.allocUnsafe(nameLen);
    for (let k = 0; k < nameLen; k++) {
      let c = msg[HEADER_LEN + k];
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      key[k] = c;
    }
    this.insert(h, qtype, key, plan);
    return plan;
  }

  private insert(h: number, qtype: number, key: Buffer, plan: Lookup): void {
    let i = h & this.wMask;
    while (this.wGen[i] === this.gen) i = (i + 1) & this.wMask;
    this.wGen[i] = this.gen;
    this.wHash[i] = h;
    this.wType[i] = qtype;
    this.wKey[i] = key;
    this.wPlan[i] = plan;
    this.wCount++;
  }

  private grow(): void {
    const { wGen, wHash, wType, wKey, wPlan, gen } = this;
    const size = wGen.length * 2;
    this.wGen = new Uint32Array(size);
    this.wHash = new Uint32Array(size);
    this.wType = new Uint16Array(size);
    this.wKey = new Array<Buffer | undefined>(size);
    this.wPlan = new Array<Lookup | undefined>(size);
    this.wMask = size - 1;
    this.wCount = 0;
    this.gen = 1;
    for (let i = 0; i < wGen.length; i++) {
      if (wGen[i] === gen) this.insert(wHash[i], wType[i], wKey[i]!, wPlan[i]!);
    }
  }

  private build(name: string, qtype: number): Lookup {
    const dict = questionDict(name);
    const rs = this.records;
    const recs = rs.get(name);
    if (!this.inZone(name)) {
      // Reverse names (in-addr.arpa./ip6.arpa.) we hold PTRs for are answered; the rest forwarded.
      if (recs && recs.ptr.length > 0 && (qtype === QTYPE.PTR || qtype === QTYPE.ANY)) {
        return makePlan(RCODE.NOERROR, true, this.rrset(name, 'PTR', recs, dict));
      }
      return 'forward';
    }
    if (name === this.apex) {
      if (qtype === QTYPE.SOA || qtype === QTYPE.ANY) {
        return makePlan(RCODE.NOERROR, true, [this.soaRR(this.ttl, dict)]);
      }
      if (qtype === QTYPE.NS) {
        const ns = encodeRR(name, this.ttl, { type: 'NS', target: this.soa.mname }, dict);
        const glue = this.addresses(this.soa.mname, dict);
        return makePlan(RCODE.NOERROR, true, ns ? [ns] : [], [], [glue.length ? 0 : -1], [glue]);
      }
    }
    let type: 'A' | 'AAAA' | 'SRV' | 'PTR' | undefined;
    if (recs) {
      if (qtype === QTYPE.A && recs.a.length) type = 'A';
      else if (qtype === QTYPE.AAAA && recs.aaaa.length) type = 'AAAA';
      else if (qtype === QTYPE.SRV && recs.srv.length) type = 'SRV';
      else if (qtype === QTYPE.PTR && recs.ptr.length) type = 'PTR';
      else if (qtype === QTYPE.ANY) {
        // RFC 8482: answer ANY with one RRset rather than everything.
        type = recs.a.length
          ? 'A'
          : recs.aaaa.length
            ? 'AAAA'
            : recs.srv.length
              ? 'SRV'
              : recs.ptr.length
                ? 'PTR'
                : undefined;
      }
    }
    if (recs && type) {
      const plan =
        type === 'SRV'
          ? this.srvPlan(name, recs, dict)
          : makePlan(RCODE.NOERROR, true, this.rrset(name, type, recs, dict));
      // Kept with the cached plan, so every answer sent from it counts, cache hits included.
      // (SRV targets' addresses in Additional are task names, never health-filtered.)
      if (type !== 'PTR' && recs.failOpen?.[FAIL_OPEN_KEY[type]]) plan.failOpen = true;
      return plan;
    }
    const exists = name === this.apex || recs !== undefined || rs.exists(name);
    // Negative answers carry the SOA with TTL = the negative TTL = SOA minimum (RFC 2308 §3).
    const soa = this.soaRR(this.soa.minttl, dict);
    return makePlan(exists ? RCODE.NOERROR : RCODE.NXDOMAIN, true, [], [soa]);
  }

  private soaRR(ttl: number, dict: NameDict): Buffer {
    const rr = encodeRR(this.apex, ttl, { type: 'SOA', soa: this.soa }, dict);
    if (!rr) throw new RangeError('SOA cannot be encoded');
    return rr;
  }

  private rrset(
    name: string,
    type: 'A' | 'AAAA' | 'PTR',
    recs: NameRecords,
    dict: NameDict,
  ): Buffer[] {
    const out: Buffer[] = [];
    const push = (rd: RData) => {
      const b = encodeRR(name, this.ttl, rd, dict);
      if (b) out.push(b);
    };
    if (type === 'A') for (const ip of recs.a) push({ type: 'A', ip });
    else if (type === 'AAAA') for (const ip of recs.aaaa) push({ type: 'AAAA', ip });
    else for (const target of recs.ptr) push({ type: 'PTR', target });
    return out;
  }

  /** A/AAAA records of a target, owned by the target, for the Additional section. */
  private addresses(target: string, dict: NameDict): Buffer[] {
    const t = this.records.get(fqdn(target));
    if (!t) return [];
    const out: Buffer[] = [];
    for (const ip of t.a) {
      const b = encodeRR(target, this.ttl, { type: 'A', ip }, dict);
      if (b) out.push(b);
    }
    for (const ip of t.aaaa) {
      const b = encodeRR(target, this.ttl, { type: 'AAAA', ip }, dict);
      if (b) out.push(b);
    }
    return out;
  }

  private srvPlan(name: string, recs: NameRecords, dict: NameDict): AnswerPlan {
    const answers: Buffer[] = [];
    const answerGroup: number[] = [];
    const additional: Buffer[][] = [];
    const groupOf = new Map<string, number>();
    for (const s of recs.srv) {
      const rr = encodeRR(name, this.ttl, { type: 'SRV', ...s }, dict);
      if (!rr) continue;
      let g = groupOf.get(s.target);
      if (g === undefined) {
        const glue = this.addresses(s.target, dict);
        g = glue.length ? additional.push(glue) - 1 : -1;
        groupOf.set(s.target, g);
      }
      answers.push(rr);
      answerGroup.push(g);
    }
    return makePlan(RCODE.NOERROR, true, answers, [], answerGroup, additional);
  }
}
