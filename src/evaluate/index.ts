// Detection-quality evaluation: the Detector interface, the reference detectors the product's engine
// has to beat (static-1gb, mean-3sd), scoring against the simulator's labels, and the harness behind
// `insider eval` (simulate -> Kafka -> ingester -> ClickHouse -> detectors -> scores).
export { SEVERITIES, severityRank, type Detector, type DetectContext, type EvalAlert, type Severity } from './detector';
export { registeredDetectors } from './detectors';
export { staticThresholdDetector, staticThresholdAlerts, staticSeverity, ONE_GB } from './static-threshold';
export { meanSdDetector, meanSdAlerts, judgeDay, trailingHistory, meanSdSeverity, MEAN_3SD, type MeanSdOptions, type Judgement } from './mean-sd';
export { dailyVolumes, firstSeenDays, dayNumber, isoDay, daysOf, MS_PER_DAY, type UserDay } from './daily-volume';
export {
  scoreDetector,
  scenariosMatching,
  userDayOf,
  type LabelledScenario,
  type Population,
  type ScenarioResult,
  type DetectorMetrics,
  type DetectorScore,
} from './score';
export { scenarioTable, overallTable, falseAlertTable, formatDelay, formatRatio, renderTable } from './report';
export { evalAlertOf } from './engine-detector';
export { runEvaluation, DEFAULT_EVAL_END, type EvaluationOptions, type EvaluationDeps, type EvaluationResult, type EvaluationRun, type AlertRecord } from './harness';
export { scoreFloors, seedTable, worstSeedTables, isBulk, FLOORS, type FloorResult, type SeedResult } from './floors';
export { scoreCases, caseTable, worstSeedCaseTable, falseCasesFrom, type CaseMetrics, type CaseOptions } from './cases';
export { evaluateOffline, evaluateOfflineMany, readEvents, type OfflineRun } from './offline';
export { memoryHistorySource, type MemoryHistorySource } from './memory-history';
export { loadDirectory, replayFile, startIngest, type IngestOutcome, type RunningIngest } from './load';
export { createWorkspace, type Workspace } from './workspace';
