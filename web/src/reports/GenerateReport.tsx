// "Generate now": the last complete day, week or month, made on demand. It takes seconds (queries, a PDF
// through Chromium), so the form shows it is working and for how long.
import { useEffect, useState } from 'preact/hooks';
import { errorText, post } from '../api';
import type { Report } from '../types';

const PERIODS = [
  ['day', 'Last complete day'],
  ['week', 'Last complete week'],
  ['month', 'Last complete month'],
] as const;

export function GenerateReport({ onDone }: { onDone: (r: Report) => void }) {
  const [period, setPeriod] = useState<(typeof PERIODS)[number][0]>('day');
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const busy = startedAt !== null;

  useEffect(() => {
    if (startedAt === null) return;
    const t = setInterval(() => setElapsed(Math.round((Date.now() - startedAt) / 1000)), 1000);
    return () => clearInterval(t);
  }, [startedAt]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setElapsed(0);
    setStartedAt(Date.now());
    try {
      onDone(await post<Report>('/api/reports', { period }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setStartedAt(null);
    }
  };

  return (
    <form class="generate" aria-label="Generate a report" aria-busy={busy} onSubmit={submit}>
      <label class="field">
        <span>Period</span>
        <select value={period} disabled={busy} onChange={(e) => setPeriod(e.currentTarget.value as typeof period)}>
          {PERIODS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Generating…' : 'Generate now'}
      </button>
      {busy && (
        <span class="progress" role="status">
          <progress aria-label="Generating the report" /> Generating the report… {elapsed} s (usually about 10 s)
        </span>
      )}
      {error && (
        <p class="action-msg bad" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
