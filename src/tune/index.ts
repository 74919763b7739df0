// Tuning: replays of stored history under candidate alert floors (runs, stored in tuning_runs), and the
// floor an admin chose from one (detection_settings, audited). Used by `insider tune`, `insider detect`
// and the API's Tuning routes.
export { DEFAULT_FLOORS, summarise, withinBudget, type CandidateAlert, type CandidateSummary } from './candidates';
export { type ReplayProgress } from './replay';
export { listTuningRuns, MAX_TUNING_DAYS, runTuning, storeTuningRun, tuningPeriod, tuningRequestRefusal, tuningRunOf, type TuningCandidate, type TuningRequest, type TuningResult, type TuningRun } from './run';
export { ALERT_FLOOR_KEY, alertFloorRefusal, applyAlertFloor, effectiveDetection, loadTuning, type ChosenSetting, type Tuning } from './settings';
export { createTuningJobs, type TuningJob, type TuningJobs } from './jobs';
export { readScenarioLabels, scenarioCatches, scenariosIn, type ScenarioCatches } from './scenarios';
