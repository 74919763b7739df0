// Tuning (admin only): the alert floor the detector uses and who chose it; tuning runs (replays of stored
// history under candidate floors: src/tune), listed and read; a run started here (in the background of
// this process, one at a time, its progress in GET /api/tuning; audited: tuning.run); and a floor chosen
// from a run (audited: tuning.apply), which running detectors pick up within SETTINGS_REFRESH_MS.
import { audit, entryOf } from '../../triage';
import { applyAlertFloor, createTuningJobs, loadTuning, runTuning, storeTuningRun, tuningPeriod, tuningRunOf, listTuningRuns, type TuningJob, type TuningRun, type Tuning } from '../../tune';
import type { Config } from '../../config';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { ApiError } from '../errors';
import { iso, isoOrNull } from '../present';
import { API_MAX_TUNING_DAYS, floorOut, tuningFloorBody, tuningJobOut, tuningRunBody, tuningRunListOut, tuningRunOut, tuningRunParams, tuningStatusOut } from '../schemas';
import { errorResponses } from './common';

const presentJob = (j: TuningJob) => ({ ...j, startedAt: iso(j.startedAt), finishedAt: isoOrNull(j.finishedAt) });

const presentFloor = (config: Readonly<Config>, t: Tuning) => {
  const configured = config.detection.scoring.alertFloor;
  const c = t.alertFloor;
  return c
    ? { value: c.value, configured, source: 'chosen' as const, at: iso(c.at), actor: c.actor, reason: c.reason, runId: c.runId || null }
    : { value: configured, configured, source: 'configuration' as const, at: null, actor: null, reason: null, runId: null };
};

const presentRun = (r: TuningRun) => ({
  runId: r.runId,
  at: iso(r.at),
  actor: r.actor,
  from: iso(r.from),
  to: iso(r.to),
  budget: r.budget,
  days: r.result.days,
  events: r.result.events,
  currentFloor: r.result.currentFloor,
  confirmed: r.result.confirmed,
  proposal: r.result.proposal,
  candidates: r.result.candidates.map((c) => ({ ...c.summary, catches: c.catches, caught: c.caught })),
});

export function tuningRoutes(app: ApiApp, ctx: ApiContext): void {
  const tags = ['tuning'];
  const admin = { minRole: 'admin' as const };
  const jobs = createTuningJobs({
    run: (req) => runTuning(ctx.ch, ctx.config, req),
    store: (actor, result) => storeTuningRun(ctx.ch, { name: actor }, result, ctx.now()),
    now: ctx.now,
    onError: (err, job) => ctx.log.warn({ err: (err as Error)?.message, jobId: job.jobId, actor: job.actor }, 'tuning run failed'),
  });

  app.get(
    '/api/tuning',
    { config: admin, schema: { tags, summary: 'The alert floor the detector uses, who chose it and why, and the running or latest tuning run started here', response: { 200: tuningStatusOut, ...errorResponses() } } },
    async () => {
      const j = jobs.latest();
      return { floor: presentFloor(ctx.config, await loadTuning(ctx.ch)), job: j ? presentJob(j) : null, maxDays: API_MAX_TUNING_DAYS };
    },
  );

  app.get('/api/tuning/runs', { config: admin, schema: { tags, summary: 'Stored tuning runs, newest first (from insider tune and this API)', response: { 200: tuningRunListOut, ...errorResponses() } } }, async () => ({
    items: (await listTuningRuns(ctx.ch, 100)).map((r) => ({ ...r, at: iso(r.at), from: iso(r.from), to: iso(r.to) })),
  }));

  app.get(
    '/api/tuning/runs/:runId',
    { config: admin, schema: { tags, summary: 'One tuning run: per candidate floor, alerts a day by severity and department, and the confirmed alerts it still raises', params: tuningRunParams, response: { 200: tuningRunOut, ...errorResponses(404) } } },
    async (request) => {
      const run = await tuningRunOf(ctx.ch, request.params.runId);
      if (!run) throw new ApiError(404, 'NOT_FOUND', `no tuning run ${request.params.runId}`);
      return presentRun(run);
    },
  );

  app.post(
    '/api/tuning/runs',
    {
      config: admin,
      schema: {
        tags,
        summary: `Start a tuning run over at most ${API_MAX_TUNING_DAYS} days of stored history, in the background, one at a time; follow it in GET /api/tuning (audited: tuning.run)`,
        body: tuningRunBody,
        response: { 202: tuningJobOut, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const body = request.body ?? {};
      const req = { from: body.from, to: body.to, days: body.days ?? 14, budget: body.budget, floors: body.floors, maxDays: API_MAX_TUNING_DAYS };
      if (jobs.latest()?.state === 'running') throw new ApiError(409, 'BUSY', 'a tuning run is in progress; one runs at a time (follow it in GET /api/tuning)');
      // The period is settled before answering, so that a bad one is this request's 400, not a failed job.
      const period = await tuningPeriod(ctx.ch, req);
      const job = jobs.start(actor.name, { ...req, ...period });
      await audit(ctx.ch, entryOf(actor, ctx.now(), 'tuning.run', job.jobId, { from: iso(period.from), to: iso(period.to), budget: req.budget ?? null }));
      return reply.code(202).send(presentJob(job));
    },
  );

  app.post(
    '/api/tuning/floor',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Set the alert floor the detector uses (over detection.scoring.alertFloor), with a reason and the run it was chosen from; running detectors pick it up within a minute (audited: tuning.apply)',
        body: tuningFloorBody,
        response: { 200: floorOut, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { value, reason, runId } = request.body;
      await applyAlertFloor(ctx.ch, actorOf(request), { value, reason, runId, detection: ctx.config.detection, now: ctx.now() });
      return presentFloor(ctx.config, await loadTuning(ctx.ch));
    },
  );
}
