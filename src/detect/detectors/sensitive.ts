// Policy: sensitive tables (the classes configured, pii and payment by default). Two limits: a daily
// volume from them, and first-time access, several sensitive tables the employee never touched in the
// trailing knownTablesDays, in one day: the quiet reconnaissance that volume detectors cannot see.
// First access is judged only for people with minHistoryDays of activity: to a new hire, every table is new.
import { formatBytes } from '../format';
import type { Rule } from './rule';

const LISTED = 5;

export const sensitive: Rule = {
  name: 'sensitive',
  prepare({ settings, known, minHistoryDays }) {
    const s = settings.sensitive;
    if (!s.enabled) return null;
    const judgeFirstAccess = known.activeDays >= minHistoryDays;
    const classes = s.classes.join('/');
    return (day) => {
      if (s.dailyBytes !== null && day.sensitiveBytes >= s.dailyBytes) {
        return { detector: 'sensitive', observed: day.sensitiveBytes, threshold: s.dailyBytes, reference: null, multiple: null, clause: `${formatBytes(day.sensitiveBytes)} from ${classes} tables (limit ${formatBytes(s.dailyBytes)})` };
      }
      if (judgeFirstAccess && day.newSensitive.size >= s.firstAccessTables) {
        const tables = [...day.newSensitive].sort();
        const listed = tables.slice(0, LISTED).join(', ') + (tables.length > LISTED ? ` and ${tables.length - LISTED} more` : '');
        return {
          detector: 'sensitive',
          observed: tables.length,
          threshold: s.firstAccessTables,
          reference: null,
          multiple: null,
          clause: `first access to ${tables.length} ${classes} tables in ${known.activeDays} active days: ${listed}`,
          details: { newSensitiveTables: tables },
        };
      }
      return null;
    };
  },
};
