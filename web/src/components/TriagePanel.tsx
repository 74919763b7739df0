// Where the alert stands: status, assignee, verdict, then the actions (children), the notes and every
// action taken, in order.
import type { ComponentChildren } from 'preact';
import { StatusBadge } from './StatusBadge';
import { Time } from './Time';
import { formatUtc, humanize } from '../format';
import type { Alert, HistoryEntry } from '../types';

interface Props {
  alert: Alert;
  history: HistoryEntry[];
  now: number;
  children?: ComponentChildren;
}

/** One history line in words: "resolved as false positive (suppression sup_...)". */
function describe(h: HistoryEntry): string {
  switch (h.action) {
    case 'acknowledge':
      return 'acknowledged';
    case 'assign':
      return h.assignee ? `assigned to ${h.assignee}` : 'unassigned';
    case 'note':
      return 'added a note';
    case 'resolve':
      return `resolved as ${humanize(h.disposition).toLowerCase()}${h.suppressionId ? ` and suppressed (${h.suppressionId})` : ''}`;
    case 'snooze':
      return h.snoozeUntil ? `snoozed until ${formatUtc(h.snoozeUntil)}` : 'snoozed';
    case 'reopen':
      return 'reopened';
    default:
      return h.action;
  }
}

export function TriagePanel({ alert: a, history, now, children }: Props) {
  const t = a.triage;
  return (
    <div class="triage">
      <dl class="kv">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={t.status} testId="alert-status" />
          {t.status === 'snoozed' && t.snoozedUntil && (
            <span class="muted">
              {' '}
              until <Time at={t.snoozedUntil} />
            </span>
          )}
        </dd>
        <dt>Assignee</dt>
        <dd data-testid="alert-assignee">{t.assignee ?? <span class="muted">nobody</span>}</dd>
        <dt>Disposition</dt>
        <dd>
          <span data-testid="alert-disposition" data-value={t.disposition ?? ''} class={t.disposition ? 'disposition' : 'muted'}>
            {t.disposition ?? 'none'}
          </span>
        </dd>
        {t.acknowledgedAt && (
          <>
            <dt>Acknowledged</dt>
            <dd>
              <Time at={t.acknowledgedAt} />
            </dd>
          </>
        )}
        {t.resolvedAt && (
          <>
            <dt>Resolved</dt>
            <dd>
              <Time at={t.resolvedAt} />
            </dd>
          </>
        )}
      </dl>
      {children}
      <h3>Notes</h3>
      {t.notes.length === 0 ? (
        <p class="muted">No notes yet.</p>
      ) : (
        <ul class="notes" data-testid="alert-notes">
          {t.notes.map((n, i) => (
            <li key={`${n.at}-${i}`}>
              <p class="note-text">{n.note}</p>
              <p class="note-meta">
                {n.actor} · <Time at={n.at} age now={now} />
              </p>
            </li>
          ))}
        </ul>
      )}
      <h3>History</h3>
      {history.length === 0 ? (
        <p class="muted">No actions yet.</p>
      ) : (
        <ol class="history" data-testid="alert-history">
          {history.map((h) => (
            <li key={h.actionId}>
              <span class="h-who">{h.actor}</span> {describe(h)}
              <span class="h-when">
                <Time at={h.at} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
