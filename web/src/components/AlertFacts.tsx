// The alert's figures at a glance, one row on a laptop screen: how much, against what, when.
import type { ComponentChildren } from 'preact';
import { formatAge, formatBytes, formatCompact, formatCount, formatDay, formatMultiple, formatUtc } from '../format';
import type { Alert } from '../types';

const DAY_MS = 86_400_000;
const clock = (iso: string) => `${formatUtc(iso, false).slice(11)} UTC`;
// Times on the window's day need only the clock (the Window fact gives the date); others, the full date.
const sameDay = (a: string, b: string) => formatDay(a) === formatDay(b);

/** Windows are usually a whole UTC day: say so rather than print two midnights. */
function windowFact(from: string, to: string): [string, string] {
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (a % DAY_MS === 0 && b - a === DAY_MS) return [formatDay(from), 'whole day, UTC'];
  if (formatDay(from) === formatDay(to)) return [`${clock(from).slice(0, 5)}–${clock(to)}`, formatDay(from)];
  return [formatUtc(from), `until ${formatUtc(to)}`];
}

export function AlertFacts({ alert: a, now }: { alert: Alert; now: number }) {
  const [win, winSub] = windowFact(a.windowStart, a.windowEnd);
  const facts: Array<[string, ComponentChildren, string]> = [
    // "≈": some of the volume was estimated from rows (pgaudit logs rows, not bytes).
    ['Observed', `${(a.evidence.estimatedBytes ?? 0) > 0 ? '≈' : ''}${formatBytes(a.observedBytes)}`, `${formatCompact(a.observedRows)} rows · ${formatCount(a.eventCount)} events${(a.evidence.estimatedBytes ?? 0) > 0 ? ' · bytes estimated' : ''}`],
    ['Usual', formatBytes(a.baselineBytes), 'own usual day'],
    ['Ratio', formatMultiple(a.ratio), 'the usual'],
    ['Peers', formatBytes(a.peerBytes), a.peerGroup],
    ['Score', String(Math.round(a.score)), `revision ${a.revision}`],
    ['Window', win, winSub],
    ['Fired at', <time dateTime={a.firedAt}>{clock(a.firedAt)}</time>, sameDay(a.firedAt, a.windowStart) ? formatAge(a.firedAt, now) : formatUtc(a.firedAt)],
    ['Last event', <time dateTime={a.lastEventAt}>{clock(a.lastEventAt)}</time>, sameDay(a.lastEventAt, a.windowStart) ? formatAge(a.lastEventAt, now) : formatUtc(a.lastEventAt)],
  ];
  return (
    <dl class="facts">
      {facts.map(([k, v, sub]) => (
        <div key={k} class="fact">
          <dt>{k}</dt>
          <dd>
            <span class="fact-value">{v}</span>
            <span class="fact-sub" title={sub}>
              {sub}
            </span>
          </dd>
        </div>
      ))}
    </dl>
  );
}
