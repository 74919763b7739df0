// Tuning runs started from the API: a replay takes minutes, so it runs in the background of the API
// process, one at a time, with its progress readable while it runs; the finished run is stored
// (tuning_runs) and the job says its id, or why it failed. The latest job is kept in memory only: a
// restart forgets a run in progress (nothing half-written is stored), never a finished one.
import type { ReplayProgress } from './replay';
import type { TuningRequest, TuningResult, TuningRun } from './run';
import { TriageError } from '../errors';

export interface TuningJob {
  jobId: string;
  state: 'running' | 'done' | 'failed';
  actor: string;
  startedAt: number;
  finishedAt: number | null;
  request: { from: number | null; to: number | null; days: number; budget: number | null };
  progress: ReplayProgress;
  runId: string | null;
  error: string | null;
}

export interface TuningJobs {
  /** Starts a run in the background; a TRIAGE_CONFLICT while one is running. */
  start(actor: string, req: TuningRequest): TuningJob;
  /** The running job, or the latest one, or null. */
  latest(): TuningJob | null;
  /** Resolves when the running job (if any) has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export function createTuningJobs(deps: {
  run: (req: TuningRequest & { onProgress: (p: ReplayProgress) => void }) => Promise<TuningResult>;
  store: (actor: string, result: TuningResult) => Promise<TuningRun>;
  now: () => number;
  /** Where a failure's cause goes (the job keeps only its message). */
  onError?: (err: unknown, job: TuningJob) => void;
}): TuningJobs {
  let job: TuningJob | null = null;
  let running: Promise<void> = Promise.resolve();
  let seq = 0;
  const copy = (j: TuningJob): TuningJob => ({ ...j, request: { ...j.request }, progress: { ...j.progress } });
  return {
    start(actor, req) {
      if (job?.state === 'running') throw new TriageError('TRIAGE_CONFLICT', `a tuning run is in progress (started by ${job.actor}, hour ${job.progress.hour}/${job.progress.hours}); one runs at a time`);
      const j: TuningJob = {
        jobId: `job-${deps.now()}-${++seq}`,
        state: 'running',
        actor,
        startedAt: deps.now(),
        finishedAt: null,
        request: { from: req.from ?? null, to: req.to ?? null, days: req.days, budget: req.budget ?? null },
        progress: { hour: 0, hours: 0, events: 0 },
        runId: null,
        error: null,
      };
      job = j;
      running = (async () => {
        try {
          const result = await deps.run({ ...req, onProgress: (p) => void (j.progress = { ...p }) });
          j.runId = (await deps.store(actor, result)).runId;
          j.state = 'done';
        } catch (err) {
          j.state = 'failed';
          // A refusal (no events, a bad period) is the caller's to read; anything else only says where to look.
          j.error = err instanceof TriageError ? err.message : `the run failed: ${(err as Error)?.message ?? String(err)}`;
          deps.onError?.(err, j);
        } finally {
          j.finishedAt = deps.now();
        }
      })();
      return copy(j);
    },
    latest: () => (job ? copy(job) : null),
    idle: () => running,
  };
}
