// Plain-text tables and JSON for command output (stdout); progress and logs go to stderr. What is printed
// has no bidirectional control characters: names from the logs cannot reorder what the operator reads.
import { stripBidi } from '../triage';

/** Command output: stdout, without bidirectional controls. */
export function printText(text: string): void {
  process.stdout.write(stripBidi(text));
}

export function printJson(value: unknown): void {
  printText(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(rows: ReadonlyArray<Record<string, unknown>>, columns: string[]): void {
  const cell = (v: unknown) => (v === undefined || v === null ? '' : stripBidi(String(v)));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  printText(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) printText(`${line(columns.map((c) => cell(r[c])))}\n`);
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
