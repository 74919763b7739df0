// Policy: reads the volume detectors cannot see. A source that could not measure a read's bytes says so
// (`bytes_unknown`): a MariaDB user may switch their own slow log off for their session (no privilege is
// needed, and the server cannot forbid it), and their reads are then known from the audit log only,
// which has the tables but no bytes; a ClickHouse user may run with log_queries = 0, and their query is
// then known only while it runs (system.processes). Whatever they read, the day's volume shows nothing; that someone
// made their reads unmeasurable is itself the finding, at `severity`, or `sensitiveSeverity` once one of
// those reads was of a sensitive table. One finding a day, revised when the severity rises.
import type { DetectorSettings } from '../../config';
import type { Check, Rule } from './rule';

/** A read the log names no table of (a user variable, a temporary table) is `db.` in the events. */
const labelOf = (table: string) => (table.endsWith('.') ? `a table the log does not name (in ${table.slice(0, -1) || 'no database'})` : table);

/** Tables named in the clause; the finding's details list them all. */
const CLAUSE_TABLES = 3;

// One check per settings object (an override's), not one closure per employee: the check reads only the day.
const checks = new WeakMap<DetectorSettings['unmeasuredReads'], Check>();

export const unmeasuredReads: Rule = {
  name: 'unmeasuredReads',
  prepare({ settings }) {
    const s = settings.unmeasuredReads;
    if (!s.enabled) return null;
    let check = checks.get(s);
    if (!check) {
      check = (day) => {
        const u = day.unmeasured;
        if (u.reads === 0) return null;
        const severity = u.sensitive > 0 ? s.sensitiveSeverity : s.severity;
        const tables = [...u.tables].map(labelOf);
        const named = tables.slice(0, CLAUSE_TABLES).join(', ') + (tables.length > CLAUSE_TABLES ? ` and ${tables.length - CLAUSE_TABLES} more` : '');
        const reads = u.reads === 1 ? '1 read' : `${u.reads} reads`;
        const sensitive = u.sensitive > 0 ? `, ${u.sensitive} of a sensitive table,` : '';
        return {
          detector: 'unmeasuredReads',
          kind: 'policy',
          observed: u.reads,
          threshold: 1,
          reference: null,
          multiple: null,
          severity,
          raises: severity !== 'none',
          clause: `${reads}${sensitive} of ${named} whose bytes no log measured: ${u.why}`,
          details: { reads: u.reads, sensitiveReads: u.sensitive, tables, why: u.why },
        };
      };
      checks.set(s, check);
    }
    return check;
  },
};
