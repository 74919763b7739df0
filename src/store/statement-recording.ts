// Opt-in recording of every statement the product sends to ClickHouse, with its outcome, for the
// compatibility check (docs/clickhouse-compatibility.md): the integration tests run on ClickHouse 18.16
// with INSIDER_CLICKHOUSE_RECORD_DIR set, and `npm run check:clickhouse-modern` replays the recording on
// a current ClickHouse and compares the answers. Off unless that variable is set; never on by default.
//
// Each process appends to its own file (<dir>/<pid>.jsonl), so lines of concurrent processes never
// interleave. A statement writes a `start` line before it is sent and an `end` line with its rows or
// error when it is answered: a start without an end was still in flight when its process died.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root';

export const RECORD_DIR_ENV = 'INSIDER_CLICKHOUSE_RECORD_DIR';

export type RecordedStatement =
  | { kind: 'query'; sql: string; settings?: Record<string, string | number>; /** Absent: JSONEachRow rows. */ format?: 'TabSeparated' }
  | { kind: 'exec'; sql: string }
  | { kind: 'insert'; table: string; rows: ReadonlyArray<object>; settings?: Record<string, string | number> }
  | { kind: 'version' };

export type RecordLine =
  | ({ t: 'start'; id: string; at: number; url: string; database: string } & RecordedStatement)
  | { t: 'end'; id: string; at: number; ok: true; result?: unknown }
  | { t: 'end'; id: string; at: number; ok: false; error: { message: string; serverCode?: number; retriable: boolean } };

export interface StatementRecording {
  /** Records the statement as sent; the returned function records its outcome. */
  start(statement: RecordedStatement): (outcome: { result?: unknown } | { error: { message: string; serverCode?: number; retriable: boolean } }) => void;
}

// Ids are unique per module instance, not only per process: a test runner loads this module afresh per test file.
const instance = crypto.randomBytes(4).toString('hex');
let counter = 0;
/** The last time recorded by this process (module instance), so that its times strictly increase. */
let last = 0;

/** The recorder for one connection, or undefined when recording is off. */
export function statementRecording(url: string, database: string, env: NodeJS.ProcessEnv = process.env): StatementRecording | undefined {
  if (!env[RECORD_DIR_ENV]) return undefined;
  const dir = path.resolve(PACKAGE_ROOT, env[RECORD_DIR_ENV]);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.jsonl`);
  // The wall clock, comparable across the processes of one machine, strictly increasing within this one.
  // Not performance.timeOrigin + now(): in a long-lived process (the test runner) it fell 15 s behind the
  // wall clock during a CI run, and a test's DROP DATABASE was replayed before its ingester's inserts.
  const now = () => (last = Math.max(Date.now(), last + 0.001));
  const write = (line: RecordLine) => fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  return {
    start(statement) {
      const id = `${process.pid}-${instance}-${++counter}`;
      write({ t: 'start', id, at: now(), url, database, ...statement });
      return (outcome) => {
        if ('error' in outcome) write({ t: 'end', id, at: now(), ok: false, error: outcome.error });
        else write({ t: 'end', id, at: now(), ok: true, result: outcome.result });
      };
    },
  };
}
