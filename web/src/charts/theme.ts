// Chart colours come from the stylesheet's custom properties, so the canvas matches the page and the
// palette is defined (and contrast-checked) in one place: styles.css.
import uPlot from 'uplot';
import { formatBytes } from '../format';

export interface Theme {
  bar: string;
  alert: string;
  band: string;
  bandLine: string;
  peer: string;
  peerFill: string;
  window: string;
  grid: string;
  text: string;
  font: string;
}

export function readTheme(el: Element): Theme {
  const cs = getComputedStyle(el);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  return {
    bar: v('--chart-bar', '#4a6484'),
    alert: v('--chart-alert', '#b42318'),
    band: v('--chart-band', 'rgba(46, 125, 50, 0.14)'),
    bandLine: v('--chart-band-line', '#2e7d32'),
    peer: v('--chart-peer', '#6b6f76'),
    peerFill: v('--chart-peer-fill', 'rgba(107, 111, 118, 0.08)'),
    window: v('--chart-window', 'rgba(180, 35, 24, 0.08)'),
    grid: v('--chart-grid', '#e4e6ea'),
    text: v('--chart-text', '#4b5058'),
    font: `11px ${cs.fontFamily || 'system-ui, sans-serif'}`,
  };
}

/** uPlot reads times in the browser's zone unless told otherwise; the dashboard speaks UTC. */
export const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');

/** Decades only on a log axis (uPlot's default adds every 2..9 multiple, a wall of lines). */
function decades(_u: uPlot, _i: number, min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, 1)));
  const hi = Math.ceil(Math.log10(Math.max(max, 1)));
  const step = hi - lo > 6 ? 2 : 1;
  const out: number[] = [];
  for (let e = lo; e <= hi; e += step) out.push(10 ** e);
  return out;
}

export function bytesAxis(t: Theme, log = false): uPlot.Axis {
  return {
    ...(log ? { splits: decades } : {}),
    stroke: t.text,
    font: t.font,
    size: 62,
    grid: { stroke: t.grid, width: 1 },
    ticks: { stroke: t.grid, width: 1, size: 4 },
    // uPlot's log axis passes null for the labels it leaves out for lack of room.
    values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : v === 0 ? '0' : formatBytes(v))),
  };
}

export function timeAxis(t: Theme, label: (ts: number) => string, space = 48): uPlot.Axis {
  return {
    stroke: t.text,
    font: t.font,
    space,
    size: 28,
    grid: { show: false },
    ticks: { stroke: t.grid, width: 1, size: 4 },
    values: (_u, splits) => splits.map(label),
  };
}

/** The y range: from 0 (or a power of ten below the smallest positive value on a log scale) to a little
 * above the largest of the data and of what the hooks draw (bands are not series, uPlot cannot see them). */
export function yRange(log: boolean, extraMax: number): uPlot.Scale.Range {
  return (_u, min, max) => {
    const hi = Math.max(max ?? 0, extraMax, 1);
    if (!log) return [0, hi * 1.08];
    const lo = Math.max(1, min ?? 1);
    return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi * 1.05))];
  };
}

export const noZoom: uPlot.Cursor = { drag: { x: false, y: false, setScale: false }, points: { show: false } };
