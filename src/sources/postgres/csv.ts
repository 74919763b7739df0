// One CSV record (RFC 4180: "..." quoting, "" inside quotes), as PostgreSQL's csvlog and pgaudit's
// AUDIT fields write it. Kept to one small function because it is the hot path of the csvlog decoder:
// csv-parse's sync API costs a parser per call (see scripts/bench-parse.ts for the measured ratio).
export type CsvSplit = { ok: true; fields: string[]; end: number } | { ok: false };

/**
 * Splits `text` from `start` into fields. With `maxFields`, stops after that many and reports where
 * the rest begins (pgaudit's statement is followed by more fields that the caller reads itself).
 */
export function splitCsv(text: string, start = 0, maxFields = Infinity): CsvSplit {
  const fields: string[] = [];
  let i = start;
  const n = text.length;
  for (;;) {
    if (fields.length === maxFields) return { ok: true, fields, end: i };
    if (text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let from = ++i;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return { ok: false };
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(value);
    } else {
      const comma = text.indexOf(',', i);
      const stop = comma < 0 ? n : comma;
      // PostgreSQL (and pgaudit) quote every field that holds a quote: a bare one means the record is not
      // theirs, e.g. a forged record a statement carried to the start of a line, ended by the real
      // record's closing quote.
      const quote = text.indexOf('"', i);
      if (quote >= 0 && quote < stop) return { ok: false };
      fields.push(text.slice(i, stop));
      i = stop;
    }
    if (i >= n) return { ok: true, fields, end: n };
    if (text.charCodeAt(i) !== 44 /* , */) {
      // A quoted field followed by something other than a comma: not CSV as PostgreSQL writes it.
      return { ok: false };
    }
    i++;
    if (i === n) {
      fields.push('');
      return { ok: true, fields, end: n };
    }
  }
}
