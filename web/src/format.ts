// Numbers and times as an analyst reads them. Decimal byte units (1 GB = 10^9 bytes), as the detector's
// explanations and database tools use them; every time is shown in UTC, labelled, so that analysts in
// different zones quote the same time to each other.
import { formatBytes as bytes, formatMultiple as multiple } from '../../src/format';

/** 333 MB, 10.2 GB, 4.12 kB: the detector's own formatting, so the page and the explanation agree. */
export function formatBytes(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : bytes(n);
}

/** 37x, 2.4x */
export function formatMultiple(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : multiple(x);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** 36507900 -> "36.5M": counts where the digits matter less than the size. */
export function formatCompact(n: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

const pad = (n: number) => String(n).padStart(2, '0');

function parse(t: string | number): Date {
  return new Date(typeof t === 'number' ? t : Date.parse(t));
}

/** "2026-11-29 10:18 UTC" */
export function formatUtc(t: string | number, withZone = true): string {
  const d = parse(t);
  if (Number.isNaN(d.getTime())) return '–';
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return withZone ? `${s} UTC` : s;
}

/** "10:18:03" (UTC) */
export function formatClock(t: string | number): string {
  const d = parse(t);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** "2026-11-29" (UTC) */
export function formatDay(t: string | number): string {
  return formatUtc(t, false).slice(0, 10);
}

/** A window within one day reads "2026-11-29 08:35–09:10 UTC"; across days both ends are dated. */
export function formatRange(from: string, to: string): string {
  const a = formatUtc(from, false);
  const b = formatUtc(to, false);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a}–${b.slice(11)} UTC` : `${a} – ${b} UTC`;
}

/** An alert window: usually a whole UTC day, said so rather than printed as two midnights. */
export function formatWindow(from: string, to: string): string {
  const a = Date.parse(from);
  const b = Date.parse(to);
  return a % 86_400_000 === 0 && b - a === 86_400_000 ? `${formatDay(from)} (whole day)` : formatRange(from, to);
}

/** "just now", "12 min ago", "3 h ago", "2 d ago", "in 5 h" */
export function formatAge(t: string | number, now = Date.now()): string {
  const ms = now - parse(t).getTime();
  if (!Number.isFinite(ms)) return '';
  const future = ms < 0;
  const abs = Math.abs(ms);
  const min = Math.round(abs / 60_000);
  let s: string;
  // Under a minute either way is "just now": the server's clock may run a little ahead of the browser's.
  if (min < 1) return 'just now';
  else if (min < 60) s = `${min} min`;
  else if (min < 48 * 60) s = `${Math.round(min / 60)} h`;
  else s = `${Math.round(min / 1440)} d`;
  return future ? `in ${s}` : `${s} ago`;
}

/** true_positive -> "True positive", user_table -> "User table" */
export function humanize(word: string | null | undefined): string {
  if (!word) return '';
  const s = word.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
