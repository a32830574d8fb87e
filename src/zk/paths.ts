// ZooKeeper path rules shared by both coordination backends: validation and normalisation.
import { InputError } from '../errors.js';

/** Collapses duplicate slashes and drops a trailing slash; the path must be absolute. */
export function normalizePath(path: string): string {
  if (!path.startsWith('/')) {
    throw new InputError(`ZooKeeper path "${path}" must be absolute (start with "/")`);
  }
  const parts = path.split('/').filter((p) => p.length > 0);
  for (const p of parts) {
    if (p === '.' || p === '..') {
      throw new InputError(`ZooKeeper path "${path}" must not contain "." or ".." segments`);
    }
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(p)) {
      throw new InputError(`ZooKeeper path "${path}" contains a control character`);
    }
  }
  return '/' + parts.join('/');
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Every ancestor of `path` from the top, excluding "/" and the path itself. */
export function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push('/' + parts.slice(0, i).join('/'));
  return out;
}
