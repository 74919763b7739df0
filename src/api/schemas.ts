// The shapes of requests and answers, in zod: requests are validated against them (a 400 names the field),
// answers are serialized through them (only declared fields leave), and the OpenAPI document is generated
// from them. Ids are checked by pattern before anything reaches the service, so a malformed id is a 400.
//
// One file a resource under schemas/ (alerts, cases, triage, suppressions, adjustments, volume, users, audit,
// reports, tuning; common.ts holds the pieces they share). This file is the entry: it exports what the
// routes and the OpenAPI document use, and nothing of the pieces.
export {
  ALERT_ID,
  AUDIT_ACTION,
  DETECTOR,
  SUPPRESSION_ID,
  TABLE,
  TOKEN_ID,
  adjustmentId,
  alertId,
  employee,
  errorOut,
  isoTime,
  limit,
  pattern,
  pseudonym,
  suppressionId,
  text,
  userName,
  wholeNumber,
} from './schemas/common';
export { alertDetailOut, alertOut, alertPageOut, alertQuery, alertSummaryOut, idParams } from './schemas/alerts';
export { caseActionOut, caseAssignBody, caseNoteBody, caseNoteOnly, caseOut, casePageOut, caseQuery, caseResolveBody } from './schemas/cases';
export { assignBody, historyEntry, noteBody, noteOnly, pseudonymParams, resolveBody, revealOut, snoozeBody } from './schemas/triage';
export { suppressionBody, suppressionListOut, suppressionOut, suppressionParams } from './schemas/suppressions';
export { adjustmentListOut, adjustmentOut, adjustmentParams, revokeAdjustmentBody } from './schemas/adjustments';
export { employeeOut, employeeParams, employeeQuery, seriesOut, seriesQuery } from './schemas/volume';
export { disableBody, disabledOut, meOut, nameParams, roleBody, signOutOut, tokenBody, tokenInfoOut, tokenListOut, tokenOut, tokenParams, userBody, userListOut, userOut } from './schemas/users';
export { auditEntryOut, auditListOut, auditQuery } from './schemas/audit';
export { reportBody, reportFileOut, reportFileParams, reportListOut, reportOut } from './schemas/reports';
export {
  API_MAX_TUNING_DAYS,
  TUNING_RUN_ID,
  floorOut,
  tuningFloorBody,
  tuningJobOut,
  tuningRunBody,
  tuningRunId,
  tuningRunListOut,
  tuningRunOut,
  tuningRunParams,
  tuningStatusOut,
} from './schemas/tuning';
