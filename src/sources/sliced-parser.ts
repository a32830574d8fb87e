// The state parser the service's sources use: stateParser's result, computed in slices (see
// slices.ts) so turning a 50,000-task document into the model (about half a second) does not stop
// DNS answers meanwhile.
import { formatWarning, parseStateSteps, type MesosState } from '../model/mesos-state.js';
import { inSlices, SLICE_MS } from '../slices.js';

export async function stateParserSliced(
  doc: unknown,
  sliceMs = SLICE_MS,
): Promise<{ state: MesosState; warnings: string[] }> {
  const r = await inSlices(parseStateSteps(doc), sliceMs);
  return { state: r.state, warnings: r.warnings.map(formatWarning) };
}
