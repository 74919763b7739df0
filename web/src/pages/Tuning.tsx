// Tuning (#/tuning, admins): the alert floor the detector uses and who chose it; a tuning run (a replay of
// stored history under candidate floors) as a chart and tables: alerts a day per severity and per
// department, the confirmed alerts each candidate still raises; a form to start a run (its progress while
// it runs); and "apply this floor", which asks for a reason and goes through the audited API action.
import { useEffect, useState } from 'preact/hooks';
import { enc, errorText, get, post } from '../api';
import { Banner } from '../components/Banner';
import { Time } from '../components/Time';
import { floorText, TuningChart } from '../components/TuningChart';
import { formatDay } from '../format';
import { useKeys, useLoad, useTitle } from '../hooks';
import { SEVERITIES, type AlertFloor, type TuningCandidate, type TuningJob, type TuningRun, type TuningRunHead, type TuningStatus } from '../types';

const num = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

function CurrentFloor({ floor }: { floor: AlertFloor }) {
  return (
    <p class="current-floor" data-testid="current-floor">
      The detector raises an alert for a day at least as unusual as <strong data-testid="current-floor-value">{floorText(floor.value)}</strong> ordinary user-days in 1,000.{' '}
      {floor.source === 'chosen' ? (
        <span class="muted">
          Chosen by <span data-testid="current-floor-actor">{floor.actor}</span> on <Time at={floor.at!} />: “{floor.reason}”{floor.runId && <> (from run <span class="mono">{floor.runId}</span>)</>}. The configuration file says{' '}
          {floorText(floor.configured)}.
        </span>
      ) : (
        <span class="muted">From the configuration file (detection.scoring.alertFloor); no admin has chosen another.</span>
      )}
    </p>
  );
}

function StartRun({ maxDays, job, onStarted }: { maxDays: number; job: TuningJob | null; onStarted: (j: TuningJob) => void }) {
  const [days, setDays] = useState('14');
  const [budget, setBudget] = useState('');
  const [error, setError] = useState<string | null>(null);
  const running = job?.state === 'running';
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const body: { days: number; budget?: number } = { days: Number(days) };
    if (budget.trim() !== '') body.budget = Number(budget);
    try {
      onStarted(await post<TuningJob>('/api/tuning/runs', body));
    } catch (err) {
      setError(errorText(err));
    }
  };
  const p = job?.progress;
  return (
    <form class="generate" aria-label="Start a tuning run" aria-busy={running} onSubmit={submit}>
      <label class="field">
        <span>Days of history to replay</span>
        <input type="number" min={1} max={maxDays} step={1} required value={days} disabled={running} onInput={(e) => setDays(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Budget, alerts a day (optional)</span>
        <input type="number" min={0.01} step="any" value={budget} disabled={running} onInput={(e) => setBudget(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={running}>
        {running ? 'Running…' : 'Start a run'}
      </button>
      {running && p && (
        <span class="progress" role="status" data-testid="tuning-progress">
          <progress aria-label="Replaying stored history" max={Math.max(1, p.hours)} value={p.hour} /> Hour {p.hour} of {p.hours || '…'}, {p.events.toLocaleString('en')} events (started by {job!.actor})
        </span>
      )}
      {job?.state === 'failed' && (
        <p class="action-msg bad" role="alert">
          The last run failed: {job.error}
        </p>
      )}
      {error && (
        <p class="action-msg bad" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function ApplyFloor({ c, runId, onApplied }: { c: TuningCandidate; runId: string; onApplied: (f: AlertFloor) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = floorText(c.alertFloor);
  if (!open)
    return (
      <button type="button" class="small" onClick={() => setOpen(true)}>
        Apply this floor…<span class="sr-only"> {label}</span>
      </button>
    );
  return (
    <form
      class="inline-form"
      aria-label={`Apply the alert floor ${label}`}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          onApplied(await post<AlertFloor>('/api/tuning/floor', { value: c.alertFloor, reason: reason.trim(), runId }));
          setOpen(false);
          setReason('');
        } catch (err) {
          setError(errorText(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <label class="field">
        <span>Reason (kept in the audit trail)</span>
        <input type="text" required maxLength={1000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={busy || reason.trim() === ''}>
        Apply {label}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {error && (
        <p class="action-msg bad" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function RunView({ run, current, onApplied }: { run: TuningRun; current: number; onApplied: (f: AlertFloor) => void }) {
  const confirmed = run.confirmed.length;
  const departments = [...new Set(run.candidates.flatMap((c) => Object.keys(c.perDepartment)))].sort();
  return (
    <>
      <p class="hint">
        Run <span class="mono">{run.runId}</span> by {run.actor}, <Time at={run.at} />: {run.days} days from <Time at={run.from} /> replayed ({run.events.toLocaleString('en')} events), {confirmed} confirmed alert
        {confirmed === 1 ? '' : 's'} in the period.
        {run.budget !== null && (run.proposal !== null ? ` Budget ${run.budget} a day: proposed floor ${floorText(run.proposal)}.` : ` Budget ${run.budget} a day: no candidate stays within it.`)}
      </p>
      <TuningChart run={run} current={current} />
      <div class="table-wrap">
        <table class="grid" aria-label="Alerts a day per severity, per candidate floor">
          <thead>
            <tr>
              <th scope="col">Floor per 1,000</th>
              <th scope="col">Score</th>
              <th scope="col">Alerts a day</th>
              {SEVERITIES.map((s) => (
                <th scope="col" key={s}>
                  {s}
                </th>
              ))}
              <th scope="col">Busiest day</th>
              <th scope="col">Confirmed caught</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {run.candidates.map((c) => (
              <tr key={c.alertFloor} data-floor={c.alertFloor} class={[c.alertFloor === current ? 'is-current' : '', c.alertFloor === run.proposal ? 'is-proposal' : ''].join(' ').trim() || undefined}>
                <th scope="row">
                  {floorText(c.alertFloor)}
                  {c.alertFloor === current && <span class="muted"> (current)</span>}
                </th>
                <td>{c.floorScore}</td>
                <td>{num(c.perDay)}</td>
                {SEVERITIES.map((s) => (
                  <td key={s}>{num(c.perDaySeverity[s] ?? 0)}</td>
                ))}
                <td>{c.maxPerDay}</td>
                <td>
                  {c.catches}/{confirmed}
                </td>
                <td>{c.alertFloor !== current && <ApplyFloor c={c} runId={run.runId} onApplied={onApplied} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {departments.length > 0 && (
        <div class="table-wrap">
          <table class="grid compact" aria-label="Alerts a day per department, per candidate floor">
            <thead>
              <tr>
                <th scope="col">Floor per 1,000</th>
                {departments.map((d) => (
                  <th scope="col" key={d}>
                    {d}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {run.candidates.map((c) => (
                <tr key={c.alertFloor}>
                  <th scope="row">{floorText(c.alertFloor)}</th>
                  {departments.map((d) => (
                    <td key={d}>{num((c.perDepartment[d] ?? 0) / Math.max(1, run.days))}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function Tuning() {
  const status = useLoad((signal) => get<TuningStatus>('/api/tuning', signal), []);
  const runs = useLoad((signal) => get<{ items: TuningRunHead[] }>('/api/tuning/runs', signal), []);
  const [chosen, setChosen] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const runId = chosen ?? runs.data?.items[0]?.runId ?? null;
  const run = useLoad((signal) => (runId ? get<TuningRun>(`/api/tuning/runs/${enc(runId)}`, signal) : Promise.resolve(null)), [runId]);
  useTitle('Tuning');
  useKeys({ r: () => (status.reload(), runs.reload()) });

  const job = status.data?.job ?? null;
  // While a run is in progress, its progress is read every second; when it is done, the new run is shown.
  useEffect(() => {
    if (job?.state !== 'running') return;
    const t = setInterval(async () => {
      try {
        const s = await get<TuningStatus>('/api/tuning');
        status.setData(s);
        if (s.job?.state === 'done' && s.job.runId) {
          setChosen(s.job.runId);
          runs.reload();
          setMessage(`Run ${s.job.runId} finished.`);
        }
      } catch {
        // The next tick asks again; the page keeps the last progress.
      }
    }, 1000);
    return () => clearInterval(t);
  }, [job?.state, job?.jobId]);

  const floor = status.data?.floor;
  return (
    <div class="page tuning-page">
      <div class="page-head">
        <h1>Tuning</h1>
      </div>
      <p class="hint">
        The alert floor sets how many alerts the team gets: a tuning run replays stored history through the detector under candidate floors and shows what each would
        have raised, and which confirmed alerts it would still catch. Applying a floor is audited; running detectors use it within a minute. Also:{' '}
        <span class="mono">insider tune --budget 5/day</span>.
      </p>
      {message && (
        <Banner kind="ok">
          <span data-testid="tuning-message">{message}</span>
        </Banner>
      )}
      {status.error && <Banner>{status.error}</Banner>}
      <section aria-labelledby="floor-h">
        <h2 id="floor-h">Current alert floor</h2>
        {floor ? <CurrentFloor floor={floor} /> : !status.error && <p class="loading">Loading…</p>}
      </section>
      <section aria-labelledby="start-h">
        <h2 id="start-h">Start a run</h2>
        {status.data && <StartRun maxDays={status.data.maxDays} job={job} onStarted={(j) => status.setData({ ...status.data!, job: j })} />}
      </section>
      <section aria-labelledby="run-h">
        <h2 id="run-h">Tuning run</h2>
        {runs.error && <Banner>{runs.error}</Banner>}
        {runs.data && runs.data.items.length === 0 && <p class="muted">No tuning runs yet: start one above, or run insider tune.</p>}
        {runs.data && runs.data.items.length > 0 && (
          <label class="field">
            <span>Run</span>
            <select value={runId ?? ''} onChange={(e) => setChosen(e.currentTarget.value)}>
              {runs.data.items.map((r) => (
                <option key={r.runId} value={r.runId}>
                  {r.at.slice(0, 16).replace('T', ' ')} UTC · {r.actor} · {r.from.slice(0, 10)} – {formatDay(Date.parse(r.to) - 1)}
                  {r.budget !== null ? ` · budget ${r.budget}/day` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        {run.error && <Banner>{run.error}</Banner>}
        {run.data && floor && (
          <RunView
            run={run.data}
            current={floor.value}
            onApplied={(f) => {
              status.setData({ ...status.data!, floor: f });
              setMessage(`Alert floor set to ${floorText(f.value)} per 1,000 user-days (audited). Running detectors use it within a minute.`);
            }}
          />
        )}
      </section>
    </div>
  );
}
