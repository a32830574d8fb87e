// What the sources report for /metrics: the ZooKeeper sessions they ride on (state, reconnects,
// expiries — the figures Aurora operators asked for in AURORA-1838) and the v1 event stream
// (connected, last event, resubscribes). One instance per service, shared by every generation of
// sources a reload builds, so the counters never go back when a reload replaces a source.
// Plain integers read at scrape time: nothing here costs anything on the query path.
import type { Coordination, SessionState } from '../zk/types.js';

interface Watched {
  refs: number;
  /** Connected at least once while watched: the next `connected` is a reconnect. */
  seen: boolean;
  off: () => void;
}

export class SourceStats {
  /** Connections re-established after a loss (same session, or a new one after expiry). */
  zkReconnects = 0;
  /** Sessions the ensemble expired (their ephemerals and watches lost; a new session follows). */
  zkExpiries = 0;
  /** SUBSCRIBE attempts after the first: after a lost stream or a failed attempt. */
  streamResubscribes = 0;
  /** When the last stream record (SUBSCRIBED, HEARTBEAT or any event) arrived, ms since the epoch. */
  streamLastEventAt: number | undefined;
  private streamsLive = 0;
  private readonly sessions = new Map<Coordination, Watched>();

  /** Counts a session's reconnects and expiries until `unwatchSession` (reference-counted: a
   *  shared session watched by two sources counts once). */
  watchSession(c: Coordination): void {
    const w = this.sessions.get(c);
    if (w) {
      w.refs++;
      return;
    }
    const entry: Watched = { refs: 1, seen: c.state === 'connected', off: () => undefined };
    const connected = () => {
      if (entry.seen) this.zkReconnects++;
      entry.seen = true;
    };
    const expired = () => this.zkExpiries++;
    c.on('connected', connected);
    c.on('expired', expired);
    entry.off = () => {
      c.off('connected', connected);
      c.off('expired', expired);
    };
    this.sessions.set(c, entry);
  }

  unwatchSession(c: Coordination): void {
    const w = this.sessions.get(c);
    if (!w || --w.refs > 0) return;
    w.off();
    this.sessions.delete(c);
  }

  /** How many watched sessions are in each state now. */
  zkStates(): Record<SessionState, number> {
    const out: Record<SessionState, number> = {
      connecting: 0,
      connected: 0,
      disconnected: 0,
      closed: 0,
    };
    for (const c of this.sessions.keys()) out[c.state]++;
    return out;
  }

  /** A stream subscription became live (`true`) or ended (`false`). */
  streamLive(live: boolean): void {
    this.streamsLive = Math.max(0, this.streamsLive + (live ? 1 : -1));
  }

  /** True while at least one event stream is subscribed (two overlap briefly during a reload). */
  get streamConnected(): boolean {
    return this.streamsLive > 0;
  }
}
