// Retention with legal hold: whole partitions dropped per table class on a schedule; held employees' and
// alerts' data kept (copied aside, or its partition kept); every run recorded in the retention_log chain
// so that the tamper-evident record still verifies after it (docs/retention.md).
export { RETAINED_TABLES, RETENTION_CLASSES, partitionEnd, type RetainedTable, type RetentionClass } from './tables';
export { runRetention, planRetention, type RetentionOptions, type RetentionResult, type RetentionSettings, type PlannedPartition } from './run';
export { recordRetention, type RetentionRow, type RetentionAction } from './record';
export { listHolds, placeHold, releaseHold, heldSubjects, HOLD_ID, type LegalHold, type HoldKind, type HeldSubjects } from './holds';
