// The state sources are independent of the model: their tests parse state documents with a parser
// that accepts any object with a `frameworks` array (and reports the given warnings).
import { StateError } from '../../src/errors.js';

export type Doc = Record<string, unknown>;

export function parseDoc(warnings: string[] = []) {
  return (doc: unknown): { state: Doc; warnings: string[] } => {
    const d = doc as Doc;
    if (!Array.isArray(d.frameworks)) throw new StateError('no frameworks array');
    return { state: d, warnings: [...warnings] };
  };
}
