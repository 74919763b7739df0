// The evaluation without services: a simulation's files read into memory, the detection engine run over
// them with the in-memory history source (the same rows ClickHouse's rollups give), the reference
// detectors computed from the same daily volumes, and everything scored as `insider eval` scores it. A
// development tool for iterating on detection statistics over several seeds in minutes; `insider eval`
// (the real pipeline: Kafka, the ingester, ClickHouse) is the measurement of record.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { dayOf, MS_PER_HOUR } from '../calendar';
import type { Config, DetectionConfig } from '../config';
import { allowlistFrom, loadAllowlist, loadCatalog, createEngine, createHistoryCarry, type DetectEvent, loadDayHistory, sharedHistory, peopleFrom } from '../detect';
import { loadDirectoryFile } from '../directory';
import { OUTPUT_FILES, type Labels } from '../simulate';
import type { AlertRecord } from '../alerts';
import type { EvalAlert } from './detector';
import { scoreFloors, type SeedResult } from './floors';
import { caseOptions } from '../cases';
import { scoreCases, type CaseOptions } from './cases';
import { evalAlertOf } from './engine-detector';
import { memoryHistorySource } from './memory-history';
import { meanSdAlerts } from './mean-sd';
import { staticThresholdAlerts, ONE_GB } from './static-threshold';
import type { UserDay } from './daily-volume';

export interface OfflineRun {
  labels: Labels;
  result: SeedResult;
  alerts: Record<string, EvalAlert[]>;
  /** The engine's alerts with their findings (latest revision each). */
  engineAlerts: AlertRecord[];
  /** Every revision, in order. */
  revisions: AlertRecord[];
  population: { users: number; days: number };
}

/** Reads events.jsonl of a simulation as detector events, in event order. */
export async function readEvents(file: string): Promise<DetectEvent[]> {
  const out: DetectEvent[] = [];
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as { event_id: string; ts: string; user: string; action: string; bytes: number; rows?: number; database?: string; table?: string; client_ip?: string; client_app?: string; session_id?: string; status?: string };
    out.push({
      eventId: e.event_id,
      ts: Date.parse(e.ts),
      user: e.user,
      action: e.action,
      bytes: e.bytes,
      rows: e.rows ?? 0,
      table: `${e.database ?? ''}.${e.table ?? ''}`,
      clientIp: e.client_ip ?? '',
      clientApp: e.client_app ?? '',
      sessionId: e.session_id ?? '',
      ok: e.status !== 'error',
    });
  }
  return out.sort((a, b) => a.ts - b.ts || (a.user < b.user ? -1 : a.user > b.user ? 1 : a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
}

export async function evaluateOffline(dir: string, detection: DetectionConfig, cases: Config['cases']): Promise<OfflineRun> {
  return (await evaluateOfflineMany(dir, [detection], cases))[0];
}

/** The same simulation through several engines in one pass (their configurations may differ only in `scoring`). */
export async function evaluateOfflineMany(dir: string, detections: ReadonlyArray<DetectionConfig>, cases: Config['cases']): Promise<OfflineRun[]> {
  const detection = detections[0];
  const labels = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_FILES.labels), 'utf8')) as Labels;
  const settings: DetectionConfig = { ...detection, catalogFile: path.join(dir, OUTPUT_FILES.tables), allowlistFile: path.join(dir, OUTPUT_FILES.allowlist) };
  const people = peopleFrom(loadDirectoryFile(path.join(dir, OUTPUT_FILES.directory)).entries);
  const catalog = loadCatalog(settings.catalogFile);
  const events = await readEvents(path.join(dir, OUTPUT_FILES.events));
  const source = memoryHistorySource();
  for (const e of events) source.add(e);
  const carry = createHistoryCarry();
  const history = sharedHistory((day) => loadDayHistory(source, day, settings, people, catalog, carry));
  const allowlist = allowlistFrom(loadAllowlist(settings.allowlistFile).entries);
  const runs = detections.map((d) => ({
    engine: createEngine({ detection: { ...settings, scoring: d.scoring }, people, catalog, allowlist, history, now: () => 0 }),
    latest: new Map<string, AlertRecord>(),
    revisions: [] as AlertRecord[],
  }));
  const from = Date.parse(labels.start);
  const to = Date.parse(labels.end);
  let i = events.findIndex((e) => e.ts >= from);
  for (let h = from; h < to; h += MS_PER_HOUR) {
    const batch: DetectEvent[] = [];
    while (i >= 0 && i < events.length && events[i].ts < Math.min(to, h + MS_PER_HOUR)) batch.push(events[i++]);
    for (const r of runs) {
      for (const a of await r.engine.process(batch)) {
        r.latest.set(a.alertId, a);
        r.revisions.push(a);
      }
    }
  }
  // The references, from the same daily volumes as the rollup holds.
  const first = dayOf(from);
  const last = dayOf(to - 1);
  const daily: UserDay[] = (await source.daily(first - 30, last)).map((r) => ({ user: r.user, day: r.day, bytes: r.bytes }));
  const firstSeen = new Map<string, number>();
  for (const r of await source.daily(0, last)) firstSeen.set(r.user, Math.min(firstSeen.get(r.user) ?? Infinity, r.day));
  const references: Record<string, EvalAlert[]> = {
    'static-1gb': staticThresholdAlerts(daily.filter((d) => d.day >= first && d.day <= last), { name: 'static-1gb', threshold: ONE_GB }),
    'mean-3sd': meanSdAlerts(daily, firstSeen, { first, last }),
  };
  const users = new Set(events.filter((e) => e.ts >= from && e.ts < to).map((e) => e.user)).size;
  const population = { users, days: labels.days };
  // Cases are counted on the first configuration's floors, as insider eval counts them on the configured ones.
  return runs.map((r) => resultOf(labels, population, references, [...r.latest.values()], r.revisions, caseOptions({ cases, detection })));
}

function resultOf(labels: Labels, population: { users: number; days: number }, references: Record<string, EvalAlert[]>, engineAlerts: AlertRecord[], revisions: AlertRecord[], caseOptions: CaseOptions): OfflineRun {
  const insider: EvalAlert[] = engineAlerts.map(evalAlertOf);

  const alerts: Record<string, EvalAlert[]> = { ...references, insider };
  return {
    labels,
    engineAlerts,
    revisions,
    population,
    alerts,
    result: {
      seed: labels.seed,
      userDays: population.users * population.days,
      detectors: Object.entries(alerts).map(([name, list]) => ({ name, floors: scoreFloors(name, list, labels.scenarios, population), cases: scoreCases(list, labels.scenarios, population, caseOptions) })),
    },
  };
}
