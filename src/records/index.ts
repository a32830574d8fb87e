// Public API of records/: Mesos state → Mesos-DNS-compatible record set (full build and
// incremental updates), and sorted views of it. See docs/records.md.
import type { MesosState } from '../model/mesos-state.js';
import type { RecordsConfig } from './config.js';
import { MemRecordSet } from './mem-record-set.js';

export { MemRecordSet } from './mem-record-set.js';
export { EarlySet } from './early-set.js';
export { EarlyView } from './early-view.js';
export {
  DEFAULT_RECORDS_CONFIG,
  makeRecordsConfig,
  zoneInfo,
  type IpSource,
  type RecordsConfig,
} from './config.js';
export {
  axfrRecords,
  enumerate,
  enumerableRecords,
  forEachRecord,
  forEachValue,
  type ServedView,
  recordLines,
  recordList,
  sortedRecords,
  writeZone,
  writeZoneLines,
  zoneText,
  type EnumerableFramework,
  type EnumerableRecord,
  type EnumerableTask,
  type RecordLine,
} from './listing.js';
export { listRecords } from './one-shot.js';
export { OverlayRecordSet } from './overlay.js';
export type { SortedRecords } from './collector.js';
export { domainFrag, fitLabel, legacyLabels, rfc1123, rfc952, type LabelFunc } from './labels.js';
export { agentTail, taskHash } from './hash.js';
export { reverseName } from './reverse.js';
export type { TaskSpec } from './task-records.js';
export { specId } from './task-records.js';
export type { NameRecords, PartialRecordSet, RecordSet, SrvData, ZoneInfo } from './types.js';
export {
  A,
  AAAA,
  PTR,
  SRV,
  addCounts,
  countsOf,
  KIND_NAMES,
  RECORD_TYPES,
  type Kind,
  type RecordCounts,
  type RecordKey,
  type RecordTypeName,
} from './record-types.js';

/** Builds the complete record set of a state (pure: same state and config, same records).
 *  `compact` (default true) trims record arrays for a long-lived set; a one-shot listing skips it. */
export function generateRecords(
  state: MesosState,
  config: RecordsConfig,
  options: { compact?: boolean } = {},
): MemRecordSet {
  const rs = new MemRecordSet(config);
  rs.loadState(state);
  if (options.compact !== false) rs.compact();
  return rs;
}
