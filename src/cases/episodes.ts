// Cases: one employee's alerts gathered while an episode lasts. Analysts investigate a person's episode,
// not a row per UTC day: a three-week slow drip is one case, a bulk export and the next day's follow-up
// are one case. A case opens with an employee's first alert and takes every later alert of theirs until
// `quietDays` whole UTC days pass without one; the next alert after that opens a new case. An alert is
// about a span of days (a day, or a slow drip's run since it began): it joins the case when its span
// begins no later than `quietDays` days after the case's last day (intervals merged in order of first
// day), so a drip's second alert, about the same run, stays in the first one's case however long the
// run went on between them. Pure.

import { InternalError } from '../errors';

export interface EpisodeOptions {
  /** Whole UTC days without an alert that end a case (7: an alert a week after the last one still joins). */
  quietDays: number;
}

/**
 * Cases that were resolved: in the order the alerts were first stored, an alert for which `startsNew` says
 * so (its case was resolved before it came) opens a case of its own, and the alerts stored after it join
 * that one.
 */
export interface Resolution<T> {
  storedAt(a: T): number;
  startsNew(open: ReadonlyArray<T>, next: T): boolean;
}

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
 * Groups alerts into cases, per employee: an alert joins the case whose days its span reaches within
 * `quietDays` (in the order of first days, so an alert spanning two earlier episodes joins them). With
 * `resolution`, a case is then split where an alert came after it was resolved. A case's alerts are in the
 * order of the last day each is about (the order they fire in); cases come out by employee, then first day.
 */
export function groupIntoCases<T extends { user: string }>(alerts: Iterable<T>, spanOf: (a: T) => DaySpan, opts: EpisodeOptions, resolution?: Resolution<T>): Array<Case<T>> {
  if (!Number.isInteger(opts.quietDays) || opts.quietDays < 0) throw new InternalError(`quietDays must be a whole number of days, got ${opts.quietDays}`);
  type Item = { a: T; span: DaySpan; i: number };
  const byUser = new Map<string, Item[]>();
  let i = 0;
  for (const a of alerts) {
    const span = spanOf(a);
    if (!Number.isFinite(span.first) || !Number.isFinite(span.last) || span.last < span.first) throw new InternalError(`alert of ${a.user}: its days are not an ordered pair`);
    let list = byUser.get(a.user);
    if (!list) byUser.set(a.user, (list = []));
    list.push({ a, span, i: i++ });
  }
  const fireOrder = (x: Item, y: Item) => x.span.last - y.span.last || x.span.first - y.span.first || x.i - y.i;
  const caseOf = (user: string, items: Item[]): Case<T> => {
    const sorted = [...items].sort(fireOrder);
    return { user, alerts: sorted.map((x) => x.a), firstDay: Math.min(...sorted.map((x) => x.span.first)), lastDay: Math.max(...sorted.map((x) => x.span.last)) };
  };
  const cases: Array<Case<T>> = [];
  for (const user of [...byUser.keys()].sort()) {
    // Episodes: intervals of days merged while the gap is at most quietDays.
    const episodes: Item[][] = [];
    let lastDay = -Infinity;
    for (const item of byUser.get(user)!.sort((x, y) => x.span.first - y.span.first || fireOrder(x, y))) {
      if (episodes.length > 0 && continuesCase(lastDay, item.span, opts)) {
        episodes[episodes.length - 1].push(item);
        lastDay = Math.max(lastDay, item.span.last);
      } else {
        episodes.push([item]);
        lastDay = item.span.last;
      }
    }
    for (const episode of episodes) {
      if (!resolution) {
        cases.push(caseOf(user, episode));
        continue;
      }
      const groups: Item[][] = [];
      for (const item of [...episode].sort((x, y) => resolution.storedAt(x.a) - resolution.storedAt(y.a) || fireOrder(x, y))) {
        const open = groups[groups.length - 1];
        if (open && !resolution.startsNew(open.map((x) => x.a), item.a)) open.push(item);
        else groups.push([item]);
      }
      cases.push(...groups.map((g) => caseOf(user, g)).sort((x, y) => x.firstDay - y.firstDay));
    }
  }
  return cases;
}
