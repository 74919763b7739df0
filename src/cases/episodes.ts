// Cases: one employee's alerts gathered while an episode lasts. Analysts investigate a person's episode,
// not a row per UTC day: a three-week slow drip is one case, a bulk export and the next day's follow-up
// are one case. A case opens with an employee's first alert and takes every later alert of theirs until
// `quietDays` whole UTC days pass without one; the next alert after that opens a new case. An alert is
// about a span of days (a day, or a slow drip's run since it began): it joins the case when its span
// begins no later than `quietDays` days after the case's last day, so a drip's second alert, about the
// same run, stays in the first one's case however long the run went on between them. Pure.

import { InternalError } from '../errors';

export interface EpisodeOptions {
  /** Whole UTC days without an alert that end a case (7: an alert a week after the last one still joins). */
  quietDays: number;
}

/** Whether `next` opens a case of its own although it falls within `open`'s quiet period (a case resolved before it came). */
export type StartsNewCase<T> = (open: ReadonlyArray<T>, next: T) => boolean;

export interface Case<T> {
  user: string;
  /** The case's alerts, by the last day each is about (then in the order given). */
  alerts: T[];
  /** UTC day numbers (days since 1970-01-01): the first and the last day its alerts are about. */
  firstDay: number;
  lastDay: number;
}

/** UTC day numbers (days since 1970-01-01): the first and the last day an alert is about. */
export interface DaySpan {
  first: number;
  last: number;
}

/** Whether an alert about `span` still belongs to a case whose last day is `lastDay`. */
export function continuesCase(lastDay: number, span: DaySpan, opts: EpisodeOptions): boolean {
  return span.first - lastDay <= opts.quietDays;
}

/**
 * Groups alerts into cases, per employee, in the order of the last day each alert is about (the order they
 * fire in). Cases come out by employee, then by first day.
 */
export function groupIntoCases<T extends { user: string }>(alerts: Iterable<T>, spanOf: (a: T) => DaySpan, opts: EpisodeOptions, startsNew?: StartsNewCase<T>): Array<Case<T>> {
  if (!Number.isInteger(opts.quietDays) || opts.quietDays < 0) throw new InternalError(`quietDays must be a whole number of days, got ${opts.quietDays}`);
  const byUser = new Map<string, Array<{ a: T; span: DaySpan; i: number }>>();
  let i = 0;
  for (const a of alerts) {
    const span = spanOf(a);
    if (!Number.isFinite(span.first) || !Number.isFinite(span.last) || span.last < span.first) throw new InternalError(`alert of ${a.user}: its days are not an ordered pair`);
    let list = byUser.get(a.user);
    if (!list) byUser.set(a.user, (list = []));
    list.push({ a, span, i: i++ });
  }
  const cases: Array<Case<T>> = [];
  for (const user of [...byUser.keys()].sort()) {
    const list = byUser.get(user)!.sort((x, y) => x.span.last - y.span.last || x.span.first - y.span.first || x.i - y.i);
    let current: Case<T> | null = null;
    for (const { a, span } of list) {
      if (current && continuesCase(current.lastDay, span, opts) && !startsNew?.(current.alerts, a)) {
        current.alerts.push(a);
        current.firstDay = Math.min(current.firstDay, span.first);
        current.lastDay = Math.max(current.lastDay, span.last);
        continue;
      }
      current = { user, alerts: [a], firstDay: span.first, lastDay: span.last };
      cases.push(current);
    }
  }
  return cases;
}
