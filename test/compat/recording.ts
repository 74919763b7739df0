// Reads a statement recording (src/store/statement-recording.ts: one JSON-lines file per process,
// a `start` line per statement sent and an `end` line per answer) into one list in the order the
// server answered, which is the order that replays the same sequence per database.
import fs from 'node:fs';
import path from 'node:path';
import type { RecordedStatement, RecordLine } from '../../src/store/statement-recording';

export type Outcome =
  | { ok: true; result?: unknown }
  | { ok: false; error: { message: string; serverCode?: number; retriable: boolean } }
  /** Still in flight when its process ended (killed on purpose by a crash test): unknown on the server. */
  | { inFlight: true };

export type Statement = RecordedStatement & {
  id: string;
  file: string;
  url: string;
  database: string;
  startedAt: number;
  /** When the answer arrived (the start time for one still in flight). */
  endedAt: number;
  outcome: Outcome;
};

export function readRecording(dir: string): Statement[] {
  if (!fs.existsSync(dir)) throw new Error(`no recording at ${dir}: run the integration tests with INSIDER_CLICKHOUSE_RECORD_DIR=${dir}`);
  const statements: Statement[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    // Each end is paired with the latest unanswered start of its id, in file order.
    const open = new Map<string, Statement[]>();
    const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text === '') return;
      let line: RecordLine;
      try {
        line = JSON.parse(text) as RecordLine;
      } catch {
        // Only the last line of a process killed mid-write can be cut short.
        if (i >= lines.length - 2) return;
        throw new Error(`${file}:${i + 1}: not JSON`);
      }
      if (line.t === 'start') {
        const { t: _t, at, ...rest } = line;
        const s = { ...rest, file, startedAt: at, endedAt: at, outcome: { inFlight: true } } as Statement;
        statements.push(s);
        open.set(line.id, [...(open.get(line.id) ?? []), s]);
        return;
      }
      const s = open.get(line.id)?.pop();
      if (!s) throw new Error(`${file}:${i + 1}: an answer to ${line.id}, which was never sent`);
      s.endedAt = line.at;
      s.outcome = line.ok ? { ok: true, result: line.result } : { ok: false, error: line.error };
    });
  }
  return statements.sort((a, b) => a.endedAt - b.endedAt || a.startedAt - b.startedAt);
}

/** A short, single-line description of a statement for reports. */
export function describeStatement(s: Statement, max = 160): string {
  const text = s.kind === 'insert' ? `INSERT INTO ${s.table} (${s.rows.length} rows)` : s.kind === 'version' ? 'SELECT version()' : s.sql;
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}
