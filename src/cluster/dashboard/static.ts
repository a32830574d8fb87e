// The dashboard's static files (index.html, dashboard.css, dashboard.js), served as they are from
// src/cluster/dashboard/public — no build step. Read once at start (they are a few kB) and sent
// with a Content-Security-Policy that allows this origin's script, style and fetches only, so
// even a name or message that slipped past the page's escaping could not run as script.
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { reply } from '../../http/floor.js';
import { compiledFile, PACKAGE_ROOT } from '../../package-root.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The public dir: in the compiled output when copied there, else in the sources (compiled code
 *  runs from dist/src/cluster/dashboard, the files stay in src/cluster/dashboard/public). */
export function publicDir(): string {
  const candidates = [
    `${compiledFile('cluster/dashboard/public')}/`,
    `${join(PACKAGE_ROOT, 'src', 'cluster', 'dashboard', 'public')}/`,
  ];
  const found = candidates.find((d) => existsSync(`${d}index.html`));
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return found;
}

export class StaticFiles {
  private readonly files = new Map<string, { type: string; body: Buffer }>();

  constructor(dir: string = publicDir()) {
    for (const name of ['index.html', 'dashboard.css', 'dashboard.js']) {
      const ext = name.slice(name.lastIndexOf('.'));
      this.files.set(name, { type: TYPES[ext]!, body: readFileSync(`${dir}${name}`) });
    }
  }

  /** Sends `name`; false when there is no such file. */
  send(res: ServerResponse, name: string): boolean {
    const f = this.files.get(name);
    if (!f) return false;
    reply(res, 200, f.body, {
      'content-type': f.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': CSP,
    });
    return true;
  }
}
