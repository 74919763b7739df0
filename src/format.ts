// Numbers as an analyst reads them in an explanation: "20.4 GB", "2 h 05 m", "425x", "92%".
// Decimal units (1 GB = 10^9 bytes) like the volumes in the brief and in database tools.
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let i = 0;
  let v = Math.abs(n);
  const digits = (x: number, unit: number) => (unit === 0 || x >= 100 ? 0 : x >= 10 ? 1 : 2);
  // Rounding may carry into the next unit (999.7 kB -> 1000 kB): move up once more then.
  while (i < UNITS.length - 1 && Number(v.toFixed(digits(v, i))) >= 1000) {
    v /= 1000;
    i++;
  }
  return `${n < 0 ? '-' : ''}${Number(v.toFixed(digits(v, i)))} ${UNITS[i]}`;
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} m`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

export function formatMultiple(x: number): string {
  return x >= 10 ? `${Math.round(x)}x` : `${Number(x.toFixed(1))}x`;
}

export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** 0.99 -> "99th", 0.95 -> "95th", 0.5 -> "50th" */
export function ordinalPercentile(q: number): string {
  const n = Math.round(q * 1000) / 10;
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}
