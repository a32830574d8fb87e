// The ZooKeeper client-protocol records a server reads and writes, in the field order of
// ZooKeeper's zookeeper.jute: ConnectRequest/Response, RequestHeader + the request bodies of the
// served ops, ReplyHeader + response bodies, Stat, ACL, WatcherEvent. Pure: no sockets, no store.
import { DecodeError } from '../../errors.js';
import { OpCode, Xid } from './constants.js';
import { JuteReader, JuteWriter } from './jute.js';

export interface WireAcl {
  perms: number;
  scheme: string;
  id: string;
}

/** org.apache.zookeeper.data.Stat */
export interface WireStat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  /** Sent by 3.4+ Java/C clients after the jute fields; undefined when the client left it out. */
  readOnly: boolean | undefined;
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  /** Written only for clients that sent the readOnly flag (older clients do not expect it). */
  readOnly: boolean | undefined;
}

/** A decoded request: the header's xid and op code, and the body of a served op. */
export type ZkRequest = { xid: number; type: number } & ZkRequestBody;

export type ZkRequestBody =
  | { op: 'create'; path: string; data: Buffer; acl: WireAcl[]; flags: number; withStat: boolean }
  | { op: 'delete'; path: string; version: number }
  | { op: 'exists' | 'getData' | 'getChildren' | 'getChildren2'; path: string; watch: boolean }
  | { op: 'setData'; path: string; data: Buffer; version: number }
  | { op: 'getACL'; path: string }
  | { op: 'sync'; path: string }
  | { op: 'ping' }
  | { op: 'auth'; authType: number; scheme: string; auth: Buffer }
  | {
      op: 'setWatches';
      relativeZxid: bigint;
      dataWatches: string[];
      existWatches: string[];
      childWatches: string[];
    }
  | { op: 'closeSession' }
  /** An op code this server does not serve: answered with Unimplemented. */
  | { op: 'unsupported' };

// Smallest encodings, used to refuse impossible vector counts before allocating.
const MIN_STRING = 4;
const MIN_ACL = 4 + 4 + 4;

function readAcl(r: JuteReader): WireAcl {
  const perms = r.int();
  const scheme = r.ustring();
  const id = r.ustring();
  return { perms, scheme, id };
}

function writeAcl(w: JuteWriter, a: WireAcl): void {
  w.int(a.perms).ustring(a.scheme).ustring(a.id);
}

export function writeStat(w: JuteWriter, s: WireStat): void {
  w.long(s.czxid)
    .long(s.mzxid)
    .long(s.ctime)
    .long(s.mtime)
    .int(s.version)
    .int(s.cversion)
    .int(s.aversion)
    .long(s.ephemeralOwner)
    .int(s.dataLength)
    .int(s.numChildren)
    .long(s.pzxid);
}

export function readStat(r: JuteReader): WireStat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

// ---- connect ----------------------------------------------------------------------------------

export function decodeConnectRequest(body: Buffer): ConnectRequest {
  const r = new JuteReader(body);
  const req: ConnectRequest = {
    protocolVersion: r.int(),
    lastZxidSeen: r.long(),
    timeOut: r.int(),
    sessionId: r.long(),
    passwd: r.buffer(),
    readOnly: undefined,
  };
  if (r.remaining >= 1) req.readOnly = r.bool();
  return req;
}

export function encodeConnectRequest(req: ConnectRequest): Buffer {
  const w = new JuteWriter()
    .int(req.protocolVersion)
    .long(req.lastZxidSeen)
    .int(req.timeOut)
    .long(req.sessionId)
    .buffer(req.passwd);
  if (req.readOnly !== undefined) w.bool(req.readOnly);
  return w.toFrame();
}

export function encodeConnectResponse(res: ConnectResponse): Buffer {
  const w = new JuteWriter()
    .int(res.protocolVersion)
    .int(res.timeOut)
    .long(res.sessionId)
    .buffer(res.passwd);
  if (res.readOnly !== undefined) w.bool(res.readOnly);
  return w.toFrame();
}

export function decodeConnectResponse(body: Buffer): ConnectResponse {
  const r = new JuteReader(body);
  const res: ConnectResponse = {
    protocolVersion: r.int(),
    timeOut: r.int(),
    sessionId: r.long(),
    passwd: r.buffer(),
    readOnly: undefined,
  };
  if (r.remaining >= 1) res.readOnly = r.bool();
  return res;
}

// ---- requests ---------------------------------------------------------------------------------

function decodeBody(type: number, r: JuteReader): ZkRequestBody {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
      return {
        op: 'create',
        path: r.ustring(),
        data: r.buffer(),
        acl: r.vector(readAcl, MIN_ACL),
        flags: r.int(),
        withStat: type === OpCode.create2,
      };
    case OpCode.delete:
      return { op: 'delete', path: r.ustring(), version: r.int() };
    case OpCode.exists:
      return { op: 'exists', path: r.ustring(), watch: r.bool() };
    case OpCode.getData:
      return { op: 'getData', path: r.ustring(), watch: r.bool() };
    case OpCode.getChildren:
      return { op: 'getChildren', path: r.ustring(), watch: r.bool() };
    case OpCode.getChildren2:
      return { op: 'getChildren2', path: r.ustring(), watch: r.bool() };
    case OpCode.setData:
      return { op: 'setData', path: r.ustring(), data: r.buffer(), version: r.int() };
    case OpCode.getACL:
      return { op: 'getACL', path: r.ustring() };
    case OpCode.sync:
      return { op: 'sync', path: r.ustring() };
    case OpCode.ping:
      return { op: 'ping' };
    case OpCode.auth:
      return { op: 'auth', authType: r.int(), scheme: r.ustring(), auth: r.buffer() };
    case OpCode.setWatches:
    case OpCode.setWatches2: {
      const body = {
        op: 'setWatches' as const,
        relativeZxid: r.long(),
        dataWatches: r.vector((x) => x.ustring(), MIN_STRING),
        existWatches: r.vector((x) => x.ustring(), MIN_STRING),
        childWatches: r.vector((x) => x.ustring(), MIN_STRING),
      };
      // SetWatches2 adds persistent and persistent-recursive watches; addWatch is not served, so
      // a client cannot hold any — read them for framing and ignore them.
      if (type === OpCode.setWatches2) {
        r.vector((x) => x.ustring(), MIN_STRING);
        r.vector((x) => x.ustring(), MIN_STRING);
      }
      return body;
    }
    case OpCode.closeSession:
      return { op: 'closeSession' };
    default:
      return { op: 'unsupported' };
  }
}

/** Decodes one request packet (after the connect handshake). Throws DecodeError when truncated. */
export function decodeRequest(body: Buffer): ZkRequest {
  const r = new JuteReader(body);
  const xid = r.int();
  const type = r.int();
  try {
    return { xid, type, ...decodeBody(type, r) };
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new DecodeError(`request xid ${xid} op ${type}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Encodes a request packet (a client's view; used by tests and tools). */
export function encodeRequest(xid: number, type: number, body?: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter().int(xid).int(type);
  body?.(w);
  return w.toFrame();
}

// ---- replies ----------------------------------------------------------------------------------

/** A reply packet: ReplyHeader(xid, zxid, err) and, when err is 0, the op's response record. */
export function encodeReply(
  xid: number,
  zxid: bigint,
  err: number,
  body?: (w: JuteWriter) => void,
): Buffer {
  const w = new JuteWriter().int(xid).long(zxid).int(err);
  if (err === 0) body?.(w);
  return w.toFrame();
}

export function encodeNotification(type: number, state: number, path: string): Buffer {
  return new JuteWriter()
    .int(Xid.notification)
    .long(-1n)
    .int(0)
    .int(type)
    .int(state)
    .ustring(path)
    .toFrame();
}

export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}

/** Reads a reply header and hands the rest to the caller (a client's view; used by tests). */
export function decodeReply(body: Buffer): { header: ReplyHeader; rest: JuteReader } {
  const r = new JuteReader(body);
  return { header: { xid: r.int(), zxid: r.long(), err: r.int() }, rest: r };
}

// Response bodies, named after their jute classes.
export const Responses = {
  create: (path: string) => (w: JuteWriter) => void w.ustring(path),
  create2: (path: string, stat: WireStat) => (w: JuteWriter) => {
    w.ustring(path);
    writeStat(w, stat);
  },
  stat: (stat: WireStat) => (w: JuteWriter) => writeStat(w, stat),
  getData: (data: Buffer, stat: WireStat) => (w: JuteWriter) => {
    w.buffer(data);
    writeStat(w, stat);
  },
  getChildren: (children: string[]) => (w: JuteWriter) =>
    void w.vector(children, (x, c) => x.ustring(c)),
  getChildren2: (children: string[], stat: WireStat) => (w: JuteWriter) => {
    w.vector(children, (x, c) => x.ustring(c));
    writeStat(w, stat);
  },
  getACL: (acl: WireAcl[], stat: WireStat) => (w: JuteWriter) => {
    w.vector(acl, writeAcl);
    writeStat(w, stat);
  },
  sync: (path: string) => (w: JuteWriter) => void w.ustring(path),
};
