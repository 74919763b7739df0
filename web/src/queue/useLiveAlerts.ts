// The live queue. Updates are pushed: the API's event stream (live.ts) says when alerts change, and the
// page in view is fetched again (the list is the API's: filtered, sorted and counted over every alert).
// Without a stream (it cannot be opened, or is reconnecting) the page is fetched every 5 s while the tab
// is visible, as before. Alerts that appeared since the last fetch, and alerts whose revision grew (the
// export is still running), are marked for 10 s and announced once. A failed fetch keeps the rows in hand
// and says so; the next one tries again. "Show more" follows the page's cursor.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, get, isAbort } from '../api';
import { plural } from '../format';
import { subscribe, type LiveMode } from '../live';
import type { AlertPage, AlertSummary } from '../types';

export const POLL_MS = 5_000;
export const FRESH_MS = 10_000;
/** At most this many rows are fetched again on a change (the API's largest page). */
const MAX_RELOAD = 500;
/** Changes arriving together are fetched once. */
const SETTLE_MS = 300;

export type Freshness = 'new' | 'updated';

export interface LiveAlerts {
  page: AlertPage | null;
  error: string | null;
  /** When the rows in hand were fetched (ms). */
  updatedAt: number | null;
  /** push: the stream tells of changes; poll: every POLL_MS; connecting: polling until the stream opens. */
  mode: LiveMode;
  fresh: ReadonlyMap<string, Freshness>;
  announcement: string;
  reload: () => void;
  /** Appends the next page (keyset); false when there is none. */
  more: () => Promise<boolean>;
  loadingMore: boolean;
  /** Change events received on the stream (shown to tests as data-pushes). */
  pushes: number;
}

interface Diff {
  added: string[];
  grown: string[];
}

/** What changed between two fetches. "New" means created after everything seen before, so an old alert
 * that only scrolled into the page (another one was resolved) is not announced as new. */
export function diffAlerts(before: ReadonlyMap<string, AlertSummary>, items: readonly AlertSummary[]): Diff {
  let newest = '';
  for (const a of before.values()) if (a.createdAt > newest) newest = a.createdAt;
  const added: string[] = [];
  const grown: string[] = [];
  for (const a of items) {
    const old = before.get(a.alertId);
    if (!old) {
      if (a.createdAt > newest) added.push(a.alertId);
    } else if (a.revision > old.revision) grown.push(a.alertId);
  }
  return { added, grown };
}

function announce(d: Diff): string {
  const parts = [];
  if (d.added.length) parts.push(`${plural(d.added.length, 'new alert')}`);
  if (d.grown.length) parts.push(`${plural(d.grown.length, 'alert')} updated`);
  return parts.join(', ');
}

/** `path`: the list's API path with its filters and sort (no limit or cursor); `pageSize` rows a page. */
export function useLiveAlerts(path: string, pageSize: number): LiveAlerts {
  const [page, setPage] = useState<AlertPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [fresh, setFresh] = useState<Map<string, Freshness>>(new Map());
  const [announcement, setAnnouncement] = useState('');
  const [kick, setKick] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  const [pushes, setPushes] = useState(0);
  // The alerts of the previous fetch of this view; null before the first, so the first load is not "new".
  const known = useRef<Map<string, AlertSummary> | null>(null);
  const pageRef = useRef<AlertPage | null>(null);
  const sep = path.includes('?') ? '&' : '?';

  useEffect(() => {
    known.current = null;
    pageRef.current = null;
    setPage(null);
    setFresh(new Map());
    setAnnouncement('');
  }, [path]);

  useEffect(() => {
    let ctl: AbortController | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settle: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let current: LiveMode = 'connecting';
    let running = false;
    let again = false;
    let lastFetch = 0;

    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && !document.hidden && current !== 'push') timer = setTimeout(() => void fetchPage(), POLL_MS);
    };
    const fetchPage = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      lastFetch = Date.now();
      ctl?.abort();
      ctl = new AbortController();
      // As many rows as are shown (after "Show more"), so a change does not shorten the list.
      const limit = Math.min(MAX_RELOAD, Math.max(pageSize, pageRef.current?.items.length ?? 0));
      try {
        const p = await get<AlertPage>(`${path}${sep}limit=${limit}`, ctl.signal);
        if (stopped) return;
        if (known.current) markFresh(diffAlerts(known.current, p.items));
        known.current = new Map(p.items.map((a) => [a.alertId, a]));
        pageRef.current = p;
        setPage(p);
        setError(null);
        setUpdatedAt(Date.now());
      } catch (e) {
        if (stopped || isAbort(e)) return;
        setError(errorText(e));
      } finally {
        running = false;
      }
      if (again) {
        again = false;
        void fetchPage();
      } else schedule();
    };
    const markFresh = (d: Diff) => {
      const ids: Array<[string, Freshness]> = [...d.added.map((id) => [id, 'new'] as [string, Freshness]), ...d.grown.map((id) => [id, 'updated'] as [string, Freshness])];
      if (!ids.length) return;
      setFresh((m) => new Map([...m, ...ids]));
      const text = announce(d);
      setAnnouncement(text);
      setTimeout(() => {
        setFresh((m) => {
          const n = new Map(m);
          for (const [id] of ids) n.delete(id);
          return n;
        });
        setAnnouncement((a) => (a === text ? '' : a));
      }, FRESH_MS);
    };
    const unsubscribe = subscribe('/api/stream', {
      // Fetched since the stream started connecting (the first load): nothing was missed.
      onOpen: (since) => {
        if (lastFetch < since) void fetchPage();
      },
      onAlerts: () => {
        setPushes((n) => n + 1);
        clearTimeout(settle);
        settle = setTimeout(() => void fetchPage(), SETTLE_MS);
      },
      onMode: (m) => {
        current = m;
        setMode(m);
        schedule();
      },
    });
    // A hidden tab does not poll; coming back refreshes at once.
    const onVisible = () => {
      if (document.hidden) clearTimeout(timer);
      else void fetchPage();
    };
    document.addEventListener('visibilitychange', onVisible);
    void fetchPage();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(settle);
      ctl?.abort();
      unsubscribe();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [path, kick]);

  const reload = useCallback(() => setKick((k) => k + 1), []);
  const more = useCallback(async () => {
    const p = pageRef.current;
    if (!p?.nextCursor) return false;
    setLoadingMore(true);
    try {
      const next = await get<AlertPage>(`${path}${sep}limit=${pageSize}&cursor=${encodeURIComponent(p.nextCursor)}`);
      const merged = { ...next, items: [...p.items, ...next.items.filter((a) => !p.items.some((b) => b.alertId === a.alertId))] };
      pageRef.current = merged;
      known.current = new Map(merged.items.map((a) => [a.alertId, a]));
      setPage(merged);
      return next.nextCursor !== null;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setLoadingMore(false);
    }
  }, [path, pageSize]);
  return { page, error, updatedAt, mode, fresh, announcement, reload, more, loadingMore, pushes };
}
