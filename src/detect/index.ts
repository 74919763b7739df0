// The detection engine: baselines from the rollups, per-employee running totals in event time, one
// detector per file in detectors/, score and severity, explanation and evidence; the backfill driver
// (ClickHouse). The live driver is src/live-detect/; the engine's inputs are read by src/triage/
// (loadEngineInputs). docs/detection.md explains the model.
export { EARLY_ENOUGH_MS } from './day-histories';
export { createEngine, type Engine, type EngineOptions, type EngineStats } from './engine';
export { engineFor, type EngineInputs } from './setup';
export { backfill, primeBefore, inEventOrder, storedEvents, storedEventsEverywhere, storedEventsWhere, type BackfillProgress } from './backfill';
export { fromAccessEvent, type DetectEvent } from './event';
export { loadDayHistory, sharedHistory, type DayHistory } from './history';
export { createHistoryCarry, type CarrySpill, type HistoryCarry } from './history-carry';
export { clickhouseHistorySource, type HistorySource, type UserDayValue, type UserTables } from './history-source';
export { allowlistFrom, loadAllowlist, type Allowlist, type AllowlistEntry } from './allowlist';
export { catalogFrom, loadCatalog, type Catalog, type Sensitivity } from './catalog';
export { peopleFrom, peerGroupKey, type Person } from './people';
export { ownBand, type BaselineParams } from './baselines';
export { floorScore, floorsOf, severityOf } from './scoring';
export {
  adjustmentsFrom,
  boundedFactor,
  daysOf,
  MAX_DAYS,
  MAX_FACTOR,
  MIN_FACTOR,
  type AdjustmentKind,
  type AdjustmentScope,
  type Adjustments,
  type ExpectationAdjustment,
} from './adjustments';
