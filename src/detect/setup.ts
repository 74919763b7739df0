// Builds an engine from its inputs and the daily history (ClickHouse). The inputs are read by
// loadEngineInputs in src/triage, whose suppressions and adjustments are triage's to convert.
import type { DetectionConfig } from '../config';
import type { ClickHouse } from '../store';
import type { Adjustments } from './adjustments';
import type { Allowlist } from './allowlist';
import type { Catalog } from './catalog';
import { createEngine, type Engine } from './engine';
import { loadDayHistory } from './history';
import { clickhouseHistorySource } from './history-source';
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

export function engineFor(ch: ClickHouse, detection: DetectionConfig, inputs: EngineInputs, now?: () => number): Engine {
  const source = clickhouseHistorySource(ch);
  return createEngine({ detection, ...inputs, now, history: (day) => loadDayHistory(source, day, detection, inputs.people, inputs.catalog) });
}
