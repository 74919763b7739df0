// In evaluation, which labelled insider scenarios a candidate floor would still catch: the labels of an
// `insider simulate` (or `insider eval --keep`) run, scored as `insider eval` scores them (at the low
// floor: every alert counts; a bulk export only when caught before its last event). Lets a team tuning
// on an evaluation database see what a budget costs in catches, not only in alerts.
import fs from 'node:fs';
import type { AlertRecord } from '../alerts';
import { EvaluationError } from '../errors';
import { evalAlertOf, isBulk, scoreFloors, type LabelledScenario } from '../evaluate';

export interface ScenarioCatches {
  /** Bulk exports caught before their last event, of those in the period. */
  bulkBeforeEnd: number;
  bulk: number;
  /** Other insider scenarios caught, of those in the period. */
  othersDetected: number;
  others: number;
  /** Ids of the scenarios not caught (bulk exports caught only after their end included). */
  missed: string[];
}

/** The malicious scenarios of a labels.json file (written by `insider simulate`). */
export function readScenarioLabels(file: string): LabelledScenario[] {
  let labels: { generator?: unknown; format?: unknown; scenarios?: unknown };
  try {
    labels = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof labels;
  } catch (err) {
    throw new EvaluationError(`${file}: cannot read it as JSON labels (${(err as Error).message})`, { file });
  }
  if (labels.generator !== 'insider simulate' || labels.format !== 1 || !Array.isArray(labels.scenarios)) {
    throw new EvaluationError(`${file}: not a labels file of insider simulate (format 1)`, { file });
  }
  return (labels.scenarios as LabelledScenario[]).filter((s) => s.expected === 'malicious');
}

/** The scenarios with an event in [from, to). */
export function scenariosIn(scenarios: ReadonlyArray<LabelledScenario>, from: number, to: number): LabelledScenario[] {
  return scenarios.filter((s) => Date.parse(s.start) < to && Date.parse(s.end) >= from);
}

/** What a candidate's alerts catch of `scenarios`. */
export function scenarioCatches(alerts: ReadonlyArray<AlertRecord>, scenarios: ReadonlyArray<LabelledScenario>, population: { users: number; days: number }): ScenarioCatches {
  const [low] = scoreFloors('insider', alerts.map(evalAlertOf), scenarios, population);
  const byId = new Map(low.score.scenarios.map((r) => [r.scenario, r]));
  const missed = scenarios.filter((s) => (isBulk(s) ? byId.get(s.id)?.firedBeforeEnd !== true : !byId.get(s.id)?.detected)).map((s) => s.id);
  return { bulkBeforeEnd: low.bulkBeforeEnd, bulk: low.bulk, othersDetected: low.othersDetected, others: low.others, missed };
}
