// The alert queue (#/alerts): filters from the address, the live table, the selection driven by j/k.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Banner } from '../components/Banner';
import { formatClock, formatCount, plural } from '../format';
import { useKeys, useNow, useTitle } from '../hooks';
import { alertHref, replace, type Route } from '../router';
import { AlertTable } from '../queue/AlertTable';
import { apiPath, filtersFromQuery, filtersToPath, isFiltered, PAGE_SIZE, type Filters } from '../queue/filters';
import { QueueFilters } from '../queue/QueueFilters';
import { firstDir, type SortKey } from '../queue/sort';
import { useLiveAlerts, type LiveAlerts } from '../queue/useLiveAlerts';

// The selection outlives the page, so "u" from an alert comes back to the same row.
let lastSelected: string | null = null;

export function Queue({ route }: { route: Route }) {
  const filters = useMemo(() => filtersFromQuery(route.query), [route.query.toString()]);
  const path = apiPath(filters);
  const live = useLiveAlerts(path, PAGE_SIZE);
  const now = useNow();
  const [selectedId, select] = useState<string | null>(lastSelected);
  const setSelectedId = (id: string) => select((lastSelected = id));
  const tableRef = useRef<HTMLDivElement>(null);
  const restored = useRef(false);
  // Suggestions for the text filters, remembered across views (there is no catalogue route).
  const seen = useRef({ departments: new Set<string>(), detectors: new Set<string>() });
  useTitle('Alerts');

  const setFilters = (f: Filters) => replace(filtersToPath(f));
  const onSort = (k: SortKey) => setFilters({ ...filters, sort: k, dir: filters.sort === k ? (filters.dir === 'asc' ? 'desc' : 'asc') : firstDir(k) });

  // In the API's order: it sorts every matching alert, not only the rows loaded.
  const items = useMemo(() => live.page?.items ?? [], [live.page]);
  for (const a of live.page?.items ?? []) {
    if (a.department) seen.current.departments.add(a.department);
    a.detectors.forEach((d) => seen.current.detectors.add(d));
  }

  // Back from an alert: focus its row again once the list is in (only once, never while polling).
  useEffect(() => {
    if (restored.current || !live.page) return;
    restored.current = true;
    if (selectedId) tableRef.current?.querySelector<HTMLAnchorElement>(`tr[data-alert-id="${selectedId}"] a.pseudonym`)?.focus();
  }, [live.page]);

  // j/k move the selection and focus its link (which scrolls it into view); Enter opens it.
  const move = (delta: number) => {
    if (!items.length) return;
    const i = items.findIndex((a) => a.alertId === selectedId);
    const next = items[i < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, i + delta))]!;
    setSelectedId(next.alertId);
    tableRef.current?.querySelector<HTMLAnchorElement>(`tr[data-alert-id="${next.alertId}"] a.pseudonym`)?.focus();
  };
  useKeys({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: (e) => {
      if (!selectedId) return;
      e.preventDefault();
      move(1);
    },
    ArrowUp: (e) => {
      if (!selectedId) return;
      e.preventDefault();
      move(-1);
    },
    Enter: (e) => {
      // On a focused link or button the browser already does the right thing.
      if ((e.target as HTMLElement).closest('a, button') || !selectedId) return;
      location.hash = alertHref(selectedId);
    },
    '/': (e) => {
      e.preventDefault();
      document.getElementById('filter-first')?.focus();
    },
    r: () => live.reload(),
  });

  const total = live.page?.total ?? 0;
  return (
    <div class="page queue-page">
      <div class="page-head">
        <h1>Alerts</h1>
        <p class="count" data-testid="alert-count" data-total={live.page ? total : undefined}>
          {live.page ? plural(total, 'alert') : 'Loading…'}
          {live.page && total > items.length && <span class="muted"> ({formatCount(items.length)} shown)</span>}
        </p>
        <p class="live" data-testid="live-status" data-mode={live.mode} data-pushes={live.pushes}>
          <span class={`dot ${live.error ? 'dot-bad' : 'dot-ok'}`} aria-hidden="true" />
          {liveText(live)}
        </p>
        <p class="announce" aria-live="polite" aria-atomic="true" data-testid="live-announcement">
          {live.announcement}
        </p>
      </div>
      <QueueFilters filters={filters} onChange={setFilters} departments={[...seen.current.departments].sort()} detectors={[...seen.current.detectors].sort()} />
      {live.error && (
        <Banner>
          Could not refresh the alerts: {live.error.replace(/\.?$/, '.')}
          {live.updatedAt ? ` Showing the list as of ${formatClock(live.updatedAt)} UTC; retrying.` : ' Retrying.'}
        </Banner>
      )}
      <div class="table-wrap" ref={tableRef}>
        <AlertTable items={items} sort={filters.sort} dir={filters.dir} onSort={onSort} selectedId={selectedId} onSelect={setSelectedId} fresh={live.fresh} now={now} />
        {live.page && items.length === 0 && (
          <p class="empty">{isFiltered(filters) ? 'No alerts match these filters.' : 'No open alerts. Nothing needs attention right now.'}</p>
        )}
        {live.page?.nextCursor && (
          <p class="more">
            <button type="button" class="quiet" disabled={live.loadingMore} onClick={() => void live.more()}>
              {live.loadingMore ? 'Loading…' : `Show ${formatCount(Math.min(PAGE_SIZE, total - items.length))} more`}
            </button>
          </p>
        )}
      </div>
      <p class="hint">
        <kbd>j</kbd> <kbd>k</kbd> move · <kbd>Enter</kbd> opens · <kbd>/</kbd> filters · <kbd>?</kbd> all shortcuts
      </p>
    </div>
  );
}

/** Whether updates are pushed or fetched every few seconds, and when the rows were fetched. */
function liveText(live: LiveAlerts): string {
  if (!live.updatedAt) return 'Live · connecting';
  const at = `updated ${formatClock(live.updatedAt)} UTC`;
  return live.mode === 'push' ? `Live · ${at}` : `Live (every 5 s) · ${at}`;
}
