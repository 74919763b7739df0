// The building blocks of the HTML report: escaping, numbers and times as printed, tables (capped at
// HTML_ROW_LIMIT rows, pointing at the CSV for the rest) and figure boxes.
import { formatDuration } from '../format';
import { escapeXml } from './charts';

/** Rows shown per table in the HTML (and PDF); the CSV and JSON files always hold every row. */
export const HTML_ROW_LIMIT = 200;

export const esc = (v: unknown) => escapeXml(v === null || v === undefined ? '' : String(v));
export const int = (v: number) => v.toLocaleString('en-US');
export const dur = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));
export const time = (t: string | null) => (t === null ? '-' : t.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:00Z$/, 'Z'));

interface Column<T> {
  head: string;
  cell: (row: T) => string | number;
  num?: boolean;
}

export function table<T>(rows: ReadonlyArray<T>, columns: Array<Column<T>>, what: string, csv?: string): string {
  if (rows.length === 0) return `<p class="empty">No ${esc(what)} in this period.</p>`;
  const shown = rows.slice(0, HTML_ROW_LIMIT);
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ''}>${esc(c.head)}</th>`).join('');
  const body = shown.map((r) => `<tr>${columns.map((c) => `<td${c.num ? ' class="num"' : ''}>${esc(c.cell(r))}</td>`).join('')}</tr>`).join('\n');
  const more = rows.length > shown.length ? `<p class="note">First ${shown.length} of ${int(rows.length)} ${esc(what)}; every row is in ${esc(csv ?? 'the CSV and JSON files')}.</p>` : '';
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

export function figures(items: Array<[string, string]>): string {
  return `<div class="figures">${items.map(([label, value]) => `<div class="figure"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`).join('')}</div>`;
}

