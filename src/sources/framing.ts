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
 * `# User@Host:`). `csv`: a line inside a quoted field continues its record even when it starts like one
 * (csvlog does not indent a statement's lines, so a statement can hold a whole forged record; stderr
 * indents them with a tab).
 */
export function recordFramer(multiLine: boolean | RegExp, csv = false): Framer {
  let open: string | undefined;
  let quoted = false;
  const start = multiLine instanceof RegExp ? multiLine : RECORD_START;
  const quotes = (line: string) => {
    let n = 0;
    for (let i = line.indexOf('"'); i >= 0; i = line.indexOf('"', i + 1)) n++;
    return n;
  };
  return {
    push(line) {
      if (line === '' && (!multiLine || open === undefined)) return [];
      if (!multiLine || (((multiLine === true && line.startsWith('{')) || start.test(line)) && !quoted) || open === undefined) {
        const done = open === undefined ? [] : [open];
        open = line;
        quoted = csv && quotes(line) % 2 === 1;
        return done;
      }
      open += `\n${line}`;
      if (csv && quotes(line) % 2 === 1) quoted = !quoted;
      return [];
    },
    end() {
      const done = open === undefined ? [] : [open];
      open = undefined;
      quoted = false;
      return done;
    },
  };
}

export function splitRecords(text: string, multiLine: boolean | RegExp, csv = false): string[] {
  const framer = recordFramer(multiLine, csv);
  const out: string[] = [];
  for (const line of text.replace(/\n$/, '').split('\n')) out.push(...framer.push(line));
  out.push(...framer.end());
  return out;
}
