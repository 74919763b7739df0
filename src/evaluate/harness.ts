// The evaluation harness: how well does each detector find the labelled insider scenarios of a simulated
// organisation, and how many false alerts does it raise doing so?
//
//   simulate (seeded) -> fresh database + topic -> directory, replay to Kafka, real ingester
//     -> every registered detector over the period -> score against labels.json -> eval-<seed>.json
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import { EvaluationError } from '../errors';
import { createKafka } from '../kafka';
import type { Logger } from '../log';
import { createSimulation, OUTPUT_FILES, writeSimulation, type Labels } from '../simulate';
import { sql } from '../store';
import type { Detector, EvalAlert } from './detector';
import { registeredDetectors } from './detectors';
import { loadDirectory, replayFile, startIngest, type IngestOutcome } from './load';
import { scenariosMatching, scoreDetector, type DetectorScore, type LabelledScenario, type ScenarioResult } from './score';
import { createWorkspace } from './workspace';
import { scoreFloors, type FloorResult, type SeedResult } from './floors';
import { scoreCases, type CaseMetrics } from './cases';
import { caseOptions } from '../cases';

/** The default end of the simulated period: fixed, so that a seed gives the same evaluation on any day. */
export const DEFAULT_EVAL_END = Date.parse('2026-10-01T00:00:00Z');

export interface EvaluationOptions {
  seed: number;
  employees: number;
  days: number;
  /** End of the simulated period (exclusive), ms since the epoch. */
  end: number;
  /** Where eval-<seed>.json goes. */
  outDir: string;
  /** A directory written by `insider simulate` to use instead of simulating (its labels decide seed and period). */
  reuseDir?: string;
  /** Keep the database, topic and simulation files afterwards. */
  keep?: boolean;
  detectors?: Detector[];
}

export interface EvaluationDeps {
  config: Readonly<Config>;
  log: Logger;
  progress: (line: string) => void;
}

export interface AlertRecord {
  user: string;
  severity: EvalAlert['severity'];
  windowStart: string;
  windowEnd: string;
  firedAt: string;
  observedBytes: number;
  /** The alert's score (decibans), when the detector gives one. */
  score?: number;
  reason: string;
  /** Scenario ids the alert matches (empty: a false alert on no scenario). */
  matches: string[];
}

export interface EvaluationResult {
  generator: 'insider eval';
  format: 1;
  seed: number;
  params: { employees: number; serviceAccounts: number; days: number; start: string; end: string; reusedSimulation: string | null };
  /** Wall-clock time the evaluation finished (not tied to any source revision). */
  generatedAt: string;
  timingsMs: Record<string, number>;
  data: { events: number; stored: number; deadLettered: number; users: number; userDays: number; database: string; topic: string; kept: boolean; simulationDir: string | null };
  detectors: Array<{ name: string; description: string; metrics: DetectorScore['metrics']; cases: CaseMetrics; floors: Array<{ floor: string; metrics: DetectorScore['metrics']; bulkBeforeEnd: number; bulk: number; othersDetected: number; others: number }>; alerts: AlertRecord[] }>;
  scenarios: Array<LabelledScenario & { events: number; bytes: number; description: string; results: Record<string, Omit<ScenarioResult, 'scenario'>> }>;
}

export interface EvaluationRun {
  result: EvaluationResult;
  file: string;
  labels: Labels;
  scores: DetectorScore[];
  /** Each detector at each severity floor (floors.ts). */
  seed: SeedResult;
}

export async function runEvaluation(opts: EvaluationOptions, deps: EvaluationDeps): Promise<EvaluationRun> {
  const { config, log, progress } = deps;
  const detectors = opts.detectors ?? registeredDetectors(config.detection);
  const timings: Record<string, number> = {};
  const began = Date.now();
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[step] = Date.now() - t0;
    }
  };

  const simDir = opts.reuseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `insider-eval-${opts.seed}-`));
  const ownSimDir = opts.reuseDir === undefined;
  const keepSim = opts.keep === true || !ownSimDir;
  try {
    const labels = ownSimDir ? await timed('simulate', () => simulate(opts, simDir, progress)) : readLabels(simDir);
    if (!ownSimDir) progress(`eval: reusing the simulation in ${simDir} (seed ${labels.seed}, ${labels.days} days, ${labels.events} events)`);
    const kafka = createKafka(config.kafka, log);
    const ws = await timed('prepare', () => createWorkspace({ config, kafka, seed: labels.seed, now: Date.now(), progress: (l) => progress(`migrate: ${l}`) }));
    progress(`eval: database ${ws.database}, topic ${ws.topic}`);
    const kept = opts.keep === true;
    try {
      const entries = await timed('directory', () => loadDirectory(ws.ch, path.join(simDir, OUTPUT_FILES.directory)));
      progress(`directory: ${entries} entries loaded`);
      // The ingester consumes while the replay produces, as in production; both end when ClickHouse has it all.
      const ingest = await startIngest({ config, kafka, ws, log, progress });
      let ingested: IngestOutcome;
      try {
        const replayed = await timed('replay', () => replayFile(kafka, ws.topic, path.join(simDir, OUTPUT_FILES.events), progress));
        progress(`replay: done, ${replayed.sent} events sent to ${ws.topic} in ${(replayed.elapsedMs / 1000).toFixed(1)} s`);
        if (replayed.sent !== labels.events) {
          throw new EvaluationError(`${OUTPUT_FILES.events} holds ${replayed.sent} events, ${OUTPUT_FILES.labels} says ${labels.events}: not the same simulation`);
        }
        // timingsMs.ingest: the wait after the replay finished; ingest-total: from the ingester's start.
        ingested = await timed('ingest', () => ingest.waitFor(replayed.sent));
        timings['ingest-total'] = ingested.elapsedMs;
      } finally {
        await timed('ingest-stop', () => ingest.stop());
      }
      if (ingested.deadLettered > 0) progress(`warning: ${ingested.deadLettered} simulated events were dead-lettered (see ${ws.deadLetterTopic})`);

      const from = new Date(labels.start);
      const to = new Date(labels.end);
      const [{ users }] = await ws.ch.query<{ users: string }>(sql`SELECT uniqExact(user) AS users FROM access_events WHERE ts >= ${from} AND ts < ${to}`);
      const population = { users: Number(users), days: labels.days };
      const scenarios: LabelledScenario[] = labels.scenarios;
      const organisation = { catalogFile: path.join(simDir, OUTPUT_FILES.tables), allowlistFile: path.join(simDir, OUTPUT_FILES.allowlist) };
      const scored: Array<{ detector: Detector; alerts: EvalAlert[]; score: DetectorScore; floors: FloorResult[]; cases: CaseMetrics }> = [];
      for (const detector of detectors) {
        const alerts = await timed(`detect:${detector.name}`, () => detector.detect({ ch: ws.ch, from, to, organisation }));
        progress(`detect: ${detector.name}: ${alerts.length} alert(s)`);
        scored.push({
          detector,
          alerts,
          score: scoreDetector(detector.name, alerts, scenarios, population),
          floors: scoreFloors(detector.name, alerts, scenarios, population),
          cases: scoreCases(alerts, scenarios, population, caseOptions(config)),
        });
      }

      timings.total = Date.now() - began;
      const result: EvaluationResult = {
        generator: 'insider eval',
        format: 1,
        seed: labels.seed,
        params: {
          employees: labels.employees,
          serviceAccounts: labels.service_accounts,
          days: labels.days,
          start: labels.start,
          end: labels.end,
          reusedSimulation: ownSimDir ? null : path.resolve(simDir),
        },
        generatedAt: new Date().toISOString(),
        timingsMs: timings,
        data: {
          events: labels.events,
          stored: ingested.stored,
          deadLettered: ingested.deadLettered,
          users: population.users,
          userDays: population.users * population.days,
          database: ws.database,
          topic: ws.topic,
          kept,
          simulationDir: keepSim ? path.resolve(simDir) : null,
        },
        detectors: scored.map(({ detector, alerts, score, floors, cases }) => ({
          name: detector.name,
          description: detector.description,
          metrics: score.metrics,
          cases,
          floors: floors.map((f) => ({ floor: f.floor, metrics: f.score.metrics, bulkBeforeEnd: f.bulkBeforeEnd, bulk: f.bulk, othersDetected: f.othersDetected, others: f.others })),
          alerts: alerts.map((a) => ({
            user: a.user,
            severity: a.severity,
            windowStart: a.windowStart.toISOString(),
            windowEnd: a.windowEnd.toISOString(),
            firedAt: a.firedAt.toISOString(),
            observedBytes: a.observedBytes,
            ...(a.score === undefined ? {} : { score: a.score }),
            reason: a.reason,
            matches: scenariosMatching(a, scenarios),
          })),
        })),
        scenarios: labels.scenarios.map((s) => ({
          id: s.id,
          kind: s.kind,
          expected: s.expected,
          user: s.user,
          users: s.users,
          ...(s.department === undefined ? {} : { department: s.department }),
          start: s.start,
          end: s.end,
          events: s.events,
          bytes: s.bytes,
          description: s.description,
          results: Object.fromEntries(
            scored.map(({ score }) => {
              const { scenario: _, ...r } = score.scenarios.find((x) => x.scenario === s.id)!;
              return [score.detector, r];
            }),
          ),
        })),
      };
      fs.mkdirSync(opts.outDir, { recursive: true });
      const file = path.join(opts.outDir, `eval-${labels.seed}.json`);
      fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      const seed: SeedResult = { seed: labels.seed, userDays: population.users * population.days, detectors: scored.map((x) => ({ name: x.detector.name, floors: x.floors, cases: x.cases })) };
      return { result, file, labels, scores: scored.map((x) => x.score), seed };
    } finally {
      if (kept) {
        await ws.close();
        progress(`eval: kept database ${ws.database} and topic ${ws.topic}`);
      } else {
        const failures = await ws.dispose();
        for (const f of failures) progress(`warning: could not clean up ${f}`);
      }
    }
  } finally {
    if (keepSim) {
      if (ownSimDir) progress(`eval: simulation kept in ${simDir} (use it again with --reuse ${simDir})`);
    } else {
      fs.rmSync(simDir, { recursive: true, force: true });
    }
  }
}

async function simulate(opts: EvaluationOptions, dir: string, progress: (line: string) => void): Promise<Labels> {
  const sim = createSimulation({ seed: opts.seed, employees: opts.employees, days: opts.days, end: opts.end });
  progress(`simulate: ${opts.employees} employees, ${opts.days} days from ${new Date(sim.start).toISOString()} to ${new Date(sim.end).toISOString()}, seed ${opts.seed}`);
  const result = await writeSimulation(sim, {
    outDir: dir,
    onProgress: (p) => progress(`simulate: day ${p.day}/${p.days}, ${p.events} events written`),
  });
  const l = result.labels;
  progress(`simulate: ${l.events} events, ${l.scenarios.length} scenarios (${l.skipped.length} skipped) in ${(result.elapsedMs / 1000).toFixed(1)} s`);
  for (const s of l.skipped) progress(`simulate: skipped ${s.kind}: ${s.reason}`);
  return l;
}

function readLabels(dir: string): Labels {
  const file = path.join(dir, OUTPUT_FILES.labels);
  for (const f of [file, ...(['events', 'directory', 'tables', 'allowlist'] as const).map((k) => path.join(dir, OUTPUT_FILES[k]))]) {
    if (!fs.existsSync(f)) throw new EvaluationError(`--reuse ${dir}: ${path.basename(f)} is missing; it must be a directory written by insider simulate (without --to-kafka)`, { file: f });
  }
  const labels = JSON.parse(fs.readFileSync(file, 'utf8')) as Labels;
  if (labels.generator !== 'insider simulate' || labels.format !== 1) throw new EvaluationError(`${file}: not a labels file of insider simulate (format 1)`, { file });
  return labels;
}
