// Pure encoder for responses: header + the client's question bytes (exact case, 0x20) + pre-encoded
// record chunks from an AnswerPlan, shuffled per query, fitted to the transport's size limit, plus
// the OPT record when the query had one. Truncation: Additional is dropped first; if the answers
// themselves do not fit, TC is set and as many whole answers as fit are kept (no Authority).
import { FLAG, HEADER_LEN, OPT_RR_LEN, QTYPE } from './constants.js';
import type { Query } from './query.js';

/** What to answer for one (name, type): encoded once per RecordSet, reused for every query. */
export interface AnswerPlan {
  rcode: number;
  /** Authoritative Answer bit. */
  aa: boolean;
  answers: Buffer[];
  /** For each answer, the index of its Additional group (addresses of an SRV/NS target) or -1. */
  answerGroup: number[];
  additional: Buffer[][];
  authority: Buffer[];
  answersLen: number;
  authorityLen: number;
  /** The Answer section holds records of unhealthy tasks served because no healthy task makes
   *  them (NameRecords.failOpen): the server counts every response sent from this plan. */
  failOpen: boolean;
}

export function makePlan(
  rcode: number,
  aa: boolean,
  answers: Buffer[] = [],
  authority: Buffer[] = [],
  answerGroup: number[] = answers.map(() => -1),
  additional: Buffer[][] = [],
): AnswerPlan {
  const sum = (bs: Buffer[]) => bs.reduce((n, b) => n + b.length, 0);
  return {
    rcode,
    aa,
    answers,
    answerGroup,
    additional,
    authority,
    answersLen: sum(answers),
    authorityLen: sum(authority),
    failOpen: false,
  };
}

export interface EncodeOptions {
  /** Largest message the transport allows for this client (UDP: 512 or the EDNS size; TCP 65535). */
  limit: number;
  /** Recursion Available bit. */
  ra: boolean;
  /** Set TC when something was left out (Mesos-DNS `SetTruncateBit`). */
  setTruncateBit: boolean;
  /** UDP payload size we advertise in our OPT record. */
  ednsUdp: number;
  /** Randomise the order of the answers (and so of their Additional records). */
  shuffle: boolean;
}

// Scratch arrays for one encode at a time (encodeResponse is synchronous and not re-entrant), so
// a response costs its own Buffer and nothing else. Grown when a plan has more answers or groups.
let idx = new Int32Array(64);
let groups = new Int32Array(16);
let used = new Uint8Array(16);

/** idx[0, n) = 0..n-1, shuffled when asked (Fisher-Yates). */
function order(n: number, shuffle: boolean): Int32Array {
  if (idx.length < n) idx = new Int32Array(Math.max(n, idx.length * 2));
  for (let i = 0; i < n; i++) idx[i] = i;
  if (shuffle) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
  }
  return idx;
}

/** Builds the response to `q` (decoded from `msg`) from `plan`. */
export function encodeResponse(msg: Buffer, q: Query, plan: AnswerPlan, o: EncodeOptions): Buffer {
  const qLen = q.questionEnd - HEADER_LEN;
  const optLen = q.edns ? OPT_RR_LEN : 0;
  let size = HEADER_LEN + qLen + optLen;
  const n = plan.answers.length;
  const idx = order(n, o.shuffle && n > 1);
  let nAnswers = 0;
  let withAuthority = false;
  let truncated = false;
  let nGroups = 0;
  if (size + plan.answersLen + plan.authorityLen <= o.limit) {
    nAnswers = n;
    withAuthority = true;
    size += plan.answersLen + plan.authorityLen;
    const ng = plan.additional.length;
    if (ng > 0) {
      if (used.length < ng) {
        used = new Uint8Array(Math.max(ng, used.length * 2));
        groups = new Int32Array(used.length);
      }
      used.fill(0, 0, ng);
      for (let k = 0; k < n; k++) {
        const g = plan.answerGroup[idx[k]];
        if (g < 0 || used[g]) continue;
        used[g] = 1;
        let glen = 0;
        for (const b of plan.additional[g]) glen += b.length;
        // Additional is optional (RFC 2181 §9): leaving a group out is not truncation.
        if (size + glen > o.limit) continue;
        size += glen;
        groups[nGroups++] = g;
      }
    }
  } else {
    truncated = true;
    for (let k = 0; k < n; k++) {
      const len = plan.answers[idx[k]].length;
      if (size + len > o.limit) break;
      size += len;
      nAnswers++;
    }
  }
  let nAdditional = q.edns ? 1 : 0;
  for (let k = 0; k < nGroups; k++) nAdditional += plan.additional[groups[k]].length;
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, q.id, q.flags, plan.rcode, plan.aa, truncated && o.setTruncateBit, o.ra);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(nAnswers, 6);
  out.writeUInt16BE(withAuthority ? plan.authority.length : 0, 8);
  out.writeUInt16BE(nAdditional, 10);
  // The question is copied byte for byte (exact case); Buffer#copy costs more than a loop at these
  // sizes (profiled).
  let off = HEADER_LEN;
  for (let i = HEADER_LEN; i < q.questionEnd; i++) out[off++] = msg[i];
  for (let k = 0; k < nAnswers; k++) off = put(out, plan.answers[idx[k]], off);
  if (withAuthority)
    for (let k = 0; k < plan.authority.length; k++) off = put(out, plan.authority[k], off);
  for (let k = 0; k < nGroups; k++) {
    const add = plan.additional[groups[k]];
    for (let j = 0; j < add.length; j++) off = put(out, add[j], off);
  }
  if (q.edns) writeOpt(out, off, o.ednsUdp, plan.rcode, q.edns.dnssecOk);
  return out;
}

function put(out: Buffer, b: Buffer, off: number): number {
  const n = b.length;
  // Records are mostly 16–80 bytes: a plain loop beats the per-call cost of TypedArray#set there.
  if (n > 96) {
    out.set(b, off);
    return off + n;
  }
  for (let i = 0; i < n; i++) out[off + i] = b[i];
  return off + n;
}

function writeHeader(
  out: Buffer,
  id: number,
  qflags: number,
  rcode: number,
  aa: boolean,
  tc: boolean,
  ra: boolean,
): void {
  out.writeUInt16BE(id, 0);
  // Keep the query's opcode, RD and CD bits; everything else is ours.
  let f = FLAG.QR | (qflags & (0x7800 | FLAG.RD | FLAG.CD)) | (rcode & 0xf);
  if (aa) f |= FLAG.AA;
  if (tc) f |= FLAG.TC;
  if (ra) f |= FLAG.RA;
  out.writeUInt16BE(f, 2);
}

function writeOpt(out: Buffer, off: number, udp: number, rcode: number, dnssecOk: boolean): void {
  out[off] = 0;
  out.writeUInt16BE(QTYPE.OPT, off + 1);
  out.writeUInt16BE(udp, off + 3);
  // TTL: extended rcode (high 8 bits of the 12-bit rcode), version 0, DO bit copied.
  out.writeUInt32BE((((rcode >> 4) & 0xff) << 24) | (dnssecOk ? 0x8000 : 0), off + 5);
  out.writeUInt16BE(0, off + 9);
}

/** A header-only reply (FORMERR/NOTIMP for a query whose question could not be used). */
export function encodeHeaderOnly(id: number, qflags: number, rcode: number, ra: boolean): Buffer {
  const out = Buffer.alloc(HEADER_LEN);
  writeHeader(out, id, qflags, rcode, false, false, ra);
  return out;
}

const emptyPlans = new Map<number, AnswerPlan>();

/** A reply to a well-formed query with no records (SERVFAIL, REFUSED, BADVERS…). */
export function encodeEmpty(msg: Buffer, q: Query, rcode: number, o: EncodeOptions): Buffer {
  let plan = emptyPlans.get(rcode);
  if (!plan) emptyPlans.set(rcode, (plan = makePlan(rcode, false)));
  return encodeResponse(msg, q, plan, o);
}
