// The tables of the day before that a day's history did not know. A history built ahead of midnight
// (day-ahead) lacks the day's last minutes, and a source a few minutes behind delivers yesterday's last
// tables after today's first events: a table first touched then would be new again the next day, and
// missing from its recent first accesses. Read from the rollups these tables are there already, so
// adding them changes nothing for a history built after the day.
import type { Sensitivity } from './catalog';
import type { RuleContext } from './detectors';
import type { Known } from './history';

/**
 * The tables known before a day, with those the employee touched the day before as the engine judged
 * them. `recent`: the recent window includes yesterday (firstAccessDays above 1), as the history's.
 * `added`: those the history lacked, kept on the day (judged again once the day before is forgotten,
 * it still knows them).
 */
export function withYesterday(known: Known, yesterday: Iterable<string>, recent: boolean): { known: Known; added?: Set<string> } {
  const added = [...yesterday].filter((t) => !known.tables.has(t));
  if (added.length === 0) return { known };
  return { known: { tables: new Set([...known.tables, ...added]), recent: recent ? new Set([...known.recent, ...added]) : known.recent, activeDays: known.activeDays }, added: new Set(added) };
}

/** A day judged already, whose tables of the day before are learnt one at a time. */
export interface LateTarget {
  ctx: RuleContext;
  sensitiveClasses: ReadonlySet<string>;
  late?: Set<string>;
}

/**
 * What withYesterday gives a day judged before this table of the day before came: in place, one table
 * at a time (a full judgement per table would cost a flood of late tables quadratic time). `sensitivity`:
 * the catalog's class of `table`; `recent`: as withYesterday's.
 */
export function learnLate(t: LateTarget, table: string, sensitivity: Sensitivity, recent: boolean): void {
  if (t.ctx.known.tables.has(table) || t.late?.has(table)) return;
  (t.late ??= new Set()).add(table);
  if (recent && t.sensitiveClasses.has(sensitivity) && !t.ctx.peerTables.has(table)) (t.ctx.recentSensitive as string[]).push(table);
}
