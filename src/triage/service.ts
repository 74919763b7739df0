// What analysts can do, as the HTTP API and the CLI both do it: read alerts (with their triage state,
// employees shown as pseudonyms), act on them, manage suppressions, reveal a pseudonym (users and tokens:
// accounts.ts). Every action and every view of an alert's evidence is written to the audit trail with
// who, when and from where. Lists carry summaries only (AlertSummary: what a page carries, no
// explanation, findings or evidence); the evidence is reached one alert at a time, audited.
//
// The service is split by job, each part beside this file: service-deps.ts (what the parts share: deps,
// caches, directory, employee ids, the audit call), alert-reads.ts (queue and one alert), volume-views.ts
// (charts and the employee page), alert-actions.ts (acting on an alert), case-views.ts (cases: alerts grouped
// by employee and episode, read and acted on through their alerts), standing-rules.ts (suppressions
// and adjustments by hand). This file is the service's one entry: what it exports is all callers use.
import { TriageError } from '../errors';
import type { Actor } from './audit';
import { auditAs, resolveUser, type TriageDeps } from './service-deps';

export { directoryOf, type TriageDeps } from './service-deps';
export { EVIDENCE_FIELDS, queryAlerts, showAlert, summariesOf, summaryOf, type AlertPage, type AlertQuery, type AlertSummary, type AlertView } from './alert-reads';
export { alertSeries, EMPLOYEE_ALERTS, employeeView, type AlertSeries, type EmployeeView, type VolumeSeries } from './volume-views';
export { actOnAlert, type ActRequest, type AdjustRequest } from './alert-actions';
export { actOnCase, listCases, showCase, CASE_REACH_DAYS, type CaseActionRequest, type CaseActionResult, type CaseQuery, type CaseView } from './case-views';
export { addSuppression, adjustmentsView, revokeAdjustmentById, revokeSuppressionById, suppressionsView, type SuppressionView } from './standing-rules';

/** The employee id behind a pseudonym. Audited, whoever asks and whatever the answer. */
export async function revealPseudonym(deps: TriageDeps, actor: Actor, pseudonym: string): Promise<{ pseudonym: string; user: string }> {
  const now = (deps.now ?? Date.now)();
  const user = await resolveUser(deps, pseudonym);
  await auditAs(deps, actor, now, 'pseudonym.reveal', pseudonym, { found: user !== null });
  if (user === null) throw new TriageError('TRIAGE_NOT_FOUND', `no employee behind ${pseudonym}`);
  return { pseudonym, user };
}
