// ACL and auth specs: parsing the CLI/config forms and computing digest ids as ZooKeeper does
// (`user:base64(sha1("user:password"))`).
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { Perms, type Acl, type AuthInfo } from './types.js';

export const OPEN_ACL_UNSAFE: Acl[] = [{ scheme: 'world', id: 'anyone', perms: Perms.ALL }];

export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

const PERM_LETTERS: Record<string, number> = {
  r: Perms.READ,
  w: Perms.WRITE,
  c: Perms.CREATE,
  d: Perms.DELETE,
  a: Perms.ADMIN,
};

export function parsePerms(text: string, where: string): number {
  let perms = 0;
  for (const ch of text.toLowerCase()) {
    const bit = PERM_LETTERS[ch];
    if (bit === undefined) {
      throw new InputError(
        `${where}: permission letter "${ch}" is not one of r (read), w (write), c (create), d (delete), a (admin)`,
      );
    }
    perms |= bit;
  }
  if (perms === 0) throw new InputError(`${where}: empty permission set; use letters from "rwcda"`);
  return perms;
}

/** A credential spec as it may appear in a message, so a typo never prints a password to a
 *  terminal or log: `digest:USER:PASS[:PERMS]` keeps USER (and an ACL's PERMS); an --auth value
 *  without the `digest:` scheme (`user:pass`) keeps only its first field. */
function maskSpec(spec: string, acl: boolean): string {
  const p = spec.split(':');
  if (p[0] === 'digest') {
    if (p.length < 3) return spec;
    const perms = acl && p.length === 4 ? `:${p[3]}` : '';
    return `digest:${p[1]}:******${perms}`;
  }
  return acl || p.length < 2 ? spec : `${p[0]}:******`;
}

/** `digest:USER:PASSWORD` → session credentials. */
export function parseAuth(spec: string): AuthInfo {
  const m = /^digest:([^:]+):(.+)$/.exec(spec);
  if (!m) {
    throw new InputError(
      `--auth "${maskSpec(spec, false)}": expected digest:USER:PASSWORD (the only scheme ZooKeeper clients add this way)`,
    );
  }
  return { scheme: 'digest', auth: `${m[1]}:${m[2]}` };
}

/**
 * One ACL entry. Forms (PERMS are letters from "rwcda", default all):
 *   world:anyone[:PERMS]      everybody
 *   digest:USER:PASSWORD[:PERMS]  a digest user; the password is hashed here, as Aurora's executor does
 *   ip:ADDRESS[/BITS][:PERMS]  clients from an address or network
 *   auth[:PERMS]               whoever the creating session authenticated as
 */
export function parseAcl(spec: string): Acl {
  const where = `--acl "${maskSpec(spec, true)}"`;
  const parts = spec.split(':');
  const scheme = parts[0];
  const perms = (p: string | undefined) => (p === undefined ? Perms.ALL : parsePerms(p, where));
  switch (scheme) {
    case 'world':
      if (parts[1] !== 'anyone' || parts.length > 3) break;
      return { scheme: 'world', id: 'anyone', perms: perms(parts[2]) };
    case 'digest':
      if (parts.length < 3 || parts.length > 4 || !parts[1] || !parts[2]) break;
      return { scheme: 'digest', id: digestId(parts[1], parts[2]), perms: perms(parts[3]) };
    case 'ip': {
      if (parts.length < 2 || parts.length > 3 || !/^[0-9.]+(\/\d{1,2})?$/.test(parts[1] ?? ''))
        break;
      return { scheme: 'ip', id: parts[1]!, perms: perms(parts[2]) };
    }
    case 'auth':
      if (parts.length > 2) break;
      return { scheme: 'auth', id: '', perms: perms(parts[1]) };
  }
  throw new InputError(
    `${where}: expected world:anyone[:PERMS], digest:USER:PASSWORD[:PERMS], ip:ADDRESS[/BITS][:PERMS] or auth[:PERMS] (PERMS letters from "rwcda")`,
  );
}
