// Small shared hooks: loading with cancellation, a clock for relative ages, page-wide shortcut keys,
// the document title.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText, isAbort } from './api';

export interface Load<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
  /** Replace the data in hand (an action answered with the updated record). */
  setData: (d: T) => void;
}

/** Runs `fn` whenever `deps` change; a result that arrives after a newer request started is dropped. */
export function useLoad<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Load<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  const key = JSON.stringify(deps);
  const lastKey = useRef(key);
  useEffect(() => {
    const ctl = new AbortController();
    // Another record (not a reload of this one): never show the previous one's data under its address.
    if (lastKey.current !== key) {
      lastKey.current = key;
      setData(null);
    }
    setLoading(true);
    setError(null);
    fn(ctl.signal).then(
      (d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setLoading(false);
      },
      (e: unknown) => {
        if (ctl.signal.aborted || isAbort(e)) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [key, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload, setData };
}

/** The current time, refreshed every `ms`, so "5 min ago" does not go stale on a page left open. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** True while the analyst types: single-letter shortcuts must not steal their keystrokes. */
export function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}

export type KeyMap = Record<string, (e: KeyboardEvent) => void>;

/** Page shortcuts by `event.key`; ignored while typing, with modifiers, or when a dialog is open. */
export function useKeys(map: KeyMap): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const f = ref.current[e.key];
      if (f) f(e);
    };
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, []);
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Insider alerts` : 'Insider alerts';
  }, [title]);
}
