// The cases (#/cases, the dashboard's default page): one employee's alerts while an episode lasts, open
// ones ranked by their accumulated risk now (the analyst's queue), each with its volume by day and its
// detectors; ?state=all shows resolved ones too. Read again when the API's event stream says alerts changed
// (new alerts, revisions, triage), every 15 s when no stream can be had, and on "r"; the alert list stays
// one click away.
import { get, query } from '../api';
import { Banner } from '../components/Banner';
import { SeverityBadge } from '../components/SeverityBadge';
import { Sparkline } from '../components/Sparkline';
import { formatClock, plural } from '../format';
import { useKeys, useLoad, useTitle } from '../hooks';
import { caseHref, employeeHref, queueHref, replace, type Route } from '../router';
import type { CasePage } from '../types';
import { subscribe, type LiveMode } from '../live';
import { useEffect, useState } from 'preact/hooks';

const REFRESH_MS = 15_000;
/** Changes arriving together are read once. */
const SETTLE_MS = 300;

export function Cases({ route }: { route: Route }) {
  const all = route.query.get('state') === 'all';
  const list = useLoad((signal) => get<CasePage>(`/api/cases${query({ state: all ? 'all' : undefined })}`, signal), [all]);
  useTitle('Cases');
  useKeys({ r: () => list.reload() });
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [pushes, setPushes] = useState(0);
  useEffect(() => {
    let settle: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribe('/api/stream', {
      // Changes may have been missed while the stream was away.
      onOpen: () => list.reload(),
      onAlerts: () => {
        setPushes((n) => n + 1);
        clearTimeout(settle);
        settle = setTimeout(() => list.reload(), SETTLE_MS);
      },
      onMode: (m) => setMode(m),
    });
    return () => {
      clearTimeout(settle);
      unsubscribe();
    };
  }, [list.reload]);
  useEffect(() => {
    if (mode === 'push') return;
    const t = setInterval(() => list.reload(), REFRESH_MS);
    return () => clearInterval(t);
  }, [mode, list.reload]);
  const items = list.data?.items ?? [];

  return (
    <div class="page cases-page">
      <div class="page-head">
        <h1>Cases</h1>
        <p class="count" data-testid="case-count" data-total={list.data ? items.length : undefined}>
          {list.data ? `${plural(items.length, all ? 'case' : 'open case')} from ${plural(list.data.alerts, 'alert')} of the last 90 days` : 'Loading…'}
        </p>
        <p class="muted">
          <label class="check">
            <input type="checkbox" checked={all} onChange={(e) => replace(e.currentTarget.checked ? '/cases?state=all' : '/cases')} />
            Resolved cases too
          </label>{' '}
          · <a href={queueHref()}>Every alert</a>
        </p>
      </div>
      {list.error && <Banner>Could not load the cases: {list.error.replace(/\.?$/, '.')} Retrying every 15 s.</Banner>}
      <div class="table-wrap">
        <table class="grid" aria-label="Cases">
          <thead>
            <tr>
              <th scope="col" class="num">Risk now</th>
              <th scope="col">Severity</th>
              <th scope="col">Employee</th>
              <th scope="col">Days (UTC)</th>
              <th scope="col">Volume</th>
              <th scope="col" class="num">Alerts</th>
              <th scope="col">Peak</th>
              <th scope="col">Detectors</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.caseOf} data-case-id={c.caseOf}>
                <td class="num">{c.risk.toFixed(1)}</td>
                <td>
                  <SeverityBadge severity={c.severity} />
                </td>
                <td>
                  <a class="pseudonym" href={caseHref(c.caseOf)}>
                    {c.user}
                  </a>
                  {c.department && <span class="muted"> · {c.department}</span>}
                  {' '}
                  <a class="muted" href={employeeHref(c.user)} aria-label={`${c.user}: employee page`}>
                    ↗
                  </a>
                </td>
                <td>{c.firstDay === c.lastDay ? c.firstDay : `${c.firstDay} – ${c.lastDay}`}</td>
                <td>
                  <Sparkline firstDay={c.firstDay} lastDay={c.lastDay} steps={c.alerts} />
                </td>
                <td class="num">
                  {c.alerts.length}
                  {c.alerts.some((a) => a.status === 'resolved') && c.open && <span class="muted"> ({c.alerts.filter((a) => a.status !== 'resolved').length} open)</span>}
                </td>
                <td>
                  {c.peakRisk.toFixed(1)} <SeverityBadge severity={c.peakSeverity} />
                </td>
                <td>{c.detectors.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 && <p class="empty">{all ? 'No cases in the last 90 days.' : 'No open cases. Nothing needs attention right now.'}</p>}
      </div>
      {list.data && (
        <p class="hint" data-testid="cases-live" data-mode={mode} data-pushes={pushes}>
          Updated {formatClock(Date.now())} UTC · {mode === 'push' ? 'Live' : 'Live (every 15 s)'} · <kbd>r</kbd> reloads
        </p>
      )}
    </div>
  );
}
