// One case (#/cases/<any of its alert ids>): the employee's episode as a timeline, each alert's day,
// numbers, status and explanation with the case's risk after it (viewing it is audited as a view of each
// alert), and the case's actions: acknowledge, assign to me, resolve (each of its alerts, only those
// shown: one stored since stays as it is; a suppression made once, with the newest).
import { useState } from 'preact/hooks';
import { enc, errorText, get, post } from '../api';
import { Banner } from '../components/Banner';
import { ResolveForm, type ResolveBody } from '../components/ResolveForm';
import { SeverityBadge } from '../components/SeverityBadge';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatMultiple, humanize, plural } from '../format';
import { useKeys, useLoad, useTitle } from '../hooks';
import { alertHref, employeeHref, go, href } from '../router';
import { canAct, useSession } from '../session';
import type { Case, CaseActionResult } from '../types';

export function CasePage({ id }: { id: string }) {
  const view = useLoad((signal) => get<Case>(`/api/cases/${enc(id)}`, signal), [id]);
  const c = view.data;
  useTitle(c ? `Case of ${c.user}` : 'Case');
  useKeys({ u: () => go('/cases'), r: () => view.reload() });

  return (
    <div class="page case-page">
      <p class="crumbs">
        <a href={href('/cases')}>← Cases</a>
      </p>
      {view.error && <Banner>{view.error}</Banner>}
      {!c && !view.error && <p class="loading">Loading…</p>}
      {c && (
        <>
          <header class="alert-head">
            <h1>
              Case of <a class="pseudonym" href={employeeHref(c.user)}>{c.user}</a>
            </h1>
            <SeverityBadge severity={c.severity} />
            <span class="muted">
              {[c.department, c.firstDay === c.lastDay ? c.firstDay : `${c.firstDay} – ${c.lastDay}`, plural(c.alerts.length, 'alert'), c.open ? 'open' : 'resolved'].filter(Boolean).join(' · ')}
            </span>
          </header>
          <p data-testid="case-risk">
            Risk now <strong>{c.risk.toFixed(1)}</strong> ({humanize(c.severity)}), peak {c.peakRisk.toFixed(1)} ({humanize(c.peakSeverity)}): each alert's score, the strongest in full and each further
            one less, halved every week since it fired.
          </p>
          <CaseActions c={c} onDone={() => view.reload()} />
          <section aria-labelledby="timeline-h">
            <h2 id="timeline-h">Timeline</h2>
            <ol class="timeline" aria-label="Case timeline">
              {c.alerts.map((s) => (
                <li key={s.alertId} data-alert-id={s.alertId}>
                  <p class="timeline-head">
                    <strong>{s.firstDay === s.lastDay ? s.firstDay : `${s.firstDay} – ${s.lastDay}`}</strong> <SeverityBadge severity={s.severity} /> score {s.score} ·{' '}
                    {formatBytes(s.observedBytes)}
                    {s.ratio > 0 && ` (${formatMultiple(s.ratio)} usual)`} · {s.detectors.join(', ')} · <StatusBadge status={s.status} /> · case risk {s.risk.toFixed(1)} ({humanize(s.caseSeverity)}) ·{' '}
                    <a href={alertHref(s.alertId)}>alert</a>
                  </p>
                  {s.explanation && <p class="explanation">{s.explanation}</p>}
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </div>
  );
}

/** The case's actions for analysts; each applies to the alerts shown, and says what it did. */
function CaseActions({ c, onDone }: { c: Case; onDone: () => void }) {
  const { me } = useSession();
  const [resolving, setResolving] = useState(false);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ text: string; bad: boolean } | null>(null);
  if (!me) return null;
  if (!canAct(me)) return <p class="hint">You are signed in as a viewer: acting on a case needs the analyst role.</p>;
  const shown = c.alerts.map((a) => a.alertId);
  const run = async (action: string, body: object, verb: string) => {
    setBusy(true);
    setSaid(null);
    try {
      const r = await post<CaseActionResult>(`/api/cases/${enc(c.caseOf)}/${action}`, { ...body, alerts: shown });
      const refused = r.skipped.filter((s) => s.refused);
      setSaid({ text: `${humanize(verb)} ${plural(r.applied.length, 'alert')}.${refused.length ? ` Refused on ${refused.map((s) => `${s.alertId}: ${s.reason}`).join('; ')}.` : ''}`, bad: refused.length > 0 });
      setResolving(false);
      onDone();
    } catch (e) {
      setSaid({ text: errorText(e), bad: true });
    } finally {
      setBusy(false);
    }
  };
  const message = said && (
    <p class={said.bad ? 'action-msg bad' : 'action-msg'} role={said.bad ? 'alert' : 'status'} data-testid="case-action-msg">
      {said.text}
    </p>
  );
  if (resolving) {
    return (
      <div class="actions">
        <ResolveForm tables={[]} what="case" busy={busy} onCancel={() => setResolving(false)} onSubmit={(body: ResolveBody) => void run('resolve', body, 'resolved')} />
        {message}
      </div>
    );
  }
  const open = c.alerts.some((a) => a.status === 'open' || a.status === 'snoozed');
  return (
    <div class="actions">
      <div class="button-row">
        {open && (
          <button type="button" class="primary" disabled={busy} onClick={() => void run('acknowledge', {}, 'acknowledged')}>
            Acknowledge case
          </button>
        )}
        {c.open && (
          <button type="button" disabled={busy} onClick={() => setResolving(true)}>
            Resolve case
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => void run('assign', { assignee: me.name }, 'assigned')}>
          Assign case to me
        </button>
      </div>
      {message}
    </div>
  );
}
