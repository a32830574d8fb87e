// A small real HTTP server on a loopback port that plays a Mesos master's /master/state for
// source tests: serves a document the test controls, or garbage, or an error status, or hangs,
// or is down (not listening) and comes up later on the same port.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { freePort } from './net.js';

export type FakeMasterMode = 'ok' | 'garbage' | 'error' | 'hang';

/** A minimal state document with one Aurora task on one agent, for `master@host:port`. */
export function sampleState(
  options: { ip?: string; port?: number; taskIp?: string; taskName?: string } = {},
): Record<string, unknown> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 5050;
  const taskIp = options.taskIp ?? '10.0.0.21';
  return {
    version: '1.11.0',
    id: 'm1',
    pid: `master@${ip}:${port}`,
    hostname: 'master-1',
    leader: `master@${ip}:${port}`,
    slaves: [
      {
        id: 'a1-S0',
        hostname: 'agent-1',
        port: 5051,
        pid: `slave(1)@${taskIp}:5051`,
        resources: { cpus: 8, gpus: 0, mem: 15000, disk: 100000, ports: '[31000-32000]' },
      },
    ],
    frameworks: [
      {
        id: 'a1-0000',
        name: 'Aurora',
        hostname: 'aurora-1',
        active: true,
        tasks: [
          {
            id: 'vagrant-test-http_example-0-4f6c',
            name: options.taskName ?? 'vagrant/test/http_example',
            framework_id: 'a1-0000',
            executor_id: 'thermos-vagrant-test-http_example-0-4f6c',
            slave_id: 'a1-S0',
            state: 'TASK_RUNNING',
            role: '*',
            resources: { cpus: 0.5, gpus: 0, mem: 128, disk: 128, ports: '[31000-31001]' },
            statuses: [
              {
                state: 'TASK_RUNNING',
                timestamp: 1700000003.45,
                container_status: {
                  network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: taskIp }] }],
                },
              },
            ],
            discovery: {
              visibility: 'CLUSTER',
              name: 'http_example.test.vagrant',
              environment: 'test',
              location: 'devcluster',
              ports: {
                ports: [
                  { number: 31000, name: 'http', protocol: 'TCP' },
                  { number: 31001, name: 'health', protocol: 'TCP' },
                ],
              },
            },
          },
        ],
        completed_tasks: [],
        unreachable_tasks: [],
      },
    ],
  };
}

export class FakeMaster {
  readonly port: number;
  readonly host = '127.0.0.1';
  /** Requests to /master/state answered or held so far. */
  requests = 0;
  /** The Authorization header of the last request, if any. */
  lastAuthorization: string | undefined;
  private mode: FakeMasterMode = 'ok';
  private doc: Record<string, unknown>;
  private server: http.Server | undefined;
  /** Serve HTTPS with this key and certificate instead of plain HTTP. */
  private readonly tls: { key: Buffer; cert: Buffer } | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<http.ServerResponse>();

  private constructor(
    port: number,
    doc: Record<string, unknown>,
    tls?: { key: Buffer; cert: Buffer },
  ) {
    this.port = port;
    this.doc = doc;
    this.tls = tls;
  }

  /** A master on a free port; listening unless `down` is set (then call up() later). */
  static async start(
    options: {
      down?: boolean;
      state?: Record<string, unknown>;
      tls?: { key: Buffer; cert: Buffer };
    } = {},
  ): Promise<FakeMaster> {
    const port = await freePort();
    const m = new FakeMaster(port, options.state ?? sampleState({ port }), options.tls);
    if (!options.down) await m.up();
    return m;
  }

  /** `127.0.0.1:port`, as in config `masters`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }
  /** `master@127.0.0.1:port`, as in a state document's `pid` / `leader`. */
  get pid(): string {
    return `master@${this.address}`;
  }
  /** The MasterInfo JSON a Mesos master writes to its ZooKeeper `json.info_` node. */
  masterInfo(): Buffer {
    return Buffer.from(
      JSON.stringify({
        address: { hostname: 'localhost', ip: this.host, port: this.port },
        hostname: 'localhost',
        id: `id-${this.port}`,
        pid: this.pid,
        port: this.port,
        version: '1.11.0',
      }),
    );
  }

  setMode(mode: FakeMasterMode): void {
    this.mode = mode;
  }
  setState(doc: Record<string, unknown>): void {
    this.doc = doc;
  }
  /** Makes this master report `leader` (a pid, or null for "no leader elected"). */
  setLeader(leader: string | null): void {
    this.doc = { ...this.doc, leader: leader ?? undefined };
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    const server: http.Server = this.tls
      ? https.createServer({ key: this.tls.key, cert: this.tls.cert }, handler)
      : http.createServer(handler);
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops every connection (held ones included): the master is down. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const r of this.held) r.destroy();
    this.held.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.down();
  }
  /** Same as stop(), so a master can sit in a list of things to close. */
  close(): Promise<void> {
    return this.stop();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/master/state' && path !== '/state') {
      res.writeHead(404).end();
      return;
    }
    this.requests++;
    this.lastAuthorization = req.headers.authorization;
    switch (this.mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.doc));
        return;
      case 'garbage':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"frameworks": [ this is not json');
        return;
      case 'error':
        res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
        return;
      case 'hang':
        // Headers sent, body never finished: the worst kind of hung master.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"version":');
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
    }
  }
}
