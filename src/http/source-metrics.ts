// The sources' own metrics, read from a SourceStats at scrape time: the ZooKeeper sessions Beacon
// rides on (leader detection, ServerSet watching) and the v1 event stream. Prometheus naming:
// counters end in _total, durations in _seconds, and no label carries a name or an address (one
// series per state at most), so the series count never grows with the cluster.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SourceStats } from '../sources/source-stats.js';

const SESSION_STATES = ['connecting', 'connected', 'disconnected', 'closed'] as const;

export function registerSourceMetrics(registry: Registry, stats: SourceStats): void {
  const registers = [registry];
  new Gauge({
    name: 'beacon_zk_session_state',
    help: 'ZooKeeper sessions (leader detection, ServerSets) in each state: connecting, connected, disconnected, closed',
    labelNames: ['state'],
    registers,
    collect() {
      const n = stats.zkStates();
      for (const s of SESSION_STATES) this.set({ state: s }, n[s]);
    },
  });
  new Counter({
    name: 'beacon_zk_session_reconnects_total',
    help: 'ZooKeeper connections re-established after a loss (same session, or a new one after expiry)',
    registers,
    collect() {
      this.reset();
      this.inc(stats.zkReconnects);
    },
  });
  new Counter({
    name: 'beacon_zk_session_expiries_total',
    help: 'ZooKeeper sessions expired by the ensemble (ephemerals and watches lost; a new session is opened)',
    registers,
    collect() {
      this.reset();
      this.inc(stats.zkExpiries);
    },
  });
  new Gauge({
    name: 'beacon_stream_connected',
    help: '1 while subscribed to a master\'s v1 event stream ("stateSource": "stream"), else 0',
    registers,
    collect() {
      this.set(stats.streamConnected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'beacon_stream_last_event_age_seconds',
    help: 'Seconds since the last v1 event stream record (SUBSCRIBED, HEARTBEAT or any event); -1 before the first',
    registers,
    collect() {
      const at = stats.streamLastEventAt;
      this.set(at === undefined ? -1 : Math.max(0, (Date.now() - at) / 1000));
    },
  });
  new Counter({
    name: 'beacon_stream_resubscribes_total',
    help: 'SUBSCRIBE attempts to the v1 event stream after the first (after a lost stream or a failed attempt)',
    registers,
    collect() {
      this.reset();
      this.inc(stats.streamResubscribes);
    },
  });
}
