// The live queue: GET /api/alerts every 5 s while the tab is visible. Alerts that appeared since the last
// poll, and alerts whose revision grew (the export is still running), are marked for 10 s and announced
// once. A failed poll keeps the rows in hand and says so; the next poll tries again.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, get, isAbort } from '../api';
import { plural } from '../format';
import type { AlertSummary, AlertPage } from '../types';

export const POLL_MS = 5_000;
export const FRESH_MS = 10_000;

export type Freshness = 'new' | 'updated';

export interface LiveAlerts {
  page: AlertPage | null;
  error: string | null;
  /** When the rows in hand were fetched (ms). */
  updatedAt: number | null;
  fresh: ReadonlyMap<string, Freshness>;
  announcement: string;
  reload: () => void;
}

interface Diff {
  added: string[];
  grown: string[];
}

/** What changed between two polls. "New" means created after everything seen before, so an old alert
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

export function useLiveAlerts(path: string): LiveAlerts {
  const [page, setPage] = useState<AlertPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [fresh, setFresh] = useState<Map<string, Freshness>>(new Map());
  const [announcement, setAnnouncement] = useState('');
  const [kick, setKick] = useState(0);
  // The alerts of the previous poll of this view; null before the first, so the first load is not "new".
  const known = useRef<Map<string, AlertSummary> | null>(null);

  useEffect(() => {
    known.current = null;
    setPage(null);
    setFresh(new Map());
    setAnnouncement('');
  }, [path]);

  useEffect(() => {
    let ctl: AbortController | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && !document.hidden) timer = setTimeout(poll, POLL_MS);
    };
    const poll = async () => {
      ctl?.abort();
      ctl = new AbortController();
      try {
        const p = await get<AlertPage>(path, ctl.signal);
        if (stopped) return;
        if (known.current) markFresh(diffAlerts(known.current, p.items));
        known.current = new Map(p.items.map((a) => [a.alertId, a]));
        setPage(p);
        setError(null);
        setUpdatedAt(Date.now());
      } catch (e) {
        if (stopped || isAbort(e)) return;
        setError(errorText(e));
      }
      schedule();
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
    // A hidden tab does not poll; coming back refreshes at once.
    const onVisible = () => {
      if (document.hidden) clearTimeout(timer);
      else void poll();
    };
    document.addEventListener('visibilitychange', onVisible);
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctl?.abort();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [path, kick]);

  const reload = useCallback(() => setKick((k) => k + 1), []);
  return { page, error, updatedAt, fresh, announcement, reload };
}
