// The ZooKeeper wire server at the protocol level: the jute codec (round trips and fuzzing), the
// handshake (new session, resume, wrong password, unknown session, timeout clamping), expiry by
// timeout, error codes, four-letter words, malformed and oversized packets (one connection
// dropped, the server and other clients unaffected), and the real Java client (zkCli.sh).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DecodeError } from '../../src/errors.js';
import { EmbeddedStore, type EmbeddedSession } from '../../src/zk/embedded.js';
import { ZkSession } from '../../src/zk/session.js';
import type { WatchEvent } from '../../src/zk/types.js';
import { startZkWireServer, type ZkWireServer } from '../../src/zk/wire-server.js';
import { Err, OpCode, Xid } from '../../src/zk/wire/constants.js';
import { FrameDecoder } from '../../src/zk/wire/frame.js';
import { JuteWriter } from '../../src/zk/wire/jute.js';
import {
  decodeConnectRequest,
  decodeConnectResponse,
  decodeReply,
  decodeRequest,
  encodeConnectRequest,
  encodeRequest,
  readStat,
  type ConnectRequest,
} from '../../src/zk/wire/records.js';
import { validAclEntries, validPath } from '../../src/zk/wire/validate.js';
import { expireSession, fourLetter } from '../helpers/zookeeper.js';
import { nextEvent, waitFor, withDeadline } from '../helpers/wait.js';

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';

/** A bare protocol client over one socket: sends raw bytes, reads whole frames. */
class RawClient {
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private readonly frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        resolve();
        this.wake();
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (d) => {
      for (const f of this.decoder.push(d).frames) this.frames.push(f);
      this.wake();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  async next(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.isClosed) throw new Error('connection closed by the server');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** Handshake; returns the server's ConnectResponse. */
  async connect(req: Partial<ConnectRequest> = {}) {
    this.write(
      encodeConnectRequest({
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: 10000,
        sessionId: 0n,
        passwd: Buffer.alloc(16),
        readOnly: undefined,
        ...req,
      }),
    );
    return decodeConnectResponse(await this.next());
  }

  /** Sends one request and reads frames up to its reply (notifications are collected). */
  async call(xid: number, type: number, body?: (w: JuteWriter) => void, events: WatchEvent[] = []) {
    this.write(encodeRequest(xid, type, body));
    for (;;) {
      const { header, rest } = decodeReply(await this.next());
      if (header.xid === Xid.notification) {
        const t = rest.int();
        rest.int();
        const path = rest.ustring();
        events.push({
          type: ({ 1: 'created', 2: 'deleted', 3: 'dataChanged', 4: 'childrenChanged' } as const)[
            t as 1
          ]!,
          path,
        });
        continue;
      }
      assert.equal(header.xid, xid, 'replies come in request order');
      return { header, rest };
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('ZooKeeper wire codec', () => {
  test('ConnectRequest round-trips, with and without the readOnly flag', () => {
    const req: ConnectRequest = {
      protocolVersion: 0,
      lastZxidSeen: 0x1234_5678_9abcn,
      timeOut: 30000,
      sessionId: -2n,
      passwd: randomBytes(16),
      readOnly: undefined,
    };
    const frame = encodeConnectRequest(req);
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    assert.deepEqual(decodeConnectRequest(frame.subarray(4)), req);
    const ro = { ...req, readOnly: true };
    assert.deepEqual(decodeConnectRequest(encodeConnectRequest(ro).subarray(4)), ro);
  });

  test('request bodies decode in zookeeper.jute field order', () => {
    const frame = encodeRequest(7, OpCode.create, (w) =>
      w
        .ustring('/a/b')
        .buffer(Buffer.from('xy'))
        .vector([{ perms: 31, scheme: 'world', id: 'anyone' }], (x, a) =>
          x.int(a.perms).ustring(a.scheme).ustring(a.id),
        )
        .int(3),
    );
    assert.deepEqual(decodeRequest(frame.subarray(4)), {
      xid: 7,
      type: OpCode.create,
      op: 'create',
      path: '/a/b',
      data: Buffer.from('xy'),
      acl: [{ perms: 31, scheme: 'world', id: 'anyone' }],
      flags: 3,
      withStat: false,
    });
    const sw = encodeRequest(Xid.setWatches, OpCode.setWatches, (w) =>
      w
        .long(9n)
        .vector(['/d'], (x, s) => x.ustring(s))
        .vector([], () => {})
        .vector(['/c1', '/c2'], (x, s) => x.ustring(s)),
    );
    assert.deepEqual(decodeRequest(sw.subarray(4)), {
      xid: Xid.setWatches,
      type: OpCode.setWatches,
      op: 'setWatches',
      relativeZxid: 9n,
      dataWatches: ['/d'],
      existWatches: [],
      childWatches: ['/c1', '/c2'],
    });
    assert.equal(decodeRequest(encodeRequest(1, OpCode.whoAmI).subarray(4)).op, 'unsupported');
  });

  test('truncated and inconsistent input throws DecodeError, never reads past the end', () => {
    const full = encodeRequest(1, OpCode.getData, (w) =>
      w.ustring('/some/path').bool(true),
    ).subarray(4);
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => decodeRequest(full.subarray(0, n)), DecodeError, `prefix of ${n} bytes`);
    }
    const hugeVector = new JuteWriter()
      .int(1)
      .int(OpCode.setWatches)
      .long(0n)
      .int(0x7fffffff)
      .toBuffer();
    assert.throws(() => decodeRequest(hugeVector), DecodeError);
    const negativeString = new JuteWriter().int(1).int(OpCode.exists).int(-5).toBuffer();
    assert.throws(() => decodeRequest(negativeString), DecodeError);
  });

  test('fuzz: random bytes only ever produce a request or a DecodeError', () => {
    for (let i = 0; i < 5000; i++) {
      const buf = randomBytes(i % 64);
      // Half the cases get a served op code, so the body decoders see random input too.
      if (buf.length >= 8 && i % 2 === 0)
        buf.writeInt32BE([1, 2, 3, 4, 5, 6, 8, 9, 12, 15, 100, 101, 105][i % 13]!, 4);
      for (const decode of [decodeRequest, decodeConnectRequest]) {
        try {
          decode(buf);
        } catch (e) {
          assert.ok(e instanceof DecodeError, `${String(e)} for ${buf.toString('hex')}`);
        }
      }
    }
  });

  test('framing: split packets, several per chunk, bad lengths, four-letter words', () => {
    const d = new FrameDecoder(100);
    const a = encodeRequest(1, OpCode.ping);
    const b = encodeRequest(2, OpCode.ping);
    const both = Buffer.concat([a, b]);
    const got: Buffer[] = [];
    for (const byte of both) got.push(...d.push(Buffer.from([byte])).frames);
    assert.deepEqual(got, [a.subarray(4), b.subarray(4)]);
    assert.equal(d.pendingBytes, 0);
    assert.deepEqual(new FrameDecoder(100).push(Buffer.concat([both, both])).frames.length, 4);
    assert.throws(() => new FrameDecoder(100).push(Buffer.from([0, 0, 0, 101])), DecodeError);
    assert.throws(
      () => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff])),
      DecodeError,
    );
    assert.equal(new FrameDecoder(100).push(Buffer.from('ruok')).word, 'ruok');
    // Only the first four bytes of a connection may be a word.
    const later = new FrameDecoder(0x7fffffff);
    later.push(Buffer.from([0, 0, 0, 0]));
    assert.equal(later.push(Buffer.from('ruok')).word, undefined);
  });

  test('path and ACL checks follow ZooKeeper', () => {
    for (const p of ['/', '/a', '/a/b-c_d.e', '/zookeeper']) assert.ok(validPath(p), p);
    for (const p of ['', 'a', '/a/', '//a', '/a//b', '/a/./b', '/a/..', '/a\u0000b', '/a\u0001'])
      assert.ok(!validPath(p), JSON.stringify(p));
    assert.ok(validPath('/a/', true), 'a sequential create may end in "/"');
    assert.ok(
      validAclEntries([
        { scheme: 'world', id: 'anyone', perms: 31 },
        { scheme: 'ip', id: '10.0.0.0/8', perms: 1 },
      ]),
    );
    assert.ok(
      validAclEntries([
        { scheme: 'digest', id: 'u:hash', perms: 31 },
        { scheme: 'auth', id: '', perms: 31 },
      ]),
    );
    for (const bad of [
      { scheme: 'world', id: 'someone', perms: 31 },
      { scheme: 'digest', id: 'nocolon', perms: 31 },
      { scheme: 'ip', id: '10.0.0.0/33', perms: 31 },
      { scheme: 'kerberos', id: 'x', perms: 31 },
    ]) {
      assert.ok(!validAclEntries([bad]), JSON.stringify(bad));
    }
  });
});

describe('ZooKeeper wire server', () => {
  let store: EmbeddedStore;
  let server: ZkWireServer;
  let bystander: ZkSession;
  const raws: RawClient[] = [];
  const sessions: Array<ZkSession | EmbeddedSession> = [];
  const raw = async () => {
    const c = await RawClient.open(server.port);
    raws.push(c);
    return c;
  };
  /** The bystander's round trip: the server is alive and other clients are unaffected. */
  const serverStillServes = async () => {
    const path = `/alive-${Date.now()}-${Math.random().toString(16).slice(2)}`;
    assert.equal(await bystander.create(path, Buffer.from('ok')), path);
    assert.equal((await bystander.getData(path)).data.toString(), 'ok');
    assert.equal(bystander.state, 'connected');
  };

  before(async () => {
    store = new EmbeddedStore();
    server = await startZkWireServer({
      store,
      minSessionTimeoutMs: 400,
      maxSessionTimeoutMs: 30000,
      maxPacketBytes: 64 * 1024,
    });
    bystander = new ZkSession(server.connectString, { sessionTimeoutMs: 5000 });
    sessions.push(bystander);
    await bystander.waitConnected(10000);
  });
  after(async () => {
    for (const r of raws) r.close();
    for (const s of sessions) await s.close();
    await server.close();
  });

  test('four-letter words: ruok, srvr, and refusal of the others', async () => {
    assert.equal(await fourLetter(server.port, 'ruok'), 'imok');
    const srvr = await fourLetter(server.port, 'srvr');
    assert.match(srvr, /^Zookeeper version: /);
    assert.match(srvr, /Mode: standalone/);
    assert.match(srvr, /Zxid: 0x[0-9a-f]+/);
    assert.match(await fourLetter(server.port, 'dump'), /not executed/);
  });

  test('garbage bytes close that connection; the server and other clients go on', async () => {
    const c = await raw();
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await withDeadline(c.closed, 5000, 'server closes a connection sending garbage');
    await serverStillServes();
  });

  test('a length prefix over the limit, or negative, closes the connection at once', async () => {
    for (const head of [
      Buffer.from([0x7f, 0xff, 0xff, 0xff]),
      Buffer.from([0, 1, 0, 1]),
      Buffer.from([0xff, 0xff, 0xff, 0xf0]),
    ]) {
      const c = await raw();
      const hs = await c.connect();
      assert.ok(hs.timeOut > 0);
      c.write(head);
      await withDeadline(c.closed, 5000, `length ${head.toString('hex')}`);
    }
    // Before the handshake too.
    const early = await raw();
    early.write(Buffer.from([0x40, 0, 0, 0]));
    await withDeadline(early.closed, 5000, 'oversized connect request');
    await serverStillServes();
  });

  test('a truncated request body closes the connection; a partial packet just waits', async () => {
    const c = await raw();
    await c.connect();
    // A complete frame whose getData body claims a 100-byte path but carries 3 bytes.
    const body = Buffer.concat([
      new JuteWriter().int(1).int(OpCode.getData).int(100).toBuffer(),
      Buffer.from('/ab'),
    ]);
    const len = Buffer.alloc(4);
    len.writeInt32BE(body.length);
    c.write(Buffer.concat([len, body]));
    await withDeadline(c.closed, 5000, 'truncated body');

    const partial = await raw();
    await partial.connect();
    partial.write(Buffer.from([0, 0, 0, 50, 1, 2, 3]));
    // The server waits for the rest while answering nobody else worse for it.
    await serverStillServes();
    assert.equal(partial.isClosed, false);
    partial.close();
    await serverStillServes();
  });

  test('a truncated connect request closes the connection', async () => {
    const c = await raw();
    c.write(new JuteWriter().int(0).long(0n).toFrame());
    await withDeadline(c.closed, 5000, 'truncated connect request');
    await serverStillServes();
  });

  test('a flood of random packets from many connections never takes the server down', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => raw()));
    for (const [i, c] of clients.entries()) {
      if (i % 2 === 0) await c.connect();
      for (let k = 0; k < 20; k++) {
        const body = randomBytes(1 + ((i * 7 + k) % 40));
        const len = Buffer.alloc(4);
        len.writeInt32BE(body.length);
        c.write(Buffer.concat([len, body]));
      }
    }
    await serverStillServes();
    for (const c of clients) c.close();
  });

  test('handshake: new session, resume with id+password, wrong password and unknown session see expiry', async () => {
    const a = await raw();
    const hs = await a.connect({ timeOut: 5000 });
    assert.equal(hs.timeOut, 5000);
    assert.notEqual(hs.sessionId, 0n);
    assert.equal(hs.passwd.length, 16);
    assert.equal(hs.readOnly, undefined, 'no readOnly byte for a client that sent none');
    const path = `/handshake-${process.pid}`;
    const created = await a.call(1, OpCode.create, (w) =>
      w
        .ustring(path)
        .buffer(Buffer.from('v'))
        .vector([{ perms: 31, scheme: 'world', id: 'anyone' }], (x, acl) =>
          x.int(acl.perms).ustring(acl.scheme).ustring(acl.id),
        )
        .int(1),
    );
    assert.equal(created.header.err, 0);
    assert.equal(created.rest.ustring(), path);

    // Resume on a new connection: same session, the old connection is dropped.
    const b = await raw();
    const again = await b.connect({
      sessionId: hs.sessionId,
      passwd: hs.passwd,
      timeOut: 6000,
      readOnly: false,
    });
    assert.equal(again.sessionId, hs.sessionId);
    assert.equal(again.timeOut, 6000);
    assert.equal(again.readOnly, false, 'a readOnly byte for a client that sent one');
    await withDeadline(a.closed, 5000, 'the superseded connection is closed');
    const st = await b.call(2, OpCode.exists, (w) => w.ustring(path).bool(false));
    assert.equal(st.header.err, 0);
    assert.equal(
      readStat(st.rest).ephemeralOwner,
      hs.sessionId,
      'the ephemeral still belongs to the session',
    );

    const wrong = await raw();
    const refused = await wrong.connect({ sessionId: hs.sessionId, passwd: Buffer.alloc(16, 7) });
    assert.equal(refused.timeOut, 0);
    await withDeadline(wrong.closed, 5000, 'refused connection closed');
    const unknown = await raw();
    assert.equal(
      (await unknown.connect({ sessionId: 0x7777_0000_0000n, passwd: hs.passwd })).timeOut,
      0,
    );

    // The wrong password did not hurt the real session.
    assert.equal((await b.call(Xid.ping, OpCode.ping)).header.err, 0);
    // closeSession: the reply, then the server hangs up and the ephemeral is gone.
    assert.equal((await b.call(4, OpCode.closeSession)).header.err, 0);
    await withDeadline(b.closed, 5000, 'closed after closeSession');
    assert.equal(await bystander.exists(path), null);
    const late = await raw();
    assert.equal((await late.connect({ sessionId: hs.sessionId, passwd: hs.passwd })).timeOut, 0);
  });

  test('requested session timeouts are clamped to the server range', async () => {
    const lo = await raw();
    assert.equal((await lo.connect({ timeOut: 1 })).timeOut, 400);
    const hi = await raw();
    assert.equal((await hi.connect({ timeOut: 10_000_000 })).timeOut, 30000);
  });

  test('a session not heard from within its timeout expires: ephemerals go, resume is refused', async () => {
    const c = await raw();
    const hs = await c.connect({ timeOut: 400 });
    const path = `/expiring-${process.pid}`;
    const r = await c.call(1, OpCode.create, (w) =>
      w
        .ustring(path)
        .buffer(Buffer.alloc(0))
        .vector([{ perms: 31, scheme: 'world', id: 'anyone' }], (x, acl) =>
          x.int(acl.perms).ustring(acl.scheme).ustring(acl.id),
        )
        .int(1),
    );
    assert.equal(r.header.err, 0);
    let gone!: (e: WatchEvent) => void;
    const deleted = new Promise<WatchEvent>((resolve) => (gone = resolve));
    assert.ok(await bystander.exists(path, gone));
    c.close();
    assert.deepEqual(await withDeadline(deleted, 10000, 'ephemeral deleted on expiry'), {
      type: 'deleted',
      path,
    });
    const back = await raw();
    assert.equal((await back.connect({ sessionId: hs.sessionId, passwd: hs.passwd })).timeOut, 0);
  });

  test('a silent but connected client is expired too, and its connection closed', async () => {
    const c = await raw();
    const hs = await c.connect({ timeOut: 400 });
    await withDeadline(c.closed, 10000, 'silent client disconnected on expiry');
    assert.ok(!store.sessionIds().includes(hs.sessionId.toString(16).padStart(16, '0')));
  });

  test('error codes: NoNode, NodeExists, BadVersion, BadArguments, InvalidACL, NoAuth, Unimplemented', async () => {
    const c = await raw();
    await c.connect();
    const world = [{ perms: 31, scheme: 'world', id: 'anyone' }];
    const acl = (list: typeof world) => (w: JuteWriter) =>
      w.vector(list, (x, a) => x.int(a.perms).ustring(a.scheme).ustring(a.id));
    const create = (xid: number, path: string, list = world, flags = 0) =>
      c.call(xid, OpCode.create, (w) => {
        w.ustring(path).buffer(Buffer.alloc(0));
        acl(list)(w);
        w.int(flags);
      });
    const base = `/errors-${process.pid}`;
    assert.equal((await create(1, base)).header.err, 0);
    assert.equal((await create(2, base)).header.err, Err.nodeExists);
    assert.equal(
      (await c.call(3, OpCode.getData, (w) => w.ustring(`${base}/nope`).bool(false))).header.err,
      Err.noNode,
    );
    assert.equal(
      (await c.call(4, OpCode.exists, (w) => w.ustring(`${base}/nope`).bool(false))).header.err,
      Err.noNode,
    );
    assert.equal(
      (await c.call(5, OpCode.setData, (w) => w.ustring(base).buffer(Buffer.from('x')).int(7)))
        .header.err,
      Err.badVersion,
    );
    assert.equal(
      (await c.call(6, OpCode.getData, (w) => w.ustring('relative').bool(false))).header.err,
      Err.badArguments,
    );
    assert.equal(
      (await create(7, `${base}/bad-acl`, [{ perms: 31, scheme: 'kerberos', id: 'x' }])).header.err,
      Err.invalidAcl,
    );
    assert.equal((await create(8, `${base}/empty-acl`, [])).header.err, Err.invalidAcl);
    assert.equal((await create(9, `${base}/container`, world, 4)).header.err, Err.unimplemented);
    assert.equal((await create(10, `${base}/weird-mode`, world, 42)).header.err, Err.badArguments);
    const eph = `${base}/eph`;
    assert.equal((await create(11, eph, world, 1)).header.err, 0);
    assert.equal((await create(12, `${eph}/child`)).header.err, Err.noChildrenForEphemerals);
    assert.equal(
      (await c.call(13, OpCode.delete, (w) => w.ustring(base).int(-1))).header.err,
      Err.notEmpty,
    );
    const locked = `${base}/locked`;
    assert.equal(
      (await create(14, locked, [{ perms: 1, scheme: 'world', id: 'anyone' }])).header.err,
      0,
    );
    assert.equal((await create(15, `${locked}/x`)).header.err, Err.noAuth);
    for (const [xid, op] of [
      [16, OpCode.multi],
      [17, OpCode.whoAmI],
      [18, OpCode.setACL],
      [19, OpCode.addWatch],
    ] as const) {
      assert.equal((await c.call(xid, op)).header.err, Err.unimplemented, `op ${op}`);
    }
    // The connection stays usable after every error.
    assert.equal(
      (await c.call(20, OpCode.getChildren2, (w) => w.ustring(base).bool(false))).header.err,
      0,
    );
  });

  test('create2, getChildren2 and getACL carry a full Stat', async () => {
    const c = await raw();
    const hs = await c.connect();
    const base = `/stat-${process.pid}`;
    const r = await c.call(1, OpCode.create2, (w) =>
      w
        .ustring(base)
        .buffer(Buffer.from('abc'))
        .vector([{ perms: 31, scheme: 'world', id: 'anyone' }], (x, a) =>
          x.int(a.perms).ustring(a.scheme).ustring(a.id),
        )
        .int(0),
    );
    assert.equal(r.header.err, 0);
    assert.equal(r.rest.ustring(), base);
    const st = readStat(r.rest);
    assert.equal(st.dataLength, 3);
    assert.equal(st.version, 0);
    assert.equal(st.mzxid, st.czxid);
    assert.ok(st.ctime > 0n && st.ctime === st.mtime);
    assert.equal(st.ephemeralOwner, 0n);
    assert.equal(r.header.zxid, st.czxid, 'the reply carries the transaction id');
    const child = await c.call(2, OpCode.create, (w) =>
      w
        .ustring(`${base}/s-`)
        .buffer(Buffer.alloc(0))
        .vector([{ perms: 31, scheme: 'world', id: 'anyone' }], (x, a) =>
          x.int(a.perms).ustring(a.scheme).ustring(a.id),
        )
        .int(3),
    );
    assert.equal(child.rest.ustring(), `${base}/s-0000000000`);
    const set = await c.call(3, OpCode.setData, (w) =>
      w.ustring(base).buffer(Buffer.from('abcd')).int(0),
    );
    const afterSet = readStat(set.rest);
    assert.equal(afterSet.version, 1);
    assert.ok(afterSet.mzxid > afterSet.czxid);
    const kids = await c.call(4, OpCode.getChildren2, (w) => w.ustring(base).bool(false));
    assert.deepEqual(
      kids.rest.vector((x) => x.ustring(), 4),
      ['s-0000000000'],
    );
    const kst = readStat(kids.rest);
    assert.equal(kst.numChildren, 1);
    assert.equal(kst.cversion, 1);
    assert.ok(kst.pzxid > kst.czxid);
    const eph = await c.call(5, OpCode.exists, (w) =>
      w.ustring(`${base}/s-0000000000`).bool(false),
    );
    assert.equal(readStat(eph.rest).ephemeralOwner, hs.sessionId);
    const acl = await c.call(6, OpCode.getACL, (w) => w.ustring(base));
    assert.deepEqual(
      acl.rest.vector((x) => ({ perms: x.int(), scheme: x.ustring(), id: x.ustring() }), 12),
      [{ perms: 31, scheme: 'world', id: 'anyone' }],
    );
    assert.equal(readStat(acl.rest).version, 1);
  });

  test('watch notifications precede the reply that caused them, one per event', async () => {
    const c = await raw();
    await c.connect();
    const base = `/notify-${process.pid}`;
    const world = (w: JuteWriter) =>
      w.vector([{ perms: 31, scheme: 'world', id: 'anyone' }], (x, a) =>
        x.int(a.perms).ustring(a.scheme).ustring(a.id),
      );
    await c.call(1, OpCode.create, (w) => {
      w.ustring(base).buffer(Buffer.alloc(0));
      world(w);
      w.int(0);
    });
    // A data and a child watch on the same node, set several times: one NodeDeleted on delete.
    for (let i = 0; i < 3; i++) {
      await c.call(10 + i, OpCode.getData, (w) => w.ustring(base).bool(true));
      await c.call(20 + i, OpCode.getChildren, (w) => w.ustring(base).bool(true));
    }
    const events: WatchEvent[] = [];
    const del = await c.call(30, OpCode.delete, (w) => w.ustring(base).int(-1), events);
    assert.equal(del.header.err, 0);
    assert.deepEqual(events, [{ type: 'deleted', path: base }]);
  });

  test('setWatches after a reconnect: changes since the client’s zxid fire at once', async () => {
    const writer = store.connect();
    sessions.push(writer);
    await writer.waitConnected(1000);
    const base = `/setwatches-${process.pid}`;
    await writer.create(base, Buffer.from('1'));
    await writer.create(`${base}/stays`);
    const a = await raw();
    const hs = await a.connect();
    const seen = await a.call(1, OpCode.getData, (w) => w.ustring(base).bool(true));
    const rel = seen.header.zxid;
    a.close();
    await writer.setData(base, Buffer.from('2'));
    await writer.create(`${base}/new`);
    const b = await raw();
    assert.equal(
      (await b.connect({ sessionId: hs.sessionId, passwd: hs.passwd })).sessionId,
      hs.sessionId,
    );
    const events: WatchEvent[] = [];
    const sw = await b.call(
      Xid.setWatches,
      OpCode.setWatches,
      (w) =>
        w
          .long(rel)
          .vector([base, `${base}/stays`], (x, p) => x.ustring(p))
          .vector([`${base}/new`, `${base}/later`], (x, p) => x.ustring(p))
          .vector([base, `${base}/gone`], (x, p) => x.ustring(p)),
      events,
    );
    assert.equal(sw.header.err, 0);
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.path}`).sort(),
      [
        `childrenChanged ${base}`,
        `created ${base}/new`,
        `dataChanged ${base}`,
        `deleted ${base}/gone`,
      ].sort(),
    );
    // Unchanged nodes were re-armed: a later change is delivered.
    await writer.create(`${base}/later`);
    await writer.setData(`${base}/stays`, Buffer.from('x'));
    // Notifications precede the reply to any later request, so one round trip collects them.
    const later: WatchEvent[] = [];
    await b.call(2, OpCode.exists, (w) => w.ustring('/').bool(false), later);
    assert.deepEqual(later.map((e) => `${e.type} ${e.path}`).sort(), [
      `created ${base}/later`,
      `dataChanged ${base}/stays`,
    ]);
  });

  test('auth: digest credentials grant access; an unknown scheme fails and hangs up', async () => {
    const c = await raw();
    await c.connect();
    c.write(
      encodeRequest(Xid.auth, OpCode.auth, (w) =>
        w.int(0).ustring('digest').buffer(Buffer.from('carol:pw')),
      ),
    );
    const { header } = decodeReply(await c.next());
    assert.deepEqual([header.xid, header.err], [Xid.auth, 0]);
    const base = `/auth-${process.pid}`;
    const r = await c.call(1, OpCode.create, (w) =>
      w
        .ustring(base)
        .buffer(Buffer.alloc(0))
        .vector([{ perms: 31, scheme: 'auth', id: '' }], (x, a) =>
          x.int(a.perms).ustring(a.scheme).ustring(a.id),
        )
        .int(0),
    );
    assert.equal(r.header.err, 0);
    assert.equal((await bystander.getAcl(base))[0]?.id.startsWith('carol:'), true);
    await assert.rejects(bystander.setData(base, Buffer.from('x')), /NoAuth/);

    const d = await raw();
    await d.connect();
    d.write(
      encodeRequest(Xid.auth, OpCode.auth, (w) =>
        w.int(0).ustring('sasl-nope').buffer(Buffer.from('x')),
      ),
    );
    const failed = decodeReply(await d.next()).header;
    assert.deepEqual([failed.xid, failed.err], [Xid.auth, Err.authFailed]);
    await withDeadline(d.closed, 5000, 'connection closed after AuthFailed');
  });

  test('expiring a session the way ZooKeeper tests do (clone with id+password, then close) works', async () => {
    const victim = new ZkSession(server.connectString, { sessionTimeoutMs: 4000, spinDelayMs: 50 });
    sessions.push(victim);
    await victim.waitConnected(10000);
    const eph = await victim.create(`/clone-${process.pid}`, Buffer.alloc(0), {
      mode: 'ephemeral',
    });
    const creds = victim.credentials()!;
    const before = victim.sessionId;
    let sawExpired = false;
    victim.once('expired', () => (sawExpired = true));
    const renewed = nextEvent(victim, 'sessionRenewed', 30000);
    await expireSession(server.connectString, creds.id, creds.password, () => sawExpired);
    await renewed;
    assert.notEqual(victim.sessionId, before);
    assert.equal(await bystander.exists(eph), null);
  });

  test('a stopped store refuses connections; started again, sessions resume', async () => {
    const c = new ZkSession(server.connectString, { sessionTimeoutMs: 10000, spinDelayMs: 50 });
    sessions.push(c);
    await c.waitConnected(10000);
    const id = c.sessionId;
    const disconnected = nextEvent(c, 'disconnected', 10000);
    store.stop();
    await disconnected;
    const probe = await raw();
    probe.write(
      encodeConnectRequest({
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: 5000,
        sessionId: 0n,
        passwd: Buffer.alloc(16),
        readOnly: undefined,
      }),
    );
    await withDeadline(probe.closed, 5000, 'connection refused while the store is down');
    const connected = nextEvent(c, 'connected', 20000);
    store.start();
    await connected;
    assert.equal(c.sessionId, id);
    await serverStillServes();
  });
});

describe(
  'ZooKeeper wire server and the Java client (zkCli.sh)',
  { skip: !existsSync(ZKCLI) && `${ZKCLI} not installed` },
  () => {
    let store: EmbeddedStore;
    let server: ZkWireServer;
    before(async () => {
      store = new EmbeddedStore();
      server = await startZkWireServer({ store });
    });
    after(async () => {
      await server.close();
    });

    /** Runs zkCli.sh (bounded); `script` is fed to its interactive shell when given. */
    const zkCliWith = (args: string[], script?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile(
          ZKCLI,
          ['-server', server.connectString, ...args],
          { timeout: 60000 },
          (err, stdout, stderr) => {
            if (err && (err as { killed?: boolean }).killed)
              reject(new Error(`zkCli.sh timed out: ${stdout}${stderr}`));
            else resolve(`${stdout}${stderr}`);
          },
        );
        child.stdin?.end(script ?? '');
      });
    const zkCli = (...args: string[]) => zkCliWith(args);

    test('ls, create, get -s, and a node created in-process seen by the Java client', async () => {
      const local = store.connect();
      await local.waitConnected(1000);
      await local.create('/from-node', Buffer.from('hi'));
      const ls = await zkCli('ls', '/');
      assert.match(ls, /\[(from-node, zookeeper|zookeeper, from-node)\]/, ls);
      const created = await zkCli('create', '/from-java', 'hello-wire');
      assert.match(created, /Created \/from-java/, created);
      assert.equal((await local.getData('/from-java')).data.toString(), 'hello-wire');
      const got = await zkCli('get', '-s', '/from-java');
      assert.match(got, /^hello-wire$/m, got);
      assert.match(got, /dataLength = 10/, got);
      assert.match(got, /numChildren = 0/, got);
      const missing = await zkCli('get', '/nope');
      assert.match(missing, /Node does not exist: \/nope/, missing);
      await local.close();
    });

    test('an ephemeral node made by zkCli.sh goes when it quits (closeSession)', async () => {
      const local = store.connect();
      await local.waitConnected(1000);
      const out = await zkCliWith([], 'ls -w /\ncreate -e /java-eph x\nls /\nquit\n');
      assert.match(out, /Created \/java-eph/, out);
      // The Java client parsed our notification for its child watch.
      assert.match(out, /WatchedEvent state:SyncConnected type:NodeChildrenChanged path:\//, out);
      // `quit` closes the session: the ephemeral is gone by the time zkCli.sh has exited.
      assert.equal(await local.exists('/java-eph'), null);
      await local.close();
    });

    test('a Java client that exits without closing loses its ephemeral after the session timeout', async () => {
      const local = store.connect();
      await local.waitConnected(1000);
      // Run as a one-shot command, zkCli.sh exits without closing its session.
      const out = await zkCli('-timeout', '4000', 'create', '-e', '/java-eph-2', 'x');
      assert.match(out, /Created \/java-eph-2/, out);
      const started = Date.now();
      await waitFor(
        'ephemeral removed on session expiry',
        async () => (await local.exists('/java-eph-2')) === null,
        20000,
        100,
      );
      assert.ok(Date.now() - started < 15000);
      await local.close();
    });
  },
);
