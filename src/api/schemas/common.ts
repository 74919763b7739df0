// The pieces every resource's schemas use: id patterns, bounded text, times, numbers in query strings,
// the error answer, and the fields a suppression and an adjustment share.
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../alerts';
import { ADJUSTMENT_ID, PSEUDONYM, USER_NAME } from '../../triage';

/** al_<yyyymmdd>_<10 hex>, as the detection engine names alerts. */
export const ALERT_ID = /^al_\d{8}_[0-9a-f]{10}$/;
/** sup_<12 hex>, as createSuppression names them. */
export const SUPPRESSION_ID = /^sup_[0-9a-f]{12}$/;
/** tok_<8 hex>, as issueToken names tokens. */
export const TOKEN_ID = /^tok_[0-9a-f]{8,32}$/;
/** Detector names: volumeSelf, exportRate, ... (a pattern, so that a new detector needs no change here). */
export const DETECTOR = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Audit actions: alert.view, suppression.create, ... */
export const AUDIT_ACTION = /^[a-z][a-z_]*(\.[a-z_]+)*$/;
/** database.table */
export const TABLE = /^[^.\s]+\.[^.\s]+$/;

/** DateTime columns hold 1970-01-01 .. 2106-02-07; anything outside cannot be a filter or an expiry. */
export const MAX_TIME = Date.UTC(2106, 0, 1);

/** Free text: not empty, bounded, and representable in UTF-8 (no unpaired surrogate). */
export function text(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .refine((s) => s.isWellFormed(), 'contains an unpaired UTF-16 surrogate');
}

export function pattern(re: RegExp, what: string) {
  return z.string().max(256, `at most 256 characters`).regex(re, `expected ${what}`);
}

export const alertId = pattern(ALERT_ID, 'an alert id like al_20260925_3fa9c2d1e0');
export const suppressionId = pattern(SUPPRESSION_ID, 'a suppression id like sup_0123456789ab');
export const adjustmentId = pattern(ADJUSTMENT_ID, 'an adjustment id like adj_0123456789ab');
export const pseudonym = pattern(PSEUDONYM, 'a pseudonym like emp-3fa9c2d1e0');
export const userName = pattern(USER_NAME, 'a user name: 1-128 letters, digits, or . _ @ -');

/** An ISO-8601 time with a zone (2026-10-01T00:00:00Z, 2026-10-01T02:00:00+02:00), as epoch ms. */
export const isoTime = z
  .iso.datetime({ offset: true, message: 'expected an ISO-8601 time with a zone, e.g. 2026-10-01T00:00:00Z' })
  .refine((s) => {
    const ms = Date.parse(s);
    return ms >= 0 && ms < MAX_TIME;
  }, 'expected a time between 1970 and 2105')
  .transform((s) => Date.parse(s));

/** A whole number in a query string. */
export function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `at least ${min}`).max(max, `at most ${max}`));
}

/** A page size: at least 1; larger than the configured maximum is clamped to it (not refused). */
export function limit(pageMax: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'at least 1'))
    .transform((n) => Math.min(n, pageMax));
}

/** The employee a filter or a suppression names: a pseudonym when pseudonymisation is on, else the id. */
export function employee(pseudonymize: boolean) {
  return pseudonymize ? pseudonym : text(256);
}

export const severity = z.enum(SEVERITIES as unknown as [Severity, ...Severity[]]);

export function fromBeforeTo(q: { from?: number; to?: number }): boolean {
  return q.from === undefined || q.to === undefined || q.to > q.from;
}

/** Times in answers. */
export const time = z.string().describe('ISO-8601, UTC');
export const timeOrNull = time.nullable();

/**
 * What a suppression and an expectation adjustment both record after their own fields: why, from which
 * alert, who made and who ended it, and whether it is in force.
 */
export const standingFields = {
  reason: z.string(),
  alertId: z.string(),
  createdBy: z.string(),
  createdAt: time,
  revokedBy: z.string().nullable(),
  revokedAt: timeOrNull,
  active: z.boolean(),
};

export const errorOut = z
  .object({ error: z.object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });
