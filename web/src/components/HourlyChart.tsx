// The 48 hours ending with the alert day, hour by hour: bars, the alert window shaded, a red line when
// the alert fired, and the employee's usual volume for each hour of the day as a dashed line. (The window
// is often the whole day, so the bars keep one colour: the shading and the usual line tell the story.)
import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { Chart } from '../charts/Chart';
import { drawMarker, drawSpan } from '../charts/draw';
import { dwarfs, LogToggle, useLogScale } from '../charts/LogToggle';
import { bytesAxis, noZoom, timeAxis, utc, yRange, type Theme } from '../charts/theme';
import { formatBytes, formatDay, formatRange, formatUtc } from '../format';
import type { Series } from '../types';

interface Props {
  hours: Series['hours'];
  hourBand: Series['hourBand'];
  window: Series['window'];
  firedAt: string;
}

const HOUR = 3600;
const pad = (n: number) => String(n).padStart(2, '0');

export function HourlyChart({ hours, hourBand, window: win, firedAt }: Props) {
  const winFrom = Date.parse(win.start) / 1000;
  const winTo = Date.parse(win.end) / 1000;
  const fired = Date.parse(firedAt) / 1000;
  // hourOfDay is taken as the UTC hour, like the hours themselves.
  const usual = useMemo(() => new Map((hourBand ?? []).map((h) => [h.hourOfDay, h])), [hourBand]);
  const starts = useMemo(() => hours.map((h) => Date.parse(h.hour) / 1000), [hours]);
  const inWindow = (s: number) => s < winTo && s + HOUR > winFrom;
  const usualAt = (s: number) => usual.get(new Date(s * 1000).getUTCHours());
  const maxUsual = Math.max(0, ...(hourBand ?? []).map((h) => h.high));
  const [log, setLog] = useLogScale(useMemo(() => dwarfs(hours.map((h) => h.bytes), maxUsual), [hours, maxUsual]));
  // A log axis has no place for 0: quiet hours are left out of it.
  const y = (b: number | null | undefined) => (b === null || b === undefined || (log && b <= 0) ? null : b);

  const data = useMemo<uPlot.AlignedData>(
    () => [
      // Bars are centred on their x: the middle of the hour, so the shaded window lines up with them.
      starts.map((s) => s + HOUR / 2),
      hours.map((h) => y(h.bytes)),
      starts.map((s) => y(usualAt(s)?.high)),
    ],
    [hours, starts, usual, log],
  );

  const options = useMemo(() => {
    return (t: Theme): Omit<uPlot.Options, 'width' | 'height'> => {
      const bars = uPlot.paths.bars!({ size: [0.8, 20], gap: 1 });
      return {
        tzDate: utc,
        scales: {
          x: { time: true, range: [starts[0]!, starts[starts.length - 1]! + HOUR] },
          y: { distr: log ? 3 : 1, range: yRange(log, maxUsual) },
        },
        axes: [
          timeAxis(t, (ts) => {
            const d = new Date(ts * 1000);
            return d.getUTCHours() === 0 ? formatDay(ts * 1000).slice(5) : `${pad(d.getUTCHours())}:00`;
          }, 44),
          bytesAxis(t, log),
        ],
        series: [
          {},
          { label: 'Volume', fill: t.bar, stroke: t.bar, width: 0, paths: bars, points: { show: false } },
          { label: 'Usual at this hour', stroke: t.bandLine, width: 1.5, dash: [5, 3], points: { show: false } },
        ],
        hooks: { drawAxes: [drawSpan(winFrom, winTo, t.window)], draw: [drawMarker(fired, t.alert)] },
        cursor: noZoom,
      };
    };
  }, [data, maxUsual, log, winFrom, winTo, fired]);

  const label = (i: number) => {
    const s = starts[i]!;
    return `${formatUtc(s * 1000, false)}–${pad(new Date((s + HOUR) * 1000).getUTCHours())}:00 UTC`;
  };
  const describe = (i: number) => {
    const u = usualAt(starts[i]!);
    const parts = [`${label(i)}${inWindow(starts[i]!) ? ' (alert window)' : ''}: ${formatBytes(hours[i]!.bytes)}`];
    if (u) parts.push(`usual at this hour up to ${formatBytes(u.high)} (median ${formatBytes(u.median)})`);
    return parts.join(' · ');
  };
  // Off the plot, the readout shows the busiest hour of the window.
  const peak = hours.reduce((best, h, i) => (inWindow(starts[i]!) && (best < 0 || h.bytes > hours[best]!.bytes) ? i : best), -1);
  const readout = (idx: number | null) => (idx !== null ? describe(idx) : peak >= 0 ? `Busiest hour in the window: ${describe(peak)}` : '');

  const total = hours.reduce((s, h) => s + h.bytes, 0);
  const summary = `Hourly volume over the ${hours.length} hours up to the end of the alert day, ${formatBytes(total)} in all. Alert window ${formatRange(win.start, win.end)}; fired at ${formatUtc(firedAt)}.${peak >= 0 ? ` Busiest hour in the window: ${describe(peak)}.` : ''}`;
  const legend = (
    <>
      <span class="key">
        <i class="swatch sw-bar" /> Volume
      </span>
      <span class="key">
        <i class="swatch sw-window" /> Alert window
      </span>
      <span class="key">
        <i class="swatch sw-marker" /> Fired {formatUtc(firedAt, false).slice(11)}
      </span>
      {hourBand && (
        <span class="key">
          <i class="swatch sw-line" /> Usual at this hour (high)
        </span>
      )}
    </>
  );
  const table = {
    caption: 'Bytes per hour (UTC)',
    head: ['Hour (UTC)', 'Volume', 'Usual at this hour (high)', 'In alert window'],
    rows: hours.map((h, i) => [label(i), formatBytes(h.bytes), formatBytes(usualAt(starts[i]!)?.high), inWindow(starts[i]!) ? 'yes' : 'no']),
  };

  return (
    <Chart
      kind="hourly"
      title="Hourly volume, last 48 hours"
      summary={summary}
      legend={legend}
      controls={<LogToggle log={log} onChange={setLog} />}
      data={data} points={hours.length} height={170} options={options} readout={readout} table={table} />
  );
}
