// An alert page's live updates: the event stream for this one alert (GET /api/stream?alert=<id>), or, when
// no stream can be had, its summary fetched every 10 s (GET /api/alerts?alert=<id>: a summary, like a list
// row, so polling adds nothing to the audit trail). What arrives is the summary: numbers, severity,
// revision and triage state; the evidence and history change only when the analyst reloads the alert (a
// view of evidence, audited).
import { useEffect, useState } from 'preact/hooks';
import { enc, get, isAbort } from '../api';
import { subscribe, type LiveMode } from '../live';
import type { AlertPage, AlertSummary } from '../types';

export const ALERT_POLL_MS = 10_000;

export function useAlertUpdates(id: string): { latest: AlertSummary | null; mode: LiveMode } {
  const [latest, setLatest] = useState<AlertSummary | null>(null);
  const [mode, setMode] = useState<LiveMode>('connecting');
  useEffect(() => {
    setLatest(null);
    let stopped = false;
    let current: LiveMode = 'connecting';
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ctl: AbortController | null = null;
    let opened = 0;
    const poll = async () => {
      ctl?.abort();
      ctl = new AbortController();
      try {
        const p = await get<AlertPage>(`/api/alerts?alert=${enc(id)}&limit=1`, ctl.signal);
        if (!stopped && p.items[0]) setLatest(p.items[0]);
      } catch (e) {
        if (!isAbort(e)) {
          // The next poll tries again; the page keeps what it shows.
        }
      }
      schedule();
    };
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && current !== 'push') timer = setTimeout(() => void poll(), ALERT_POLL_MS);
    };
    const unsubscribe = subscribe(`/api/stream?alert=${enc(id)}`, {
      // After a reconnect a change may have been missed: ask once (not on the first open, the page just loaded).
      onOpen: (since) => {
        if (opened++ > 0 && since > 0) void poll();
      },
      onAlerts: (items) => {
        const mine = items.find((a) => a.alertId === id);
        if (mine) setLatest(mine);
      },
      onMode: (m) => {
        current = m;
        setMode(m);
        schedule();
      },
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctl?.abort();
      unsubscribe();
    };
  }, [id]);
  return { latest, mode };
}
