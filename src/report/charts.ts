// Charts as inline SVG text, drawn on the server without a DOM or a browser: stacked bars (volume per
// department per day, alerts per severity per day) and band rows (each top user's days against the band
// of their own baseline). Written here rather than taken from a library: the SVG chart libraries in the
// npm registry either need a DOM (chartist, d3-selection) or are ESM-only (d3-scale, d3-shape), which
// this CommonJS build cannot require. Two chart types do not justify either. Every text is escaped.

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const SEVERITY_COLORS: Record<string, string> = { low: '#9ecae1', medium: '#fdae6b', high: '#e6550d', critical: '#a50f15' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number as SVG writes it: finite, at most 2 decimals. */
function n(x: number): string {
  if (!Number.isFinite(x)) return '0';
  return String(Math.round(x * 100) / 100);
}

/** A "nice" axis maximum (1, 2, 2.5, 5 x 10^k) at or above `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export interface StackedBarsInput {
  title: string;
  categories: string[];
  series: Array<{ name: string; values: number[]; color?: string }>;
  format: (v: number) => string;
  /** Counts: the axis has whole-number ticks. */
  integer?: boolean;
  width?: number;
  height?: number;
}

/** Stacked vertical bars, one per category (a day), with a legend and a labelled y axis. */
export function stackedBars(input: StackedBarsInput): string {
  const width = input.width ?? 760;
  const height = input.height ?? 300;
  const legendRows = Math.ceil(input.series.length / 4);
  const m = { top: 30, right: 16, bottom: 40 + legendRows * 16, left: 76 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const totals = input.categories.map((_, i) => input.series.reduce((s, se) => s + Math.max(0, se.values[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  // Four tick intervals: whole numbers need a maximum that is a multiple of 4.
  const max = input.integer ? Math.max(4, Math.ceil(top / 4) * 4) : top;
  const y = (v: number) => m.top + plotH - (v / max) * plotH;
  const slot = plotW / Math.max(1, input.categories.length);
  const barW = Math.max(1, slot * 0.7);
  const parts: string[] = [];
  parts.push(`<text x="${n(m.left)}" y="18" class="chart-title">${escapeXml(input.title)}</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(`<line x1="${n(m.left)}" x2="${n(m.left + plotW)}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="#ddd"/>`);
    parts.push(`<text x="${n(m.left - 6)}" y="${n(y(v) + 4)}" text-anchor="end" class="tick">${escapeXml(input.format(v))}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(input.categories.length / 12));
  input.categories.forEach((cat, i) => {
    const x = m.left + i * slot + (slot - barW) / 2;
    let base = 0;
    input.series.forEach((se, s) => {
      const v = Math.max(0, se.values[i] ?? 0);
      if (v <= 0) return;
      const top = y(base + v);
      parts.push(`<rect x="${n(x)}" y="${n(top)}" width="${n(barW)}" height="${n(y(base) - top)}" fill="${se.color ?? PALETTE[s % PALETTE.length]}"><title>${escapeXml(`${cat} ${se.name}: ${input.format(v)}`)}</title></rect>`);
      base += v;
    });
    if (i % labelEvery === 0) parts.push(`<text x="${n(x + barW / 2)}" y="${n(m.top + plotH + 14)}" text-anchor="middle" class="tick">${escapeXml(cat.length === 10 ? cat.slice(5) : cat)}</text>`);
  });
  parts.push(`<line x1="${n(m.left)}" x2="${n(m.left + plotW)}" y1="${n(m.top + plotH)}" y2="${n(m.top + plotH)}" stroke="#444"/>`);
  input.series.forEach((se, s) => {
    const lx = m.left + (s % 4) * (plotW / 4);
    const ly = m.top + plotH + 30 + Math.floor(s / 4) * 16;
    parts.push(`<rect x="${n(lx)}" y="${n(ly - 9)}" width="10" height="10" fill="${se.color ?? PALETTE[s % PALETTE.length]}"/>`);
    parts.push(`<text x="${n(lx + 14)}" y="${n(ly)}" class="legend">${escapeXml(se.name)}</text>`);
  });
  return svg(width, height, input.title, parts);
}

export interface BandRow {
  label: string;
  /** The usual range (e.g. 10th to 90th percentile of the own baseline) and its middle; null: no baseline. */
  band: { low: number; mid: number; high: number } | null;
  /** Volumes of the period's days (0 = no activity, not drawn). */
  values: number[];
}

/** One row per user on a shared logarithmic axis: the baseline band, its median, and each day of the period. */
export function bandRows(input: { title: string; rows: BandRow[]; format: (v: number) => string; width?: number }): string {
  const width = input.width ?? 760;
  const rowH = 26;
  const m = { top: 30, right: 20, bottom: 46, left: 150 };
  const height = m.top + m.bottom + Math.max(1, input.rows.length) * rowH;
  const plotW = width - m.left - m.right;
  const all = input.rows.flatMap((r) => [...r.values, ...(r.band ? [r.band.low, r.band.high, r.band.mid] : [])]).filter((v) => v > 0);
  const lo = all.length ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 1;
  const hi = all.length ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : 10;
  const span = Math.max(1, Math.log10(hi) - Math.log10(lo));
  const x = (v: number) => m.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="${n(m.left)}" y="18" class="chart-title">${escapeXml(input.title)}</text>`);
  const bottom = m.top + input.rows.length * rowH;
  for (let p = Math.log10(lo); p <= Math.log10(hi) + 1e-9; p++) {
    const v = 10 ** p;
    parts.push(`<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${n(m.top)}" y2="${n(bottom)}" stroke="#ddd"/>`);
    parts.push(`<text x="${n(x(v))}" y="${n(bottom + 14)}" text-anchor="middle" class="tick">${escapeXml(input.format(v))}</text>`);
  }
  input.rows.forEach((r, i) => {
    const cy = m.top + i * rowH + rowH / 2;
    parts.push(`<text x="${n(m.left - 8)}" y="${n(cy + 4)}" text-anchor="end" class="tick">${escapeXml(r.label)}</text>`);
    if (r.band) {
      parts.push(`<rect x="${n(x(r.band.low))}" y="${n(cy - 7)}" width="${n(Math.max(1, x(r.band.high) - x(r.band.low)))}" height="14" fill="#c6dbef"><title>${escapeXml(`usual: ${input.format(r.band.low)} - ${input.format(r.band.high)}, median ${input.format(r.band.mid)}`)}</title></rect>`);
      parts.push(`<line x1="${n(x(r.band.mid))}" x2="${n(x(r.band.mid))}" y1="${n(cy - 9)}" y2="${n(cy + 9)}" stroke="#08519c" stroke-width="2"/>`);
    }
    const peak = Math.max(0, ...r.values);
    r.values.forEach((v) => {
      if (v <= 0) return;
      const above = r.band ? v > r.band.high : false;
      parts.push(`<circle cx="${n(x(v))}" cy="${n(cy)}" r="${v === peak ? 4.5 : 3}" fill="${above ? '#d62728' : '#333'}" fill-opacity="0.75"><title>${escapeXml(input.format(v))}</title></circle>`);
    });
  });
  const ly = bottom + 34;
  parts.push(`<rect x="${n(m.left)}" y="${n(ly - 9)}" width="18" height="10" fill="#c6dbef"/><text x="${n(m.left + 22)}" y="${n(ly)}" class="legend">own baseline, 10th-90th percentile (line: median)</text>`);
  parts.push(`<circle cx="${n(m.left + 330)}" cy="${n(ly - 4)}" r="3" fill="#333"/><text x="${n(m.left + 338)}" y="${n(ly)}" class="legend">a day of the period</text>`);
  parts.push(`<circle cx="${n(m.left + 470)}" cy="${n(ly - 4)}" r="3" fill="#d62728"/><text x="${n(m.left + 478)}" y="${n(ly)}" class="legend">above the band</text>`);
  return svg(width, height, input.title, parts);
}

function svg(width: number, height: number, title: string, parts: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    '<style>.chart-title{font:bold 13px sans-serif}.tick{font:10px sans-serif;fill:#333}.legend{font:11px sans-serif;fill:#333}</style>',
    ...parts,
    '</svg>',
  ].join('\n');
}
