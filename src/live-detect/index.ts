// The live detector: its own Kafka consumer group judges access events as they arrive, with the
// analysts' suppressions and adjustments (src/triage) and the alert floor admins chose (src/tune) re-read
// while it runs. Above detect, triage and tune, so that none of them imports another the wrong way round.
export { startLiveDetector, SETTINGS_REFRESH_MS, type LiveDetector, type LiveDetectorDeps, type LiveStats } from './live';
export { detectMetrics, type DetectMetrics } from './metrics';
export { liveDetectorChecks, liveDetectorMembers, type LiveDetectorsFound } from './live-members';
