// Policy: sensitive tables (the classes configured, pii and payment by default). Two limits: a daily
// volume from them (routine for a role whose job is moving such data: then its routine severity), and
// first access: sensitive tables the employee never touched in the trailing knownTablesDays, and that
// their peer group does not read either, several within firstAccessDays: the quiet reconnaissance that
// volume cannot see, spread over days or not. First access is judged only for people with
// minHistoryDays of activity: to a new hire, every table is new.
import { formatBytes } from '../../format';
import { atMostLow, routineDetails, routineVerdict, type Finding, type Rule } from './rule';

const LISTED = 5;

export const sensitive: Rule = {
  name: 'sensitive',
  prepare({ settings, known, minHistoryDays, history, person, routineShare, routineRate, recentSensitive, peerTables }) {
    const s = settings.sensitive;
    if (!s.enabled) return null;
    const judgeFirstAccess = known.activeDays >= minHistoryDays;
    const classes = s.classes.join('/');
    let routine: ReturnType<typeof history.routine> | null = null;
    return (day): Finding | null => {
      if (s.dailyBytes !== null && day.sensitiveBytes >= s.dailyBytes) {
        routine ??= history.routine(person, 'sensitive', s.dailyBytes);
        const verdict = routineVerdict(routine, day.sensitiveBytes, { routineShare, routineRate });
        // Too little history to know whether it is routine for them: raised, but at low at most.
        const severity = verdict.routine ? s.routineSeverity : known.activeDays < minHistoryDays ? atMostLow(s.severity) : s.severity;
        return {
          detector: 'sensitive',
          kind: 'policy',
          observed: day.sensitiveBytes,
          threshold: s.dailyBytes,
          reference: null,
          multiple: null,
          severity,
          raises: severity !== 'none',
          clause: `${formatBytes(day.sensitiveBytes)} from ${classes} tables (limit ${formatBytes(s.dailyBytes)})${verdict.clause ? `, ${verdict.clause}` : ''}`,
          details: routineDetails(routine, verdict.routine),
        };
      }
      // Checked after every event: most days have no new sensitive table, and need no arrays.
      if (!judgeFirstAccess || day.newSensitive.size === 0) return null;
      const today = [...day.newSensitive].filter((t) => !peerTables.has(t));
      if (today.length === 0 || today.length + recentSensitive.length < s.firstAccessTables) return null;
      // Distinct tables: one first touched late yesterday (a source behind) may be counted both ways.
      const tables = [...new Set([...recentSensitive, ...today])].sort();
      if (tables.length < s.firstAccessTables) return null;
      const listed = tables.slice(0, LISTED).join(', ') + (tables.length > LISTED ? ` and ${tables.length - LISTED} more` : '');
      return {
        detector: 'sensitive',
        kind: 'policy',
        observed: tables.length,
        threshold: s.firstAccessTables,
        reference: null,
        multiple: null,
        severity: s.firstAccessSeverity,
        raises: s.firstAccessSeverity !== 'none',
        clause: `first access to ${tables.length} ${classes} tables in ${s.firstAccessDays} days that neither they (${known.activeDays} active days) nor their peers read: ${listed}`,
        details: { newSensitiveTables: tables, today: today.length },
      };
    };
  },
};
