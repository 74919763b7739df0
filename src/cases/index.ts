// Cases: an employee's alerts grouped by episode (episodes.ts) with an accumulated, decaying risk
// (risk.ts). Pure; the evaluation counts them (src/evaluate/cases.ts).
export { groupIntoCases, continuesCase, type Case, type DaySpan, type EpisodeOptions, type Resolution } from './episodes';
export { riskAt, riskSteps, peakRisk, riskSeverity, type Contribution, type RiskOptions } from './risk';
export { casesOf, caseOptions, timelineLines, alertSpan, afterResolution, type CaseAlert, type CaseSummary, type TimelineStep, type TimelineOptions } from './timeline';
