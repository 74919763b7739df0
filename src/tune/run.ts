// A tuning run, from the replay to what is stored: the one function `insider tune` and the API's Tuning
// routes both call (runTuning), and the table of runs (tuning_runs) they write and read. A run replays
// the stored events of a period under candidate alert floors (replay.ts) and keeps, per candidate, its
// alerts per day by severity and department, the busiest day, and which stored alerts resolved as true
// positives it would still raise; with a budget, the proposed floor.
import crypto from 'node:crypto';
import { alertsOfDays } from '../alerts';
import { dayOf, MS_PER_DAY } from '../calendar';
import type { Config } from '../config';
import { TriageError } from '../errors';
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';
import { loadEngineInputs, statesOf, type Actor } from '../triage';
import { candidateAlertOf, DEFAULT_FLOORS, summarise, withinBudget, type CandidateSummary } from './candidates';
import { replayFloors, type ReplayProgress } from './replay';
import { scenarioCatches, scenariosIn, type ScenarioCatches } from './scenarios';
import { effectiveDetection, loadTuning } from './settings';
import type { LabelledScenario } from '../evaluate';

/** The longest period a run replays (a replay reads every stored event of it). */
export const MAX_TUNING_DAYS = 366;

export interface TuningCandidate {
  summary: CandidateSummary;
  /** Confirmed alerts (resolved true_positive) this candidate still raises: how many, and which. */
  catches: number;
  caught: string[];
  /** In evaluation (labels given): the labelled insider scenarios of the period it would still catch. */
  scenarios?: ScenarioCatches;
}

export interface TuningResult {
  from: number;
  to: number;
  days: number;
  /** The effective alert floor when the run was made. */
  currentFloor: number;
  /** Stored alerts of the period resolved as true positives. */
  confirmed: string[];
  events: number;
  /** Most sensitive first (largest floor first). */
  candidates: TuningCandidate[];
  budget: number | null;
  /** The floor proposed for the budget (null: no budget, or no candidate within it). */
  proposal: number | null;
}

export interface TuningRun {
  runId: string;
  at: number;
  actor: string;
  from: number;
  to: number;
  budget: number | null;
  result: TuningResult;
}

export interface TuningRequest {
  from?: number;
  to?: number;
  /** Length of the period when `from` is not given. */
  days: number;
  floors?: ReadonlyArray<number>;
  budget?: number;
  maxDays?: number;
  /** In evaluation: the labelled insider scenarios (labels.json of `insider simulate`) to score each candidate on. */
  scenarios?: ReadonlyArray<LabelledScenario>;
}

/** Why candidate floors or a budget are refused, or null. */
export function tuningRequestRefusal(req: Pick<TuningRequest, 'floors' | 'budget' | 'days'>): string | null {
  if (req.floors !== undefined && (req.floors.length === 0 || req.floors.some((f) => !Number.isFinite(f) || !(f > 0) || f > 1000)))
    return 'candidate floors are rates per 1,000 user-days: numbers above 0 and at most 1,000';
  if (req.budget !== undefined && (!Number.isFinite(req.budget) || !(req.budget > 0))) return 'the budget is alerts per day: a number above 0';
  if (!Number.isInteger(req.days) || req.days < 1) return 'the period is a whole number of days, at least 1';
  return null;
}

/** The period to replay: [from, to) in ms; `to` defaults to the end of the newest stored event's day. */
export async function tuningPeriod(ch: ClickHouse, req: TuningRequest): Promise<{ from: number; to: number }> {
  let to = req.to;
  if (to === undefined) {
    const rows = await ch.query<{ newest: string; n: string }>(sql`SELECT toUInt64(max(toUInt32(ts))) AS newest, count() AS n FROM access_events`);
    if (!rows[0] || Number(rows[0].n) === 0) throw new TriageError('TRIAGE_INVALID', 'no stored access events to replay (run `insider ingest`, or give the period)');
    to = (dayOf(Number(rows[0].newest) * 1000) + 1) * MS_PER_DAY;
  }
  const from = req.from ?? to - req.days * MS_PER_DAY;
  if (!(to > from)) throw new TriageError('TRIAGE_INVALID', 'the end of the period must be after its start');
  const max = req.maxDays ?? MAX_TUNING_DAYS;
  if (to - from > max * MS_PER_DAY) throw new TriageError('TRIAGE_INVALID', `a tuning run replays at most ${max} days; this period is ${Math.ceil((to - from) / MS_PER_DAY)}`);
  return { from, to };
}

/** Replays the period under the candidate floors (and the current one) and summarises each. Writes nothing. */
export async function runTuning(ch: ClickHouse, config: Readonly<Config>, req: TuningRequest & { onProgress?: (p: ReplayProgress) => void }): Promise<TuningResult> {
  const bad = tuningRequestRefusal(req);
  if (bad) throw new TriageError('TRIAGE_INVALID', bad);
  const { from, to } = await tuningPeriod(ch, req);
  const detection = effectiveDetection(config.detection, await loadTuning(ch));
  const current = detection.scoring.alertFloor;
  const floors = [...new Set([...(req.floors ?? DEFAULT_FLOORS), current])].sort((a, b) => b - a);
  const days = Math.round((to - from) / MS_PER_DAY);
  const inputs = await loadEngineInputs(ch, detection, { alertIdKey: config.api.pseudonymKey });
  // Stored alerts of the period resolved as true positives: what a floor must keep catching.
  const stored = (await alertsOfDays(ch, dayOf(from), dayOf(to - 1))).filter((a) => a.windowEnd > from && a.windowStart < to);
  const states = await statesOf(ch, stored.map((a) => a.alertId), Date.now());
  const confirmed = stored.filter((a) => states.get(a.alertId)?.disposition === 'true_positive').map((a) => a.alertId).sort();
  let events = 0;
  const replay = await replayFloors(ch, detection, inputs, {
    floors,
    from,
    to,
    onProgress: (p) => {
      events = p.events;
      req.onProgress?.(p);
    },
  });
  const departmentOf = (user: string) => inputs.people.get(user)?.department ?? '';
  const labelled = req.scenarios ? scenariosIn(req.scenarios, from, to) : undefined;
  const candidates = floors.map((floor): TuningCandidate => {
    const raised = replay.get(floor) ?? [];
    const alerts = raised.map(candidateAlertOf);
    const ids = new Set(alerts.map((a) => a.alertId));
    const caught = confirmed.filter((id) => ids.has(id));
    const candidate: TuningCandidate = { summary: summarise(alerts, { alertFloor: floor, days, departmentOf }), catches: caught.length, caught };
    if (labelled) candidate.scenarios = scenarioCatches(raised, labelled, { users: inputs.people.size, days });
    return candidate;
  });
  const budget = req.budget ?? null;
  const chosen = budget === null ? null : withinBudget(candidates, budget);
  return { from, to, days, currentFloor: current, confirmed, events, candidates, budget, proposal: chosen?.summary.alertFloor ?? null };
}

export const newRunId = (now: number) => `tr_${new Date(now).toISOString().slice(0, 19).replace(/[-:T]/g, '')}_${crypto.randomBytes(4).toString('hex')}`;

/** Stores a finished run (one row, the result as JSON); returns it with its id. */
export async function storeTuningRun(ch: ClickHouse, actor: Pick<Actor, 'name'>, result: TuningResult, now: number, runId = newRunId(now)): Promise<TuningRun> {
  await ch.insert('tuning_runs', [
    { run_id: runId, at: toDateTime(now), actor: actor.name, period_from: toDateTime(result.from), period_to: toDateTime(result.to), budget: result.budget ?? 0, result: JSON.stringify(result) },
  ]);
  return { runId, at: Math.floor(now / 1000) * 1000, actor: actor.name, from: result.from, to: result.to, budget: result.budget, result };
}

interface RunRow {
  run_id: string;
  at: string;
  actor: string;
  period_from: string;
  period_to: string;
  budget: number;
  result: string;
}

const runOf = (r: RunRow): TuningRun => ({
  runId: r.run_id,
  at: fromDateTime(r.at),
  actor: r.actor,
  from: fromDateTime(r.period_from),
  to: fromDateTime(r.period_to),
  budget: Number(r.budget) > 0 ? Number(r.budget) : null,
  result: JSON.parse(r.result) as TuningResult,
});

/** The newest runs first, without their results' per-candidate detail (a listing). */
export async function listTuningRuns(ch: ClickHouse, limit = 50): Promise<Array<Omit<TuningRun, 'result'> & { proposal: number | null; currentFloor: number; candidates: number }>> {
  const rows = await ch.query<RunRow>(sql`
    SELECT run_id, toString(at) AS at, actor, toString(period_from) AS period_from, toString(period_to) AS period_to, budget, result
    FROM tuning_runs ORDER BY at DESC, run_id DESC LIMIT ${Math.max(1, Math.min(500, Math.floor(limit)))}`);
  return rows.map(runOf).map(({ result, ...r }) => ({ ...r, proposal: result.proposal, currentFloor: result.currentFloor, candidates: result.candidates.length }));
}

/** One stored run, or null. */
export async function tuningRunOf(ch: ClickHouse, runId: string): Promise<TuningRun | null> {
  const rows = await ch.query<RunRow>(sql`
    SELECT run_id, toString(at) AS at, actor, toString(period_from) AS period_from, toString(period_to) AS period_to, budget, result
    FROM tuning_runs WHERE run_id = ${runId} LIMIT 1`);
  return rows[0] ? runOf(rows[0]) : null;
}
