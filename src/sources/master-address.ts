// Master addresses as they appear in config (`10.0.0.1:5050`, `https://m1:5050`), in the state's
// `leader` field (`master@10.0.0.1:5050`) and in ZooKeeper MasterInfo, normalised to one form so
// "is the answering master the leader?" is a string comparison.
import { ConfigError } from '../errors.js';

export interface MasterAddress {
  /** Host name or IP, IPv6 without brackets. */
  host: string;
  port: number;
  /** Explicit scheme from the config entry, else undefined (the source picks by MesosHTTPSOn). */
  scheme?: 'http' | 'https';
}

const DEFAULT_PORT = 5050;

/** `host:port` for display and comparison; IPv6 in brackets. */
export function hostPort(a: MasterAddress): string {
  const h = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${h}:${a.port}`;
}

/** Parses `host`, `host:port`, `[v6]:port`, optionally prefixed by `http://` or `https://`. */
export function parseMasterAddress(text: string, where = 'masters'): MasterAddress {
  let rest = text.trim();
  let scheme: MasterAddress['scheme'];
  const m = /^(https?):\/\//i.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase() as 'http' | 'https';
    rest = rest.slice(m[0].length);
  }
  rest = rest.replace(/\/+$/, '');
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0)
      throw new ConfigError(`${where}: "${text}" has an unclosed '[' (expected [v6addr]:port)`);
    host = rest.slice(1, end);
    const after = rest.slice(end + 1);
    if (after.startsWith(':')) portText = after.slice(1);
    else if (after !== '') throw new ConfigError(`${where}: "${text}" is not host:port`);
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) {
      // a bare IPv6 address without a port
      host = rest;
    } else {
      host = parts[0]!;
      portText = parts[1];
    }
  }
  if (!host || /[\s/@]/.test(host)) throw new ConfigError(`${where}: "${text}" is not host:port`);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new ConfigError(`${where}: "${text}" has an invalid port (expected 1-65535)`);
    }
  }
  return scheme ? { host, port, scheme } : { host, port };
}

/** The address in a libprocess pid (`master@10.0.0.1:5050`), or undefined when unparsable. */
export function parsePid(pid: unknown): MasterAddress | undefined {
  if (typeof pid !== 'string') return undefined;
  const at = pid.lastIndexOf('@');
  if (at < 0) return undefined;
  try {
    const a = parseMasterAddress(pid.slice(at + 1), 'pid');
    return { host: a.host, port: a.port };
  } catch {
    return undefined;
  }
}

/** The URL of the master's state endpoint. */
export function stateUrl(a: MasterAddress, https: boolean): string {
  const scheme = a.scheme ?? (https ? 'https' : 'http');
  return `${scheme}://${hostPort(a)}/master/state`;
}
