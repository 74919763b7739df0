// Report periods: whole UTC days, [from, to). A day, an ISO week (Monday to Monday), a calendar month, or a
// custom range of days. Data is read by event time (access events, alerts) and by wall time (analyst
// actions, dead letters), both against the same bounds.
import { dateString, dayOf, MS_PER_DAY } from '../calendar';
import { ReportError } from './errors';
import type { PeriodKind } from '../config';

export interface ReportPeriod {
  kind: PeriodKind | 'custom';
  /** ms, UTC midnight */
  from: number;
  /** ms, UTC midnight, exclusive */
  to: number;
}

const midnight = (ms: number) => dayOf(ms) * MS_PER_DAY;

/** The start of the period of `kind` that contains `ms`. */
export function periodStart(kind: PeriodKind, ms: number): number {
  const d = new Date(midnight(ms));
  switch (kind) {
    case 'day':
      return d.getTime();
    case 'week':
      // ISO weeks start on Monday (getUTCDay: 0 = Sunday).
      return d.getTime() - ((d.getUTCDay() + 6) % 7) * MS_PER_DAY;
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** The end (exclusive) of the period of `kind` that starts at `from`. */
export function periodEnd(kind: PeriodKind, from: number): number {
  switch (kind) {
    case 'day':
      return from + MS_PER_DAY;
    case 'week':
      return from + 7 * MS_PER_DAY;
    case 'month': {
      const d = new Date(from);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

/** The last complete period of `kind` that ends at or before `ms`. */
export function lastCompletePeriod(kind: PeriodKind, ms: number): ReportPeriod {
  const to = periodStart(kind, ms);
  return { kind, from: periodStart(kind, to - 1), to };
}

/**
 * The period the CLI options name: --from and --to (a custom range; days), --from alone (the period of
 * `kind` starting there), --to alone (the period of `kind` ending there), neither (the last complete one).
 */
export function resolvePeriod(kind: PeriodKind, opts: { from?: number; to?: number; now: number }): ReportPeriod {
  for (const [name, v] of [['--from', opts.from], ['--to', opts.to]] as const) {
    if (v !== undefined && v !== midnight(v)) throw new ReportError(`${name} must be a UTC midnight (a report covers whole days), got ${new Date(v).toISOString()}`);
  }
  if (opts.from !== undefined && opts.to !== undefined) {
    if (opts.to <= opts.from) throw new ReportError('--to must be after --from');
    const natural = periodStart(kind, opts.from) === opts.from && periodEnd(kind, opts.from) === opts.to;
    return { kind: natural ? kind : 'custom', from: opts.from, to: opts.to };
  }
  if (opts.from !== undefined) return { kind, from: opts.from, to: shift(kind, opts.from, 1) };
  if (opts.to !== undefined) return { kind, from: shift(kind, opts.to, -1), to: opts.to };
  return lastCompletePeriod(kind, opts.now);
}

/** `ms` moved by `n` periods of `kind` (a month keeps the day of the month). */
function shift(kind: PeriodKind, ms: number, n: number): number {
  if (kind === 'month') {
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, d.getUTCDate());
  }
  return ms + n * (kind === 'week' ? 7 : 1) * MS_PER_DAY;
}

/** "2026-11-16" for a day, "2026-11-16..2026-11-22" for longer periods (inclusive last day). */
export function periodLabel(p: ReportPeriod): string {
  const first = dateString(dayOf(p.from));
  const last = dateString(dayOf(p.to - 1));
  return first === last ? first : `${first}..${last}`;
}

/** Every UTC day of the period as "YYYY-MM-DD". */
export function daysOf(p: Pick<ReportPeriod, 'from' | 'to'>): string[] {
  const out: string[] = [];
  for (let d = dayOf(p.from); d < dayOf(p.to); d++) out.push(dateString(d));
  return out;
}
