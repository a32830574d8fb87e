// The ServerSet announcer, with the Aurora executor's liveness rules: a `member_`
// EPHEMERAL_SEQUENTIAL node under the ServerSet path, parents created persistent with the same
// ACL, a new node after session expiry or when someone deletes ours, never setData, and leave =
// delete then never re-join. Unlike Aurora, a join error that is not a connection error (NoAuth,
// bad path) is reported, never swallowed.
import { EventEmitter } from 'node:events';
import { ZkError } from '../errors.js';
import { logger } from '../log.js';
import type { ServiceInstance } from '../model/service-instance.js';
import { baseName, joinPath, normalizePath } from '../zk/paths.js';
import type { Acl, Coordination } from '../zk/types.js';
import { encodeJson } from './codec.js';

export interface AnnouncerOptions {
  session: Coordination;
  /** The ServerSet path, e.g. `/aurora/vagrant/test/http_example`. */
  path: string;
  /** What to announce; written once per member node (members are immutable). */
  instance: ServiceInstance;
  /** ACL of the member node and of parents it creates. Default: the session's default ACL. */
  acl?: Acl[];
  /** Pause before retrying a join that failed for a reason other than the connection
   *  (Aurora retries every 15 s). Default 15000. */
  retryIntervalMs?: number;
}

export interface AnnouncerEvents {
  /** A member node now exists (first join or re-join). */
  joined: [memberPath: string];
  /** Our node is gone (session expired, deleted by someone else); a re-join is under way. */
  lost: [reason: string];
  /** A join failed for a reason a retry on the connection will not fix (NoAuth, bad ACL…). */
  error: [error: Error];
  left: [];
}

const log = logger('announcer');

export class Announcer extends EventEmitter<AnnouncerEvents> {
  readonly path: string;
  private readonly session: Coordination;
  private readonly data: Buffer;
  private readonly acl: Acl[] | undefined;
  private readonly retryIntervalMs: number;
  private member: string | undefined;
  private state: 'idle' | 'joining' | 'joined' | 'leaving' | 'left' = 'idle';
  /** Bumped on every (re)join so stale watch callbacks and retries do nothing. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private joining: Promise<string> | undefined;
  private readonly onRenewed = () => this.rejoin('the ZooKeeper session expired');
  private readonly onConnected = () => this.verify();

  constructor(options: AnnouncerOptions) {
    super();
    this.session = options.session;
    this.path = normalizePath(options.path);
    this.data = encodeJson(options.instance);
    this.acl = options.acl;
    this.retryIntervalMs = options.retryIntervalMs ?? 15000;
  }

  /** The current member node's path, if joined. */
  get memberPath(): string | undefined {
    return this.member;
  }

  /**
   * Joins the ServerSet. Resolves with the member path once the node exists. Connection problems
   * are waited out (the caller bounds the wait); any other error rejects, and is not retried.
   */
  async join(): Promise<string> {
    if (this.state !== 'idle') throw new Error('Announcer.join() may be called once');
    this.state = 'joining';
    this.session.on('sessionRenewed', this.onRenewed);
    this.session.on('connected', this.onConnected);
    try {
      return await this.startJoin();
    } catch (e) {
      this.detach();
      this.state = 'idle';
      throw e;
    }
  }

  private startJoin(): Promise<string> {
    const gen = ++this.generation;
    this.joining = this.joinOnce(gen).finally(() => {
      if (this.generation === gen) this.joining = undefined;
    });
    return this.joining;
  }

  private async joinOnce(gen: number): Promise<string> {
    for (;;) {
      if (this.superseded(gen)) throw new ZkError('other', 'join superseded');
      try {
        const created = await this.createMember();
        if (this.superseded(gen)) {
          // leave() or a newer join raced us: do not leave a stray member behind.
          await this.session.remove(created).catch(() => undefined);
          throw new ZkError('other', 'join superseded');
        }
        this.member = created;
        this.state = 'joined';
        await this.watchOwn(gen, created);
        log.debug({ member: created }, 'joined');
        this.emit('joined', created);
        return created;
      } catch (e) {
        if (e instanceof ZkError && e.retryable) {
          // Wait for the connection (or a new session) and try again.
          await this.session.waitConnected(24 * 3600 * 1000).catch(() => undefined);
          if (this.session.state === 'closed') throw e;
          continue;
        }
        throw e;
      }
    }
  }

  /** A newer join started, or leave() was called, since join `gen` began. */
  private superseded(gen: number): boolean {
    return this.generation !== gen || this.state === 'leaving' || this.state === 'left';
  }

  /** Creates the member node. After a connection loss the create may have happened anyway:
   *  look for a node of this session with our exact data before creating another, so a member
   *  is never announced twice. */
  private async createMember(): Promise<string> {
    const prefix = joinPath(this.path, 'member_');
    const create = () =>
      this.session.create(prefix, this.data, { mode: 'ephemeralSequential', acl: this.acl });
    try {
      try {
        return await create();
      } catch (e) {
        // The common case is an existing ServerSet: create the parents only when missing.
        if (!(e instanceof ZkError && e.reason === 'noNode')) throw e;
        await this.session.mkdirp(this.path, this.acl);
        return await create();
      }
    } catch (e) {
      if (!(e instanceof ZkError && e.reason === 'connectionLoss')) throw e;
      await this.session.waitConnected(24 * 3600 * 1000);
      const mine = await this.findOwn();
      if (mine) return mine;
      throw e;
    }
  }

  private async findOwn(): Promise<string | undefined> {
    const children = await this.session.getChildren(this.path);
    for (const name of children.filter((c) => c.startsWith('member_'))) {
      const p = joinPath(this.path, name);
      const st = await this.session.exists(p);
      if (st?.ephemeralOwner !== this.session.sessionId) continue;
      const { data } = await this.session.getData(p).catch(() => ({ data: Buffer.alloc(0) }));
      if (data.equals(this.data)) return p;
    }
    return undefined;
  }

  /** Arms an exists watch on our node: deleted by someone else → join again. */
  private async watchOwn(gen: number, member: string): Promise<void> {
    const stat = await this.session.exists(member, (ev) => {
      if (this.generation !== gen || this.member !== member) return;
      if (ev.type === 'deleted') this.rejoin(`member ${baseName(member)} was deleted`);
      else void this.watchOwn(gen, member).catch(() => undefined);
    });
    if (!stat && this.generation === gen && this.state === 'joined') {
      this.rejoin(`member ${baseName(member)} is gone`);
    }
  }

  /** After a reconnect within the same session, make sure our node is still there. */
  private verify(): void {
    const member = this.member;
    const gen = this.generation;
    if (this.state !== 'joined' || !member) return;
    void this.session
      .exists(member)
      .then((st) => {
        if (!st && this.generation === gen && this.member === member) {
          this.rejoin(`member ${baseName(member)} is gone`);
        }
      })
      .catch(() => undefined);
  }

  private rejoin(reason: string): void {
    if (this.state === 'leaving' || this.state === 'left' || this.state === 'idle') return;
    if (this.session.state === 'closed') {
      // The session was closed under us: its ephemerals are gone on purpose; nothing to re-join.
      this.detach();
      this.member = undefined;
      this.state = 'left';
      return;
    }
    if (this.state === 'joining' && this.joining) return; // the join under way covers it
    log.info({ reason }, 're-joining');
    this.member = undefined;
    this.state = 'joining';
    this.emit('lost', reason);
    this.startJoin().catch((e: unknown) => this.joinFailed(e));
  }

  private joinFailed(e: unknown): void {
    if (this.state === 'leaving' || this.state === 'left') return;
    if (this.session.state === 'closed') return this.rejoin('session closed');
    if (e instanceof ZkError && e.message === 'join superseded') return;
    const err = e instanceof Error ? e : new Error(String(e));
    log.error({ err: err.message }, 're-join failed; retrying');
    if (this.listenerCount('error') > 0) this.emit('error', err);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.state === 'joining' && !this.joining) {
        this.startJoin().catch((e2: unknown) => this.joinFailed(e2));
      }
    }, this.retryIntervalMs);
    this.retryTimer.unref();
  }

  private detach(): void {
    this.session.off('sessionRenewed', this.onRenewed);
    this.session.off('connected', this.onConnected);
    clearTimeout(this.retryTimer);
  }

  /**
   * Leaves the ServerSet: deletes our node ("no node" counts as success) and never re-joins.
   * Waits at most `timeoutMs` for ZooKeeper; after that the node goes with the session anyway.
   */
  async leave(timeoutMs = 5000): Promise<void> {
    if (this.state === 'left') return;
    const member = this.member;
    this.state = 'leaving';
    this.generation++;
    this.detach();
    const deadline = Date.now() + timeoutMs;
    while (member) {
      try {
        await this.session.remove(member);
        break;
      } catch (e) {
        if (e instanceof ZkError && (e.reason === 'noNode' || e.reason === 'closed')) break;
        if (!(e instanceof ZkError && e.retryable) || Date.now() >= deadline) throw e;
        await this.session.waitConnected(Math.max(1, deadline - Date.now())).catch(() => undefined);
        if (Date.now() >= deadline) break;
      }
    }
    this.member = undefined;
    this.state = 'left';
    this.emit('left');
  }
}
