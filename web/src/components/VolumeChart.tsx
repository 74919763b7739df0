// Daily volume of one employee (alert page: 42 days up to the alert day; employee page: 90 days): bars,
// their usual band shaded, the peers' p10..p90 as a lighter dashed band, alert days in red.
import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import { Chart } from '../charts/Chart';
import { drawBand } from '../charts/draw';
import { dwarfs, LogToggle, useLogScale } from '../charts/LogToggle';
import { bytesAxis, noZoom, timeAxis, utc, yRange, type Theme } from '../charts/theme';
import { formatBytes, formatDay, formatMultiple } from '../format';
import type { Band, DayBytes, Peers } from '../types';

interface Props {
  days: DayBytes[];
  band: Band | null;
  peers: Peers | null;
  /** Days drawn in red: the alert's day, or the days an employee had alerts. */
  marks: string[];
  markLabel: string;
  title: string;
  height?: number;
}

const dayTs = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
const range = (lo: number, hi: number) => `${formatBytes(lo)}–${formatBytes(hi)}`;

export function VolumeChart({ days, band, peers, marks, markLabel, title, height = 210 }: Props) {
  const [log, setLog] = useLogScale(useMemo(() => dwarfs(days.map((d) => d.bytes), band?.high), [days, band]));
  const marked = useMemo(() => new Set(marks), [marks.join('|')]);
  const peerOf = useMemo(() => new Map((peers?.days ?? []).map((p) => [p.day, p])), [peers]);

  const data = useMemo<uPlot.AlignedData>(() => {
    // A log scale has no place for 0: quiet days are left out of it rather than drawn at a fake floor.
    const y = (b: number | null | undefined) => (b === null || b === undefined || (log && b <= 0) ? null : b);
    return [
      days.map((d) => dayTs(d.day)),
      days.map((d) => y(peerOf.get(d.day)?.high)),
      days.map((d) => y(peerOf.get(d.day)?.low)),
      days.map((d) => (marked.has(d.day) ? null : y(d.bytes))),
      days.map((d) => (marked.has(d.day) ? y(d.bytes) : null)),
    ];
  }, [days, peerOf, marked, log]);

  const options = useMemo(() => {
    const xs = data[0] as number[];
    return (t: Theme): Omit<uPlot.Options, 'width' | 'height'> => {
      const bars = uPlot.paths.bars!({ size: [0.72, 28], gap: 1 });
      const peerLine = { stroke: t.peer, width: 1, dash: [4, 3], points: { show: false } };
      return {
        tzDate: utc,
        scales: {
          x: { time: true, range: [xs[0]! - 43_200, xs[xs.length - 1]! + 43_200] },
          y: { distr: log ? 3 : 1, range: yRange(log, band?.high ?? 0) },
        },
        axes: [timeAxis(t, (ts) => formatDay(ts * 1000).slice(5)), bytesAxis(t, log)],
        series: [
          {},
          { label: 'Peers p90', ...peerLine },
          { label: 'Peers p10', ...peerLine },
          { label: 'Volume', fill: t.bar, stroke: t.bar, width: 0, paths: bars, points: { show: false } },
          { label: markLabel, fill: t.alert, stroke: t.alert, width: 0, paths: bars, points: { show: false } },
        ],
        bands: peers ? [{ series: [1, 2], fill: t.peerFill }] : [],
        hooks: { drawAxes: band ? [drawBand(band, t.band, t.bandLine)] : [] },
        cursor: noZoom,
      };
    };
  }, [data, band, peers, log, markLabel]);

  const describe = (d: DayBytes) => {
    const p = peerOf.get(d.day);
    const parts = [`${d.day}${marked.has(d.day) ? ` (${markLabel.toLowerCase()})` : ''}: ${formatBytes(d.bytes)}`];
    if (band) parts.push(`usual ${range(band.low, band.high)}`);
    if (p && p.low !== null && p.high !== null) parts.push(`peers p10–p90 ${range(p.low, p.high)}`);
    return parts.join(' · ');
  };
  // With the cursor off the plot, the readout shows the latest marked day (else the last day).
  const focusDay = [...days].reverse().find((d) => marked.has(d.day)) ?? days[days.length - 1];
  const readout = (idx: number | null) => {
    const d = idx === null ? focusDay : days[idx];
    return d ? describe(d) : '';
  };

  const summary = [
    `${title}: ${days.length} days${days.length ? ` from ${days[0]!.day} to ${days[days.length - 1]!.day}` : ''}.`,
    focusDay && marked.has(focusDay.day) ? `${markLabel} ${focusDay.day}: ${formatBytes(focusDay.bytes)}${band && band.median > 0 ? `, ${formatMultiple(focusDay.bytes / band.median)} the usual median of ${formatBytes(band.median)}` : ''}.` : '',
    band ? `Usual ${band.kind} band ${range(band.low, band.high)}.` : 'No usual band yet (not enough history).',
    peers ? `Peers: ${peers.group}, ${peers.n} people.` : '',
  ].filter(Boolean).join(' ');

  const legend = (
    <>
      <span class="key">
        <i class="swatch sw-bar" /> Volume
      </span>
      {marks.length > 0 && (
        <span class="key">
          <i class="swatch sw-alert" /> {markLabel}
        </span>
      )}
      {band && (
        <span class="key">
          <i class="swatch sw-band" /> Usual {band.kind} {range(band.low, band.high)}, median {formatBytes(band.median)}
        </span>
      )}
      {peers && (
        <span class="key">
          <i class="swatch sw-peer" /> Peers p10–p90 ({peers.group}, n={peers.n})
        </span>
      )}
    </>
  );
  const controls = <LogToggle log={log} onChange={setLog} />;
  const table = {
    caption: `${title}, bytes per day (UTC)`,
    head: ['Day', 'Volume', 'Peers p10', 'Peers median', 'Peers p90'],
    rows: days.map((d) => {
      const p = peerOf.get(d.day);
      return [`${d.day}${marked.has(d.day) ? ` (${markLabel.toLowerCase()})` : ''}`, formatBytes(d.bytes), formatBytes(p?.low), formatBytes(p?.median), formatBytes(p?.high)];
    }),
  };

  return (
    <Chart kind="daily" title={title} summary={summary} legend={legend} controls={controls} data={data} points={days.length} height={height} options={options} readout={readout} table={table} />
  );
}
