// A uPlot chart inside a <figure data-chart=...>: the canvas (hidden from screen readers), a caption with
// a key, a one-line readout that follows the cursor, and a visually hidden table with the same numbers.
// data-points is set on the figure once uPlot has drawn, with the number of points drawn.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { readTheme, type Theme } from './theme';

export interface ChartTable {
  caption: string;
  head: string[];
  rows: string[][];
}

interface Props {
  kind: string;
  title: string;
  /** The chart in one sentence, for screen readers (and the tests' eyes). */
  summary: string;
  legend: ComponentChildren;
  controls?: ComponentChildren;
  data: uPlot.AlignedData;
  points: number;
  height: number;
  /** Built when the chart is (re)created, with the page's palette. */
  options: (t: Theme) => Omit<uPlot.Options, 'width' | 'height'>;
  /** The readout line for the point under the cursor (null: the cursor left the plot). */
  readout: (idx: number | null) => string;
  table: ChartTable;
}

export function Chart(p: Props) {
  const fig = useRef<HTMLElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const out = useRef<HTMLParagraphElement>(null);
  const readout = useRef(p.readout);
  readout.current = p.readout;

  useEffect(() => {
    const el = box.current;
    const f = fig.current;
    if (!f) return;
    if (p.points === 0 || !el) {
      f.dataset.points = '0';
      return;
    }
    const show = (idx: number | null) => {
      if (out.current) out.current.textContent = readout.current(idx);
    };
    const base = p.options(readTheme(el));
    const opts: uPlot.Options = {
      ...base,
      width: Math.max(200, el.clientWidth),
      height: p.height,
      legend: { show: false },
      hooks: {
        ...base.hooks,
        draw: [...(base.hooks?.draw ?? []), () => void (f.dataset.points = String(p.points))],
        setCursor: [(u) => show(u.cursor.idx ?? null)],
      },
    };
    const u = new uPlot(opts, p.data, el);
    show(null);
    // Follow the layout (sidebar, window size) without a page reload.
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height: p.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [p.data, p.options, p.height, p.points]);

  return (
    <figure class="chart" data-chart={p.kind} ref={fig}>
      <figcaption>
        <span class="chart-title">{p.title}</span>
        <span class="chart-key">{p.legend}</span>
        {p.controls}
      </figcaption>
      <p class="sr-only">{p.summary}</p>
      {p.points === 0 ? <p class="empty">No activity recorded in this period.</p> : <div class="chart-box" ref={box} aria-hidden="true" />}
      <p class="readout" ref={out} aria-hidden="true" />
      <table class="sr-only">
        <caption>{p.table.caption}</caption>
        <thead>
          <tr>
            {p.table.head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {p.table.rows.map((r) => (
            <tr key={r[0]}>
              {r.map((c, i) => (i === 0 ? <th scope="row" key={i}>{c}</th> : <td key={i}>{c}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
