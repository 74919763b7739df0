// A case's volume over its episode, small enough for a row of the cases queue: one bar per UTC day from
// the case's first day to its last, the height the volume of the alerts about that day (an alert about
// several days, a slow drip, counts on its last). Days without an alert are gaps: the case's quiet days.
import { formatBytes } from '../format';
import type { CaseStep } from '../types';

const DAY_MS = 86_400_000;
const BAR = 5;
const HEIGHT = 18;
/** A longer episode shows its last days: the queue is about what is happening now. */
const MAX_DAYS = 28;

export function volumeByDay(firstDay: string, lastDay: string, steps: ReadonlyArray<Pick<CaseStep, 'lastDay' | 'observedBytes'>>): Array<{ day: string; bytes: number }> {
  const from = Date.parse(`${firstDay}T00:00:00Z`);
  const to = Date.parse(`${lastDay}T00:00:00Z`);
  const days: Array<{ day: string; bytes: number }> = [];
  for (let t = Math.max(from, to - (MAX_DAYS - 1) * DAY_MS); t <= to; t += DAY_MS) days.push({ day: new Date(t).toISOString().slice(0, 10), bytes: 0 });
  const index = new Map(days.map((d, i) => [d.day, i]));
  for (const s of steps) {
    const i = index.get(s.lastDay);
    if (i !== undefined) days[i].bytes += s.observedBytes;
  }
  return days;
}

export function Sparkline({ firstDay, lastDay, steps }: { firstDay: string; lastDay: string; steps: ReadonlyArray<Pick<CaseStep, 'lastDay' | 'observedBytes'>> }) {
  const days = volumeByDay(firstDay, lastDay, steps);
  const max = Math.max(1, ...days.map((d) => d.bytes));
  const label = `Alert volume by day: ${days.filter((d) => d.bytes > 0).map((d) => `${d.day} ${formatBytes(d.bytes)}`).join(', ')}`;
  return (
    <svg class="sparkline" width={days.length * BAR} height={HEIGHT} viewBox={`0 0 ${days.length * BAR} ${HEIGHT}`} role="img" aria-label={label} data-testid="case-sparkline">
      <title>{label}</title>
      <line x1="0" y1={HEIGHT - 0.5} x2={days.length * BAR} y2={HEIGHT - 0.5} class="sparkline-base" />
      {days.map((d, i) =>
        d.bytes > 0 ? <rect key={d.day} x={i * BAR + 0.5} width={BAR - 1} y={HEIGHT - Math.max(2, (d.bytes / max) * HEIGHT)} height={Math.max(2, (d.bytes / max) * HEIGHT)} /> : null,
      )}
    </svg>
  );
}
