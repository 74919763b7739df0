// Distributions of the measured times, and the plain-text tables they are printed in.

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1];
}

export interface Distribution {
  n: number;
  p50: number;
  p95: number;
  max: number;
  min: number;
}

export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? NaN, p50: percentile(s, 0.5), p95: percentile(s, 0.95), max: s[s.length - 1] ?? NaN };
}

export const secs = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
export const int = (n: number) => Math.round(n).toLocaleString('en-US');

export const row = (label: string, d: Distribution) => [label, String(d.n), secs(d.p50), secs(d.p95), secs(d.max)];

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
