// Server-side checks a ZooKeeper server makes on what a client sends, before touching the tree:
// path syntax (PathUtils.validatePath → BadArguments) and ACL entries (→ InvalidACL). Pure.
import { isIP } from 'node:net';
import type { WireAcl } from './records.js';

/** ZooKeeper's path rules. A sequential create may end in "/" (the counter becomes the name). */
export function validPath(path: string, sequential = false): boolean {
  const p = sequential ? `${path}1` : path;
  if (p.length === 0 || p[0] !== '/') return false;
  if (p.length === 1) return true;
  if (p.endsWith('/')) return false;
  for (const seg of p.slice(1).split('/')) {
    if (seg.length === 0 || seg === '.' || seg === '..') return false;
  }
  for (const ch of p) {
    const c = ch.codePointAt(0)!;
    if (c === 0 || (c > 0 && c < 0x20) || (c >= 0x7f && c <= 0x9f)) return false;
    if ((c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) return false;
  }
  return true;
}

function validIpAcl(id: string): boolean {
  const [addr, bits, extra] = id.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** True when every entry names a scheme this server knows, with a well-formed id. An empty list
 *  and `auth` entries without credentials are left to the store, which refuses them. */
export function validAclEntries(acl: readonly WireAcl[]): boolean {
  return acl.every((a) => {
    switch (a.scheme) {
      case 'world':
        return a.id === 'anyone';
      case 'auth':
        return true;
      case 'digest':
        return a.id.indexOf(':') > 0;
      case 'ip':
        return validIpAcl(a.id);
      default:
        return false;
    }
  });
}
