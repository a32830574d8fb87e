// Helpers for the golden record tests: where the hand-written state documents live, and how a
// fixture becomes a record set (its NAME.config.json through the real config parser).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig, recordsConfig } from '../../src/config/mesos-dns.js';
import { type StateParseResult, parseState } from '../../src/model/mesos-state.js';
import { type MemRecordSet, type RecordsConfig, generateRecords } from '../../src/records/index.js';

/** The repository root (tests run from dist/test/…, fixtures stay in test/fixtures). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const STATE_DIR = `${ROOT}test/fixtures/state/`;

export const FIXTURES = [
  'aurora-discovery',
  'aurora-plain',
  'marathon',
  'ipv6',
  'sanitize',
  'sanitize-rfc952',
  'bad-items',
  'v1-get-state',
] as const;

export function loadFixture(name: string): {
  parsed: StateParseResult;
  cfg: RecordsConfig;
  rs: MemRecordSet;
} {
  const parsed = parseState(JSON.parse(readFileSync(`${STATE_DIR}${name}.json`, 'utf8')));
  const cfgPath = `${STATE_DIR}${name}.config.json`;
  const cfgObj: unknown = existsSync(cfgPath) ? JSON.parse(readFileSync(cfgPath, 'utf8')) : {};
  const { config } = parseConfig(cfgObj, cfgPath);
  const cfg = recordsConfig(config);
  return { parsed, cfg, rs: generateRecords(parsed.state, cfg) };
}
