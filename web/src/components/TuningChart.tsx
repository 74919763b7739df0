// A tuning run as a chart: alerts a day (mean, and the busiest day) against the candidate alert floor on
// a log axis, the confirmed alerts each candidate still raises marked on a second axis, the budget as a
// dashed level and the current floor as a vertical line. The same numbers are in the table below it.
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { Chart } from '../charts/Chart';
import { drawLevel, drawMarker } from '../charts/draw';
import { noZoom, type Theme } from '../charts/theme';
import type { TuningRun } from '../types';

const num = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
/** A floor as written in the configuration: 0.05, 1, 10 (no trailing zeros). */
export const floorText = (x: number) => String(Number(x.toPrecision(6)));

export function TuningChart({ run, current }: { run: TuningRun; current: number }) {
  // uPlot wants x ascending: from the strictest floor to the most sensitive.
  const rows = useMemo(() => [...run.candidates].sort((a, b) => a.alertFloor - b.alertFloor), [run]);
  const confirmed = run.confirmed.length;
  const data = useMemo<uPlot.AlignedData>(
    () => [rows.map((c) => c.alertFloor), rows.map((c) => c.perDay), rows.map((c) => c.maxPerDay), rows.map((c) => (confirmed > 0 ? c.catches : null))],
    [rows, confirmed],
  );
  const options = useMemo(
    () =>
      (t: Theme): Omit<uPlot.Options, 'width' | 'height'> => {
        const axis = (label: string) => ({ stroke: t.text, font: t.font, label, labelFont: t.font, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1, size: 4 } });
        const maxY = Math.max(1, run.budget ?? 0, ...rows.map((c) => c.maxPerDay));
        return {
          scales: {
            x: { time: false, distr: 3, range: (_u, min, max) => [min / 1.6, max * 1.6] },
            y: { range: [0, maxY * 1.1] },
            catches: { range: [0, Math.max(1, confirmed) * 1.1] },
          },
          axes: [
            { ...axis('alert floor (ordinary user-days per 1,000, log)'), values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : floorText(v))) },
            { ...axis('alerts a day'), size: 50 },
            ...(confirmed > 0 ? [{ ...axis('confirmed caught'), side: 1, scale: 'catches', grid: { show: false }, size: 50 }] : []),
          ],
          series: [
            {},
            { label: 'Alerts a day (mean)', stroke: t.bar, width: 2, points: { show: true, size: 6, fill: t.bar } },
            { label: 'Busiest day', stroke: t.peer, width: 1, dash: [4, 3], points: { show: true, size: 4 } },
            { label: 'Confirmed still caught', scale: 'catches', stroke: t.bandLine, width: 0, points: { show: true, size: 11, fill: t.bandLine, stroke: t.bandLine } },
          ],
          hooks: { drawAxes: [drawMarker(current, t.alert), ...(run.budget !== null ? [drawLevel(run.budget, t.alert)] : [])] },
          cursor: noZoom,
        };
      },
    [rows, run.budget, confirmed, current],
  );
  const describe = (i: number) => {
    const c = rows[i]!;
    return `floor ${floorText(c.alertFloor)} per 1,000${c.alertFloor === current ? ' (current)' : ''}: ${num(c.perDay)} alerts a day, busiest day ${c.maxPerDay}, ${c.catches}/${confirmed} confirmed caught`;
  };
  const cur = rows.findIndex((c) => c.alertFloor === current);
  const readout = (idx: number | null) => (idx === null ? (cur >= 0 ? describe(cur) : '') : describe(idx));
  const within = run.budget !== null ? rows.filter((c) => c.perDay <= run.budget!).length : null;
  const summary = [
    `Alerts a day under ${rows.length} candidate alert floors from ${floorText(rows[0]?.alertFloor ?? 0)} to ${floorText(rows[rows.length - 1]?.alertFloor ?? 0)} per 1,000 user-days, ${run.days} days replayed.`,
    `Current floor ${floorText(current)}.`,
    run.budget !== null ? `Budget ${run.budget} a day: ${within} candidates within it${run.proposal !== null ? `, proposed floor ${floorText(run.proposal)}` : ''}.` : '',
    `${confirmed} confirmed alerts in the period.`,
  ].filter(Boolean).join(' ');
  const legend = (
    <>
      <span class="key">
        <i class="swatch sw-bar" /> Alerts a day (mean)
      </span>
      <span class="key">
        <i class="swatch sw-peer" /> Busiest day
      </span>
      {confirmed > 0 && (
        <span class="key">
          <i class="swatch sw-catch" /> Confirmed alerts still caught (right axis, of {confirmed})
        </span>
      )}
      <span class="key">
        <i class="swatch sw-marker" /> Current floor {floorText(current)}
      </span>
      {run.budget !== null && (
        <span class="key">
          <i class="swatch sw-budget" /> Budget {run.budget} a day
        </span>
      )}
    </>
  );
  const table = {
    caption: 'Alerts a day per candidate alert floor',
    head: ['Floor per 1,000', 'Alerts a day', 'Busiest day', 'Confirmed caught'],
    rows: rows.map((c) => [floorText(c.alertFloor), num(c.perDay), String(c.maxPerDay), `${c.catches}/${confirmed}`]),
  };
  return <Chart kind="tuning" title="Alerts a day against the alert floor" summary={summary} legend={legend} data={data} points={rows.length} height={260} options={options} readout={readout} table={table} />;
}
