// One employee (#/employees/<pseudonym>): who (as far as the pseudonym goes), 90 days of volume against
// their usual band and their peers, and every alert they had.
import { useMemo } from 'preact/hooks';
import { enc, get } from '../api';
import { Adjustments } from '../components/Adjustments';
import { Banner } from '../components/Banner';
import { Reveal } from '../components/Reveal';
import { SeverityBadge } from '../components/SeverityBadge';
import { StatusBadge } from '../components/StatusBadge';
import { VolumeChart } from '../components/VolumeChart';
import { formatBytes, formatMultiple, formatWindow, plural } from '../format';
import { useKeys, useLoad, useTitle } from '../hooks';
import { alertHref, go, queueHref } from '../router';
import type { EmployeeView } from '../types';

export function Employee({ user }: { user: string }) {
  const view = useLoad((signal) => get<EmployeeView>(`/api/employees/${enc(user)}?days=90`, signal), [user]);
  useTitle(user);
  useKeys({ u: () => go(queueHref().slice(1)), r: () => view.reload() });
  const e = view.data;
  // Days with an alert are drawn in red on the chart (an alert's day is the day its window starts).
  const marks = useMemo(() => [...new Set((e?.alerts ?? []).map((a) => a.windowStart.slice(0, 10)))], [e]);

  return (
    <div class="page employee-page">
      <p class="crumbs">
        <a href={queueHref()}>← Alerts</a>
      </p>
      <header class="alert-head">
        <h1>
          <span class="pseudonym">{user}</span>
        </h1>
        <Reveal pseudonym={user} />
        {e && <span class="muted">{[e.department, e.role].filter(Boolean).join(' · ') || 'Not in the directory'}</span>}
      </header>
      {view.error && <Banner>{view.error}</Banner>}
      {!e && !view.error && <p class="loading">Loading…</p>}
      {e && (
        <>
          <VolumeChart title="Daily volume, last 90 days" days={e.days} band={e.band} peers={e.peers} marks={marks} markLabel="Day with an alert" height={230} />
          <section aria-labelledby="emp-adj-h">
            <h2 id="emp-adj-h">Expectation adjustments</h2>
            <Adjustments items={e.adjustments ?? []} label="Employee adjustments" empty="None: this employee and their peer group are judged by their usual expectations." />
          </section>
          <section aria-labelledby="emp-alerts-h">
            <h2 id="emp-alerts-h">
              Alerts <span class="muted">· {plural(e.alertTotal, 'alert')}{e.alertTotal > e.alerts.length ? `, the newest ${e.alerts.length} listed` : ''}</span>
            </h2>
            {e.alerts.length === 0 ? (
              <p class="muted">No alerts for this employee.</p>
            ) : (
              <div class="table-wrap">
              <table class="grid" aria-label="Employee alerts">
                <thead>
                  <tr>
                    <th scope="col">Severity</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Window (UTC)</th>
                    <th scope="col">Detectors</th>
                    <th scope="col" class="num">Volume</th>
                    <th scope="col" class="num">Ratio</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {e.alerts.map((a) => (
                    <tr key={a.alertId} data-alert-id={a.alertId}>
                      <td>
                        <SeverityBadge severity={a.severity} />
                      </td>
                      <td>
                        <a class="mono" href={alertHref(a.alertId)}>
                          {a.alertId}
                        </a>
                      </td>
                      <td class="nowrap">{formatWindow(a.windowStart, a.windowEnd)}</td>
                      <td>
                        {a.detectors.map((d) => (
                          <span key={d} class="chip">
                            {d}
                          </span>
                        ))}
                      </td>
                      <td class="num">{formatBytes(a.observedBytes)}</td>
                      <td class="num">{formatMultiple(a.ratio)} usual</td>
                      <td class="nowrap">
                        <StatusBadge status={a.triage.status} />
                        {a.triage.disposition && <span class="muted"> {a.triage.disposition}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}
