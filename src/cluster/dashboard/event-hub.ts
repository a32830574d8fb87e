// The dashboard's live feed: a bounded history of events and the Server-Sent Events clients
// (`GET /dashboard/events`) they are pushed to. A new client gets the history first, so a page
// opened after a change still shows it; `metrics` samples are pushed live but not kept here (the
// metrics sampler keeps its own window).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One entry of the feed. `kind` is the SSE event name the page listens for. */
export interface FeedEvent {
  kind: 'task' | 'serverset' | 'dns' | 'metrics';
  /** ms since the epoch. */
  at: number;
  /** Kind-specific payload (see the producers: task-feed, members, dns-feed, metrics). */
  data: Record<string, unknown>;
}

export interface EventHubOptions {
  /** Events kept for late joiners. Default 200. */
  historyLimit?: number;
  /** Comment line sent to idle clients so proxies and browsers keep the stream. Default 15 s. */
  keepAliveMs?: number;
}

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly history: (FeedEvent & { id: number })[] = [];
  private readonly limit: number;
  private readonly keepAlive: NodeJS.Timeout;
  private nextId = 1;

  constructor(o: EventHubOptions = {}) {
    this.limit = o.historyLimit ?? 200;
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n');
    }, o.keepAliveMs ?? 15000);
    this.keepAlive.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Kept events, oldest first. */
  recent(): FeedEvent[] {
    return this.history.map(({ id: _id, ...e }) => e);
  }

  publish(e: FeedEvent): void {
    const id = this.nextId++;
    if (e.kind !== 'metrics') {
      this.history.push({ ...e, id });
      if (this.history.length > this.limit)
        this.history.splice(0, this.history.length - this.limit);
    }
    const frame = format(id, e);
    for (const c of this.clients) c.write(frame);
  }

  /** Serves one SSE client until it goes away. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    // HEAD: the headers a stream would start with, and no stream.
    if (req.method === 'HEAD') return void res.end();
    // Reconnect quickly after a devcluster restart; replay what the client missed.
    res.write('retry: 1000\n\n');
    // An id from before a devcluster restart (ids start again at 1) means: replay everything.
    const asked = Number(req.headers['last-event-id'] ?? 0) || 0;
    const last = asked < this.nextId ? asked : 0;
    for (const e of this.history) if (e.id > last) res.write(format(e.id, e));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    clearInterval(this.keepAlive);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

function format(id: number, e: FeedEvent): string {
  return `id: ${id}\nevent: ${e.kind}\ndata: ${JSON.stringify({ at: e.at, ...e.data })}\n\n`;
}
