// Detection settings chosen by admins over the configuration file's, from `insider tune` or the
// dashboard's Tuning page: stored as rows of `detection_settings` (the latest row of a key wins) and
// written only through applyAlertFloor, which audits the change (tuning.apply) with who, why and the
// tuning run it was chosen from. Today one key: scoring.alertFloor. Read by `insider tune` (its current
// floor), `insider detect` (at start, and by the live detector every SETTINGS_REFRESH_MS: src/live-detect/live.ts)
// and the API's Tuning routes; written by `insider tune --apply` and POST /api/tuning/floor.
import type { DetectionConfig } from '../config';
import { TriageError } from '../errors';
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';
import { audit, entryOf, type Actor } from '../triage';

export const ALERT_FLOOR_KEY = 'scoring.alertFloor';

export interface ChosenSetting {
  key: string;
  value: number;
  at: number;
  actor: string;
  reason: string;
  runId: string;
}

export interface Tuning {
  /** The alert floor chosen by an admin, or null: the configuration file's holds. */
  alertFloor: ChosenSetting | null;
}

export async function loadTuning(ch: ClickHouse): Promise<Tuning> {
  const rows = await ch.query<{ setting_key: string; value: string; at: string; at_ms: number; actor: string; reason: string; run_id: string }>(sql`
    SELECT setting_key, value, toString(at) AS at, at_ms, actor, reason, run_id
    FROM detection_settings
    WHERE setting_key = ${ALERT_FLOOR_KEY}
    ORDER BY at DESC, at_ms DESC
    LIMIT 1`);
  const r = rows[0];
  if (!r) return { alertFloor: null };
  return { alertFloor: { key: r.setting_key, value: Number(JSON.parse(r.value)), at: fromDateTime(r.at) + Number(r.at_ms), actor: r.actor, reason: r.reason, runId: r.run_id } };
}

/** The configuration with the chosen settings applied. */
export function effectiveDetection(detection: DetectionConfig, tuning: Tuning): DetectionConfig {
  if (!tuning.alertFloor) return detection;
  return { ...detection, scoring: { ...detection.scoring, alertFloor: tuning.alertFloor.value } };
}

/** Why an alert floor cannot be set as asked, or null. */
export function alertFloorRefusal(value: number, reason: string, detection: DetectionConfig): string | null {
  if (!Number.isFinite(value) || !(value > 0) || value > 1000) return 'the alert floor is a rate per 1,000 user-days: a number above 0 and at most 1,000';
  if (value < detection.scoring.critical) return `an alert floor rarer than the critical floor (${detection.scoring.critical} per 1,000 user-days) would raise nothing at all`;
  if (reason.trim() === '') return 'a reason is required';
  return null;
}

/** Sets the alert floor (audited: tuning.apply). */
export async function applyAlertFloor(ch: ClickHouse, actor: Actor, input: { value: number; reason: string; runId?: string; detection: DetectionConfig; now: number }): Promise<ChosenSetting> {
  const bad = alertFloorRefusal(input.value, input.reason, input.detection);
  if (bad) throw new TriageError('TRIAGE_INVALID', bad);
  if (input.runId) {
    const known = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM tuning_runs WHERE run_id = ${input.runId}`);
    if (Number(known[0]?.n ?? 0) === 0) throw new TriageError('TRIAGE_NOT_FOUND', `no tuning run ${input.runId}`);
  }
  const before = effectiveDetection(input.detection, await loadTuning(ch)).scoring.alertFloor;
  const chosen: ChosenSetting = { key: ALERT_FLOOR_KEY, value: input.value, at: input.now, actor: actor.name, reason: input.reason.trim(), runId: input.runId ?? '' };
  await ch.insert('detection_settings', [{ setting_key: chosen.key, value: JSON.stringify(chosen.value), at: toDateTime(chosen.at), at_ms: chosen.at % 1000, actor: chosen.actor, reason: chosen.reason, run_id: chosen.runId }]);
  await audit(ch, entryOf(actor, input.now, 'tuning.apply', ALERT_FLOOR_KEY, { from: before, to: chosen.value, reason: chosen.reason, runId: chosen.runId }));
  return chosen;
}
