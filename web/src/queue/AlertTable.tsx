// The queue's table: one row per alert, the pseudonym link as each row's keyboard target, sortable
// column headers (buttons inside <th>, with aria-sort), and the live marks on fresh rows.
import { SeverityBadge } from '../components/SeverityBadge';
import { StatusBadge } from '../components/StatusBadge';
import { formatAge, formatBytes, formatMultiple, formatUtc } from '../format';
import { alertHref } from '../router';
import type { AlertSummary } from '../types';
import type { SortDir, SortKey } from './sort';
import type { Freshness } from './useLiveAlerts';

interface Props {
  items: AlertSummary[];
  sort: SortKey | '';
  dir: SortDir;
  onSort: (k: SortKey) => void;
  selectedId: string | null;
  onSelect: (id: string) => void;
  fresh: ReadonlyMap<string, Freshness>;
  now: number;
}

function SortHeader(p: { k: SortKey; label: string; sort: SortKey | ''; dir: SortDir; onSort: (k: SortKey) => void; num?: boolean }) {
  const active = p.sort === p.k;
  return (
    <th scope="col" class={p.num ? 'num' : undefined} aria-sort={active ? (p.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="th-sort" onClick={() => p.onSort(p.k)}>
        {p.label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (p.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </th>
  );
}

export function AlertTable({ items, sort, dir, onSort, selectedId, onSelect, fresh, now }: Props) {
  const h = { sort, dir, onSort };
  // A click anywhere on a row opens it, unless the analyst is selecting text to copy.
  const rowClick = (a: AlertSummary) => (e: MouseEvent) => {
    if ((e.target as HTMLElement).closest('a, button') || String(window.getSelection() ?? '') !== '') return;
    onSelect(a.alertId);
    location.hash = alertHref(a.alertId);
  };
  return (
    <table class="grid queue" aria-label="Alerts">
      <thead>
        <tr>
          <SortHeader k="severity" label="Severity" {...h} />
          <th scope="col">Employee</th>
          <th scope="col">Department</th>
          <th scope="col">Detectors</th>
          <SortHeader k="volume" label="Volume" num {...h} />
          <SortHeader k="ratio" label="Ratio" num {...h} />
          <SortHeader k="fired" label="Fired (UTC)" {...h} />
          <SortHeader k="status" label="Status" {...h} />
        </tr>
      </thead>
      <tbody>
        {items.map((a) => {
          const f = fresh.get(a.alertId);
          const cls = [a.alertId === selectedId ? 'selected' : '', f ? `fresh fresh-${f}` : ''].join(' ').trim();
          return (
            <tr key={a.alertId} data-alert-id={a.alertId} class={cls || undefined} aria-current={a.alertId === selectedId ? 'true' : undefined} onClick={rowClick(a)}>
              <td>
                <SeverityBadge severity={a.severity} /> <span class="score" title="Score">{Math.round(a.score)}</span>
              </td>
              <td>
                <a class="pseudonym" href={alertHref(a.alertId)} onFocus={() => onSelect(a.alertId)}>
                  {a.user}
                </a>
                {f && <span class="fresh-tag">{f}</span>}
              </td>
              <td class="clip" title={[a.department, a.role].filter(Boolean).join(' · ')}>
                {a.department ?? '–'}
                {a.role && <span class="muted"> · {a.role}</span>}
              </td>
              <td class="wrap-cell">
                {a.detectors.map((d) => (
                  <span key={d} class="chip">
                    {d}
                  </span>
                ))}
              </td>
              <td class="num">{formatBytes(a.observedBytes)}</td>
              <td class="num">
                <strong>{formatMultiple(a.ratio)}</strong> <span class="muted">usual</span>
              </td>
              <td class="nowrap">
                <time dateTime={a.firedAt}>{formatUtc(a.firedAt, false)}</time> <span class="age">{formatAge(a.firedAt, now)}</span>
              </td>
              <td class="nowrap">
                <StatusBadge status={a.triage.status} />
                {a.triage.assignee && <span class="assignee"> {a.triage.assignee}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
