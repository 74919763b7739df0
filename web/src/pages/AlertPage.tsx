// One alert (#/alerts/<id>): why it fired, the charts against the usual, the findings and evidence, and
// the triage panel with the actions. The series loads separately so a slow chart never holds up the rest.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { enc, get } from '../api';
import { Actions } from '../components/Actions';
import { AlertFacts } from '../components/AlertFacts';
import { Banner } from '../components/Banner';
import { Adjustments } from '../components/Adjustments';
import { Evidence } from '../components/Evidence';
import { Findings } from '../components/Findings';
import { HourlyChart } from '../components/HourlyChart';
import { Reveal } from '../components/Reveal';
import { SeverityBadge } from '../components/SeverityBadge';
import { TriagePanel } from '../components/TriagePanel';
import { VolumeChart } from '../components/VolumeChart';
import { useKeys, useLoad, useNow, useTitle } from '../hooks';
import { employeeHref, go, queueHref } from '../router';
import type { AlertDetail, Series } from '../types';
import { useAlertUpdates } from './useAlertUpdates';

export function AlertPage({ id }: { id: string }) {
  const detail = useLoad((signal) => get<AlertDetail>(`/api/alerts/${enc(id)}`, signal), [id]);
  const series = useLoad((signal) => get<Series>(`/api/alerts/${enc(id)}/series?days=42`, signal), [id]);
  const now = useNow();
  const updates = useAlertUpdates(id);
  const a = detail.data;
  // A pushed (or polled) summary that is newer than what is shown: its numbers and triage state replace
  // those on the page; the evidence and history stay as last viewed until the analyst reloads.
  const [updatedLive, setUpdatedLive] = useState<string | null>(null);
  useEffect(() => {
    const u = updates.latest;
    if (!a || !u || u.alertId !== a.alertId) return;
    const grew = u.revision > a.revision;
    const triaged = JSON.stringify(u.triage) !== JSON.stringify(a.triage);
    if (!grew && !triaged) return;
    detail.setData({ ...a, ...u, evidence: a.evidence, findings: a.findings, explanation: a.explanation, history: a.history, triggerEventId: a.triggerEventId });
    setUpdatedLive(grew ? `Revision ${u.revision}: the numbers above are current; the evidence and history are from when you opened the alert.` : 'Its triage changed (another analyst): the status is current; the history is from when you opened the alert.');
  }, [updates.latest]);
  const reloadAll = () => {
    setUpdatedLive(null);
    detail.reload();
    series.reload();
  };
  useTitle(a ? `${a.severity} · ${a.user}` : 'Alert');
  useKeys({
    u: () => go(queueHref().slice(1)),
    r: reloadAll,
  });

  // An action answers with the alert and its history: no second view (each view is an audit entry).
  const onDone = (updated: AlertDetail) => {
    setUpdatedLive(null);
    detail.setData(updated);
  };

  const marks = useMemo(() => (series.data ? [series.data.alertDay] : []), [series.data]);

  if (!a) {
    return (
      <div class="page">
        <p class="crumbs">
          <a href={queueHref()}>← Alerts</a>
        </p>
        {detail.error ? <Banner>{detail.error}</Banner> : <p class="loading">Loading alert…</p>}
      </div>
    );
  }

  return (
    <div class="page alert-page" data-alert-id={a.alertId}>
      <p class="crumbs">
        <a href={queueHref()}>← Alerts</a> <span class="muted mono">{a.alertId}</span>
      </p>
      <header class="alert-head">
        <h1>
          <SeverityBadge severity={a.severity} /> <span class="pseudonym">{a.user}</span>
        </h1>
        <Reveal pseudonym={a.user} />
        <span class="muted">{[a.department, a.role].filter(Boolean).join(' · ')}</span>
        <a href={employeeHref(a.user)}>Employee history →</a>
      </header>
      <p class="explanation">{a.explanation}</p>
      {detail.error && <Banner>Could not refresh: {detail.error}</Banner>}
      {updatedLive && (
        <p class="live-update" role="status" data-testid="alert-updated">
          Updated {updates.mode === 'push' ? 'live' : 'by polling'}. {updatedLive}{' '}
          <button type="button" class="quiet" onClick={reloadAll}>
            Reload (recorded as a view)
          </button>
        </p>
      )}
      <div class="alert-layout">
        <div class="alert-main">
          <AlertFacts alert={a} now={now} />
          <section aria-label="Charts" class="charts">
            {series.error && <Banner>Could not load the volume series: {series.error}</Banner>}
            {!series.data && !series.error && <p class="loading">Loading charts…</p>}
            {series.data && (
              <>
                <VolumeChart
                  title="Daily volume, last 42 days"
                  days={series.data.days}
                  band={series.data.band}
                  peers={series.data.peers}
                  marks={marks}
                  markLabel="Alert day"
                />
                <HourlyChart hours={series.data.hours ?? []} hourBand={series.data.hourBand} window={series.data.window ?? { start: a.windowStart, end: a.windowEnd }} firedAt={a.firedAt} />
              </>
            )}
          </section>
          <Findings findings={a.findings} />
          <Evidence evidence={a.evidence} />
          {a.adjustments && a.adjustments.made.length + a.adjustments.applied.length > 0 && (
            <section aria-labelledby="adj-h">
              <h2 id="adj-h">Expectation adjustments</h2>
              {a.adjustments.made.length > 0 && <p class="muted">Made by resolving this alert: the detector judges these days against the raised expectation.</p>}
              <Adjustments items={a.adjustments.made} label="Adjustments made by this alert" />
              {a.adjustments.applied.length > 0 && <p class="muted">In force when the detector judged this alert.</p>}
              <Adjustments items={a.adjustments.applied} label="Adjustments applied to this alert" />
            </section>
          )}
        </div>
        <aside class="alert-side" aria-labelledby="triage-h">
          <h2 id="triage-h">Triage</h2>
          <TriagePanel alert={a} history={a.history} now={now}>
            <Actions key={a.alertId} alert={a} onDone={onDone} />
          </TriagePanel>
        </aside>
      </div>
    </div>
  );
}
