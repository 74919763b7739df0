// The report scheduler (`insider report schedule`): every pollIntervalMs it finds, for each configured
// schedule, the latest cron time (UTC) at or before now; the report for the last complete period before
// that time is due unless the ledger (ClickHouse table report_runs) has a `finished` row for that
// (schedule, period). So a schedule runs once per period, also when the service restarts after the run,
// and a run missed while the service was down is made up at start (the latest period only). A run that
// crashed half-way has `started` without `finished` and is run again (the report directory is replaced
// whole). Webhooks named by the schedule get a signed summary; a failed delivery is tried again on the
// next ticks until it is accepted.
import { Cron } from 'croner';
import { dateString, dayOf } from '../calendar';
import type { Logger } from '../log';
import { send, type HttpRequest, type Outcome, signedJsonPost } from '../notify';
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';
import type { Catalog } from '../detect';
import type { Pseudonyms } from '../triage';
import type { ReportsConfig, ScheduleConfig } from '../config';
import type { ReportSettings } from './data-context';
import { generateReport, type GeneratedReport } from './index';
import { lastCompletePeriod, periodLabel, type ReportPeriod } from './period';
import path from 'node:path';
import crypto from 'node:crypto';
import { reportMetrics } from './metrics';
import { createRegistry, type Registry } from '../telemetry';

export type RunEvent = 'started' | 'finished' | 'failed' | 'delivered';

export interface RunRow {
  schedule: string;
  period: string;
  periodStart: number;
  periodEnd: number;
  event: RunEvent;
  runId: string;
  at: number;
  outDir: string;
  manifestSha256: string;
  detail: string;
}

export interface TickOutcome {
  schedule: string;
  period: ReportPeriod;
  /** written: a report was made now; done: it had been before; failed: see error; delivered: webhooks told. */
  result: 'written' | 'done' | 'failed';
  dir?: string;
  error?: string;
  delivered: string[];
}

export interface SchedulerOptions {
  ch: ClickHouse;
  reports: ReportsConfig;
  pseudonyms: Pseudonyms;
  catalog: Catalog;
  settings: ReportSettings;
  /** The sealer's grace period (reportInputs). */
  sealGraceMs?: number;
  log: Logger;
  now?: () => number;
  env?: Record<string, string | undefined>;
  /** Delivery timeout per webhook request. */
  timeoutMs?: number;
  /** Where its Prometheus metrics go (health.port serves it); none: kept in a registry of its own. */
  registry?: Registry;
}

export interface Scheduler {
  /** One pass over the schedules at `now` (the loop calls it every pollIntervalMs). */
  tick(): Promise<TickOutcome[]>;
  /** Starts the loop (a first tick at once). */
  start(): void;
  /** Stops the loop after the tick in progress. */
  stop(): Promise<void>;
}

/** The latest time at or before `now` that the cron expression names (UTC), or null. */
export function latestFire(expression: string, now: number): number | null {
  const [prev] = new Cron(expression, { timezone: 'UTC', paused: true }).previousRuns(1, new Date(now + 1));
  return prev ? prev.getTime() : null;
}

/** The period a schedule's run at cron time `fire` reports on. */
export function periodOfRun(s: Pick<ScheduleConfig, 'period'>, fire: number): ReportPeriod {
  return lastCompletePeriod(s.period, fire);
}

export function runDir(reports: Pick<ReportsConfig, 'outputDir'>, schedule: string, period: ReportPeriod): string {
  return path.resolve(reports.outputDir, schedule, dateString(dayOf(period.from)));
}

/** The run's events in time order; events of the same millisecond in lifecycle order, the same on every server version. */
export async function readRuns(ch: ClickHouse, schedule: string, periodStart: number): Promise<RunRow[]> {
  const rows = await ch.query<{ schedule: string; period: string; ps: string; pe: string; ev: RunEvent; run_id: string; t: string; ms: number; out_dir: string; manifest_sha256: string; detail: string }>(sql`
    SELECT schedule, period, toString(period_start) AS ps, toString(period_end) AS pe, toString(event) AS ev, run_id, toString(at) AS t, at_ms AS ms, out_dir, manifest_sha256, detail
    FROM report_runs
    WHERE schedule = ${schedule} AND period_start = ${new Date(periodStart)}
    ORDER BY at, at_ms, event, run_id, detail`);
  return rows.map((r) => ({
    schedule: r.schedule,
    period: r.period,
    periodStart: fromDateTime(r.ps),
    periodEnd: fromDateTime(r.pe),
    event: r.ev,
    runId: r.run_id,
    at: fromDateTime(r.t) + Number(r.ms),
    outDir: r.out_dir,
    manifestSha256: r.manifest_sha256,
    detail: r.detail,
  }));
}

async function record(ch: ClickHouse, r: RunRow): Promise<void> {
  await ch.insert('report_runs', [
    {
      schedule: r.schedule,
      period: r.period,
      period_start: toDateTime(r.periodStart),
      period_end: toDateTime(r.periodEnd),
      event: r.event,
      run_id: r.runId,
      at: toDateTime(r.at),
      at_ms: r.at % 1000,
      out_dir: r.outDir,
      manifest_sha256: r.manifestSha256,
      detail: r.detail.slice(0, 2000),
    },
  ]);
}

/** The JSON a webhook receives about a finished report: figures and a link, no employee named. */
export function reportNotice(schedule: string, report: Pick<GeneratedReport, 'data' | 'files' | 'manifestSha256'>, link: string, deliveryId: string, nowMs: number): Record<string, unknown> {
  const d = report.data;
  return {
    version: 1,
    event: 'report',
    delivery_id: deliveryId,
    sent_at: new Date(nowMs).toISOString(),
    schedule,
    title: d.title,
    period: d.period,
    link,
    manifest_sha256: report.manifestSha256,
    files: report.files,
    summary: {
      events: d.summary.events,
      bytes: d.summary.bytes,
      active_users: d.summary.activeUsers,
      alerts: d.alerts.total,
      alerts_by_severity: d.alerts.bySeverity,
      open_alerts: d.openAlerts.total,
      analyst_actions: d.analystActions.total,
      employees_without_enough_history: d.coverage.insufficient.length,
      dead_letters: d.dataQuality.deadLetters.total,
      ingestion_gaps: d.dataQuality.gaps.length,
    },
    // The chains' heads, for the receiving system to keep: later history cannot be rewritten unseen.
    ...(d.record ? { chain_heads: d.record.heads.map((h) => `${h.chain}:${h.seq}:${h.linkHash}`) } : {}),
  };
}

export function noticeRequest(url: string, secret: string | undefined, body: Record<string, unknown>, deliveryId: string, nowMs: number): HttpRequest {
  return signedJsonPost({ url, secret, event: 'report', deliveryId, body, nowMs });
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { ch, reports, log } = opts;
  const now = opts.now ?? Date.now;
  const env = opts.env ?? process.env;
  /** Finished reports of this process, for deliveries still to retry (after a restart: only the ledger). */
  const made = new Map<string, GeneratedReport>();
  const metrics = reportMetrics(opts.registry ?? createRegistry({ defaultMetrics: false }));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  const linkOf = (dir: string) => {
    if (!reports.linkBase) return `${dir}/report.html`;
    const rel = path.relative(path.resolve(reports.outputDir), dir).split(path.sep).join('/');
    return `${reports.linkBase.replace(/\/$/, '')}/${rel}/`;
  };

  const deliver = async (s: ScheduleConfig, period: ReportPeriod, report: GeneratedReport, runs: RunRow[], runId: string): Promise<string[]> => {
    const done: string[] = [];
    for (const name of s.deliver ?? []) {
      if (runs.some((r) => r.event === 'delivered' && r.detail === name)) continue;
      const w = reports.webhooks[name];
      const url = (w.urlEnv ? env[w.urlEnv] : undefined) || w.url;
      const secret = w.secretEnv ? env[w.secretEnv] : undefined;
      if (!url) {
        log.warn({ schedule: s.name, webhook: name }, 'report webhook has no URL (its urlEnv is not set)');
        continue;
      }
      if (w.secretEnv && !secret) log.warn({ schedule: s.name, webhook: name, env: w.secretEnv }, 'report webhook secret variable is not set: sending unsigned');
      const at = now();
      const deliveryId = `report|${s.name}|${dateString(dayOf(period.from))}|${name}`;
      const outcome: Outcome = await send(noticeRequest(url, secret, reportNotice(s.name, report, linkOf(report.dir), deliveryId, at), deliveryId, at), { timeoutMs: opts.timeoutMs ?? 10_000, secrets: secret ? [secret] : [] });
      if (outcome.ok) {
        await record(ch, { schedule: s.name, period: period.kind, periodStart: period.from, periodEnd: period.to, event: 'delivered', runId, at: now(), outDir: report.dir, manifestSha256: report.manifestSha256, detail: name });
        done.push(name);
        metrics.deliveries.inc({ schedule: s.name, outcome: 'delivered' });
      } else {
        metrics.deliveries.inc({ schedule: s.name, outcome: 'failed' });
        log.warn({ schedule: s.name, webhook: name, status: outcome.status, reason: outcome.reason }, 'report delivery failed; tried again on the next tick');
      }
    }
    return done;
  };

  const runSchedule = async (s: ScheduleConfig, at: number): Promise<TickOutcome | null> => {
    const fire = latestFire(s.cron, at);
    if (fire === null) return null;
    const period = periodOfRun(s, fire);
    const key = `${s.name}|${period.from}`;
    const runs = await readRuns(ch, s.name, period.from);
    const finished = runs.find((r) => r.event === 'finished');
    if (finished) {
      const report = made.get(key);
      const delivered = report ? await deliver(s, period, report, runs, finished.runId) : [];
      return { schedule: s.name, period, result: 'done', dir: finished.outDir, delivered };
    }
    const runId = crypto.randomUUID();
    const dir = runDir(reports, s.name, period);
    const base = { schedule: s.name, period: period.kind, periodStart: period.from, periodEnd: period.to, runId, outDir: dir, manifestSha256: '' };
    await record(ch, { ...base, event: 'started', at: now(), detail: `cron ${s.cron} at ${new Date(fire).toISOString()}` });
    log.info({ schedule: s.name, period: periodLabel(period), dir }, 'writing scheduled report');
    const endTimer = metrics.seconds.startTimer({ schedule: s.name });
    try {
      const report = await generateReport({ ch, period, formats: s.formats ?? reports.formats, outDir: dir, pseudonyms: opts.pseudonyms, catalog: opts.catalog, settings: opts.settings, sealGraceMs: opts.sealGraceMs, chromiumPath: reports.chromiumPath, now: now() });
      await record(ch, { ...base, event: 'finished', at: now(), manifestSha256: report.manifestSha256, detail: report.files.join(' ') });
      made.set(key, report);
      endTimer();
      metrics.runs.inc({ schedule: s.name, result: 'written' });
      metrics.lastWritten.set({ schedule: s.name }, Date.now() / 1000);
      log.info({ schedule: s.name, period: periodLabel(period), dir, manifestSha256: report.manifestSha256 }, 'scheduled report written');
      const delivered = await deliver(s, period, report, [], runId);
      return { schedule: s.name, period, result: 'written', dir, delivered };
    } catch (err) {
      const message = (err as Error).message;
      metrics.runs.inc({ schedule: s.name, result: 'failed' });
      await record(ch, { ...base, event: 'failed', at: now(), detail: message }).catch(() => {});
      log.error({ schedule: s.name, period: periodLabel(period), err: message }, 'scheduled report failed; tried again on the next tick');
      return { schedule: s.name, period, result: 'failed', error: message, delivered: [] };
    }
  };

  const tick = async (): Promise<TickOutcome[]> => {
    const at = now();
    const out: TickOutcome[] = [];
    for (const s of reports.schedules) {
      const o = await runSchedule(s, at);
      if (o) out.push(o);
    }
    return out;
  };

  const loop = () => {
    if (stopped) return;
    running = tick()
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'report scheduler tick failed'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(loop, reports.pollIntervalMs);
      });
  };

  return {
    tick,
    start: () => {
      stopped = false;
      loop();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
