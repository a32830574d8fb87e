// Beacon DNS's HTTP server (node:http): Mesos-DNS's /v1 API, /healthz and /metrics. Reads the
// served record set through a callback, so a refresh swapping the set is seen by the next request
// and a request never mixes two sets. GET and HEAD only; replies and error bodies come from the
// HTTP floor (floor.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/mesos-dns.js';
import { redactConfig } from '../config/mesos-dns.js';
import {
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
  NotReadyError,
  PortInUseError,
} from '../errors.js';
import { logger } from '../log.js';
import { OverlayRecordSet, type MemRecordSet, type ServedView } from '../records/index.js';
import type { RecordSet } from '../records/types.js';
import {
  EMPTY_HOST,
  EMPTY_SERVICE,
  axfrJson,
  enumerateJson,
  hostsBody,
  servicesBody,
  versionBody,
} from './api.js';
import { decodePathPart, isRead, sendError, sendJson, sendText, streamJson } from './floor.js';
import { healthHttpStatus, type HealthReport } from './health.js';
import type { ServiceMetrics } from './metrics.js';

const log = logger('http');

export interface HttpServerOptions {
  /** Listen address (HTTPListener). Default 127.0.0.1. */
  host?: string;
  /** Listen port (httpport); 0 picks a free one. Default 8123. */
  port?: number;
  /** The effective config; /v1/config shows it with secrets redacted. */
  config: Config;
  /** The served records, undefined before the first successful load. */
  records: () => MemRecordSet | undefined;
  /** What DNS answers from, when more than the state's records (ServerSet records laid over
   *  them): used for /v1/hosts and /v1/services so they agree with DNS. Default: `records`. */
  answers?: () => RecordSet | undefined;
  /** The SOA serial DNS hands out when it is not the records' own (zone transfers keep their
   *  own, records/journal.ts): /v1/axfr shows it so the two agree. */
  soaSerial?: () => number | undefined;
  health: () => HealthReport;
  /** /readyz: why the service should not take traffic now (no state yet, shutting down), or
   *  undefined when it should. Default: ready once records are loaded. */
  notReady?: () => string | undefined;
  metrics: ServiceMetrics;
}

export interface HttpServer {
  /** Binds; rejects with PortInUseError naming the port when it is taken. */
  listen(): Promise<void>;
  close(): Promise<void>;
  address(): { host: string; port: number };
  /** The config now in force (a reload): /v1/config and the settings the API reads follow it. */
  setConfig(config: Config): void;
}

type Handler = (rest: string, url: URL) => unknown | Promise<unknown>;

/** A handler's body written in pieces (see streamReply) instead of one JSON.stringify. */
class Streamed {
  constructor(readonly pieces: Iterable<string>) {}
}

class Server implements HttpServer {
  private readonly o: HttpServerOptions;
  private readonly server: http.Server;
  private bound: { host: string; port: number } | undefined;
  private readonly routes: Array<{ prefix: string; exact: boolean; handler: Handler }>;

  constructor(o: HttpServerOptions) {
    this.o = o;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => sendError(res, e));
    });
    // Keep-alive sockets must not hold close() up.
    this.server.keepAliveTimeout = 5000;
    this.routes = [
      { prefix: '/v1/version', exact: true, handler: () => versionBody() },
      { prefix: '/v1/config', exact: true, handler: () => redactConfig(this.o.config) },
      { prefix: '/v1/hosts/', exact: false, handler: (host) => this.hosts(host) },
      { prefix: '/v1/services/', exact: false, handler: (service) => this.services(service) },
      {
        prefix: '/v1/enumerate',
        exact: true,
        handler: () => new Streamed(enumerateJson(this.served('enumerate'))),
      },
      {
        prefix: '/v1/axfr',
        exact: true,
        handler: () =>
          new Streamed(
            axfrJson(this.served('axfr'), this.o.config.refreshSeconds, this.o.soaSerial?.()),
          ),
      },
    ];
  }

  setConfig(config: Config): void {
    this.o.config = config;
  }

  listen(): Promise<void> {
    const host = this.o.host ?? '127.0.0.1';
    const port = this.o.port ?? 8123;
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        if (e.code === 'EADDRINUSE') reject(new PortInUseError('HTTP API (httpport)', host, port));
        else reject(e);
      };
      const onListening = () => {
        this.server.off('error', onError);
        const a = this.server.address() as AddressInfo;
        this.bound = { host: a.address, port: a.port };
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  address(): { host: string; port: number } {
    if (!this.bound) throw new Error('HTTP server is not listening');
    return this.bound;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://beacon');
    const path = url.pathname;
    log.debug({ method: req.method, path }, 'request');
    const known =
      path === '/healthz' ||
      path === '/readyz' ||
      path === '/livez' ||
      path === '/metrics' ||
      this.route(path) !== undefined;
    if (!known) throw new NotFoundError(`no such endpoint: ${path}`);
    if (!isRead(req.method)) {
      const e = new MethodNotAllowedError(`method ${req.method} not allowed on ${path} (use GET)`);
      return sendError(res, e, { allow: 'GET, HEAD' });
    }
    if (path === '/livez') {
      // Answering at all is the proof: the event loop turns, whatever ZooKeeper or masters do.
      sendJson(res, 200, { status: 'alive' });
      return;
    }
    if (path === '/readyz') {
      const why = this.o.notReady
        ? this.o.notReady()
        : this.o.records()
          ? undefined
          : 'no state loaded yet';
      if (why) sendJson(res, 503, { status: 'not ready', reason: why });
      else sendJson(res, 200, { status: 'ready' });
      return;
    }
    if (path === '/healthz') {
      const report = this.o.health();
      const strict = url.searchParams.has('strict') && url.searchParams.get('strict') !== '0';
      return sendJson(res, healthHttpStatus(report, strict), report);
    }
    if (path === '/metrics') {
      const { contentType, body } = await this.o.metrics.render();
      return sendText(res, 200, body, { 'content-type': contentType });
    }
    const r = this.route(path)!;
    const body = await r.handler(decodePathPart(path.slice(r.prefix.length), path), url);
    if (body instanceof Streamed) return streamJson(res, 200, body.pieces);
    sendJson(res, 200, body);
  }

  private route(path: string) {
    return this.routes.find((r) =>
      r.exact ? path === r.prefix : path.startsWith(r.prefix) && path.length > r.prefix.length,
    );
  }

  /** The served set, or 503 before the first load (nothing is served before it, as for DNS). */
  private ready(what: string): MemRecordSet {
    const rs = this.o.records();
    if (!rs) throw new NotReadyError(`not ready: no state loaded yet (${what}); see /healthz`);
    if ((what === 'enumerate' || what === 'axfr') && !this.o.config.EnumerationOn) {
      throw new ForbiddenError(`/v1/${what} is disabled (EnumerationOn is false in the config)`);
    }
    return rs;
  }

  /** The served set with the ServerSet records laid over it (when DNS answers from such a view):
   *  what the listings show, so they agree with DNS. */
  private served(what: string): ServedView {
    const state = this.ready(what);
    const view = this.o.answers?.();
    // The overlay of this very set; a view over another (mid-swap) is not listed.
    return view instanceof OverlayRecordSet && view.baseSet === state
      ? { state, overlay: view }
      : { state };
  }

  private hosts(host: string): unknown {
    const rs = this.o.answers?.() ?? this.ready('hosts');
    const body = hostsBody(rs, host, this.o.metrics.observeFailOpenAnswer);
    if (body.length) return body;
    if (this.o.config.compat404) return [EMPTY_HOST];
    throw new NotFoundError(`no A or AAAA records for ${host}`);
  }

  private services(service: string): unknown {
    const rs = this.o.answers?.() ?? this.ready('services');
    const body = servicesBody(rs, service, this.o.metrics.observeFailOpenAnswer);
    if (body.length) return body;
    if (this.o.config.compat404) return [EMPTY_SERVICE];
    throw new NotFoundError(`no SRV records (with addressable targets) for ${service}`);
  }
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  return new Server(options);
}
