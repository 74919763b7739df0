// Builds an engine from its inputs and the daily history (ClickHouse). The inputs are read by
// loadEngineInputs in src/triage, whose suppressions and adjustments are triage's to convert.
import type { DetectionConfig } from '../config';
import type { ClickHouse } from '../store';
import type { Adjustments } from './adjustments';
import type { Allowlist } from './allowlist';
import type { Catalog } from './catalog';
import { createEngine, type Engine } from './engine';
import { loadDayHistory } from './history';
import { createHistoryCarry, type CarrySpill } from './history-carry';
import { clickhouseHistorySource } from './history-source';
import { readAheadHistorySource } from './history-read-ahead';
import type { Person } from './people';

export interface EngineInputs {
  people: Map<string, Person>;
  catalog: Catalog;
  allowlist: Allowlist;
  /** The analysts' expectation adjustments (not revoked). */
  adjustments: Adjustments;
  /** Directory version used (null: no directory loaded, everyone is judged by their own history). */
  directoryVersion: number | null;
  /** The key of alert ids (api.pseudonymKey), when configured. */
  alertIdKey?: string;
}

/**
 * `settledUntil`: a backfill's last day whose events are all stored (no more expected): the rows of days
 * up to it are read ahead in blocks (history-read-ahead.ts). Live detection passes none, and `live`
 * (EngineOptions: the days kept wait for the clock), and `spill`: where the carry waits between two days.
 */
export function engineFor(ch: ClickHouse, detection: DetectionConfig, inputs: EngineInputs, now?: () => number, opts: { settledUntil?: number; live?: boolean; spill?: CarrySpill } = {}): Engine {
  const source = opts.settledUntil === undefined ? clickhouseHistorySource(ch) : readAheadHistorySource(clickhouseHistorySource(ch), opts.settledUntil);
  // Each day's history takes over from the one before it what rests on the same rows (history-carry.ts):
  // a backfill builds one a day in a row, a live detector one at each day change.
  const carry = createHistoryCarry(opts.spill);
  return createEngine({ detection, ...inputs, now, live: opts.live, history: (day) => loadDayHistory(source, day, detection, inputs.people, inputs.catalog, carry) });
}
