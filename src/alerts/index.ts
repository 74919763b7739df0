// Alerts: what the detector raised, stored in ClickHouse one revision per row. The triage lifecycle
// (acknowledge, resolve) builds on this.
export { writeAlerts, listAlerts, alertsOfDays, getAlert, type AlertFilter } from './store';
export { SEVERITIES, severityRank, type AlertRecord, type AlertFinding, type Evidence, type Severity } from './types';
