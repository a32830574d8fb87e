// Parses Mesos's ZooKeeper URL (`zk://[user:password@]h1:2181,h2:2181/mesos`) into a connect
// string, the path masters register under, and optional digest credentials.
import { ConfigError } from '../errors.js';

export interface ZkUrl {
  /** `h1:2181,h2:2181` (no chroot: the path is kept separate). */
  connectString: string;
  /** Absolute path of the masters' group, e.g. `/mesos`. */
  path: string;
  /** Digest credentials `user:password` when the URL carries them. */
  digest?: string;
}

export function parseZkUrl(url: string, key = 'zk'): ZkUrl {
  const m = /^zk:\/\/([^/]*)(\/.*)?$/i.exec(url.trim());
  if (!m)
    throw new ConfigError(
      `${key}: "${redactZkUrl(url)}" is not a ZooKeeper URL (expected zk://host:2181[,host:2181]/mesos)`,
    );
  let hosts = m[1]!;
  let digest: string | undefined;
  const at = hosts.lastIndexOf('@');
  if (at >= 0) {
    digest = hosts.slice(0, at);
    hosts = hosts.slice(at + 1);
    if (!digest.includes(':'))
      throw new ConfigError(`${key}: credentials in the URL must be user:password`);
  }
  const list = hosts.split(',').map((h) => h.trim());
  if (
    list.length === 0 ||
    list.some((h) => !/^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(:\d{1,5})?$/.test(h))
  ) {
    throw new ConfigError(
      `${key}: "${redactZkUrl(url)}" has a bad host list (expected host:port[,host:port])`,
    );
  }
  const connectString = list
    .map((h) => (/:\d+$/.test(h) && !h.endsWith(']') ? h : `${h}:2181`))
    .join(',');
  let path = (m[2] ?? '/mesos').replace(/\/+$/, '');
  if (path === '') path = '/mesos';
  return digest ? { connectString, path, digest } : { connectString, path };
}

/** The URL with its credentials masked, for logs and /healthz. */
export function redactZkUrl(url: string): string {
  return url.replace(/^(zk:\/\/)[^@/]*@/i, '$1***@');
}
