// The volume charts: an alert's daily and hourly series, and an employee's page (volume, alerts, adjustments).
import { z } from 'zod';
import { adjustmentOut } from './adjustments';
import { alertSummaryOut } from './alerts';
import { employee, time, wholeNumber } from './common';

export const seriesQuery = z.strictObject({ days: wholeNumber(7, 366).optional().describe('days up to the alert day (default 42)') });

const dayBytes = z.array(z.object({ day: z.string(), bytes: z.number() }));
const usualBand = z
  .object({ median: z.number(), low: z.number(), high: z.number(), kind: z.enum(['weekday', 'weekend']) })
  .nullable()
  .describe("the last day's usual band as the detector judges it (weekdays, or weekends once there are enough); null before minHistoryDays");
const peerRange = z
  .object({
    group: z.string().describe('Department/role, or Department/* when the role has fewer than 3 other people'),
    n: z.number().int(),
    days: z.array(z.object({ day: z.string(), low: z.number().nullable(), median: z.number().nullable(), high: z.number().nullable() })),
  })
  .nullable()
  .describe("the peers' 10th, 50th and 90th percentile per day among those active (null: fewer than 3)");

export const seriesOut = z.object({
  alertDay: z.string(),
  days: dayBytes,
  band: usualBand,
  peers: peerRange,
  hours: z.array(z.object({ hour: time, bytes: z.number() })).describe('the 48 hours ending with the alert day'),
  hourBand: z.array(z.object({ hourOfDay: z.number().int(), median: z.number(), high: z.number() })).nullable().describe('usual volume per hour of day (UTC) over the 28 days before'),
  window: z.object({ start: time, end: time }),
});

export function employeeParams(pseudonymize: boolean) {
  return z.strictObject({ user: employee(pseudonymize) });
}
export const employeeQuery = z.strictObject({ days: wholeNumber(7, 366).optional().describe('days up to today (default 90)') });
export const employeeOut = z.object({
  user: z.string(),
  department: z.string().nullable(),
  role: z.string().nullable(),
  days: dayBytes,
  band: usualBand,
  peers: peerRange,
  alerts: z.array(alertSummaryOut).describe('newest window first, at most 500'),
  alertTotal: z.number().int().describe("how many alerts the employee has, exactly"),
  adjustments: z.array(adjustmentOut).describe("expectation adjustments of the employee and of their peer group, newest first, active and past"),
});
