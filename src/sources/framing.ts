// Splitting a log file into records, as a shipper does before sending them: jsonlog has one record a
// line; csvlog and stderr records start with their timestamp and may continue on further lines (a
// statement with newlines). rsyslog's imfile does the same with startmsg.regex (docs/sources/postgres.md).
const RECORD_START = /^\d{4}-\d\d-\d\d \d\d:/;

export interface Framer {
  /** Feeds one line (without its newline); returns the records it completed. */
  push(line: string): string[];
  /** The record still open at the end of input. */
  end(): string[];
}

/**
 * `multiLine`: lines that do not start a record continue the one before (csvlog, stderr: a line that
 * starts with a timestamp starts one); a RegExp says what starts a record (MariaDB's slow log:
 * `# User@Host:`).
 */
export function recordFramer(multiLine: boolean | RegExp): Framer {
  let open: string | undefined;
  const start = multiLine instanceof RegExp ? multiLine : RECORD_START;
  return {
    push(line) {
      if (line === '' && (!multiLine || open === undefined)) return [];
      if (!multiLine || (multiLine === true && line.startsWith('{')) || start.test(line) || open === undefined) {
        const done = open === undefined ? [] : [open];
        open = line;
        return done;
      }
      open += `\n${line}`;
      return [];
    },
    end() {
      const done = open === undefined ? [] : [open];
      open = undefined;
      return done;
    },
  };
}

export function splitRecords(text: string, multiLine: boolean | RegExp): string[] {
  const framer = recordFramer(multiLine);
  const out: string[] = [];
  for (const line of text.replace(/\n$/, '').split('\n')) out.push(...framer.push(line));
  out.push(...framer.end());
  return out;
}
