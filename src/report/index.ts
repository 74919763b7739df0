// Periodic audit reports: figures from ClickHouse (data.ts) -> HTML with SVG charts, PDF (Chromium), CSV
// per table, JSON -> a directory with a manifest of SHA-256 hashes. The scheduler (scheduler.ts) runs
// configured schedules once per period. docs/reports.md.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chainHeads, sealChains, sealGraceMs } from '../chain';
import type { Config, ReportFormat } from '../config';
import { caseOptions } from '../cases';
import { loadCatalog, type Catalog } from '../detect';
import type { ClickHouse } from '../store';
import { createPseudonyms, type Pseudonyms } from '../triage';
import { collectReport, type ReportData } from './data';
import { loadPeople, type ReportSettings } from './data-context';
import { ReportError } from './errors';
import { MANIFEST, writeManifest } from './manifest';
import { recordManifest } from './manifest-record';
import type { ReportPeriod } from './period';
import { renderCsv } from './render-csv';
import { renderHtml } from './render-html';
import { renderPdf } from './render-pdf';

export { REPORT_FORMATS, PERIOD_KINDS, type ReportFormat, type PeriodKind, type ReportsConfig, type ScheduleConfig } from '../config';
export { collectReport, type ReportData, type RecordSection } from './data';
export { type ReportContext, type ReportSettings } from './data-context';
export { resolvePeriod, lastCompletePeriod, periodStart, periodEnd, periodLabel, daysOf, type ReportPeriod } from './period';
export { verifyReport, writeManifest, sha256, safeReportPath, MANIFEST, type Manifest, type Verification } from './manifest';
export { renderHtml } from './render-html';
export { renderCsv } from './render-csv';
export { renderPdf } from './render-pdf';
export { ReportError } from './errors';
export { listStoredReports, openStoredReportFile, reportFileRole, storedReportFile, AUDIT_CSV, DAY_DIR, SCHEDULE_DIR, type OpenReportFile, type StoredReport } from './library';
export { createScheduler, type Scheduler, type SchedulerOptions } from './scheduler';

export const FILES = { html: 'report.html', pdf: 'report.pdf', json: 'report.json', csvDir: 'csv' } as const;

export interface GenerateOptions {
  ch: ClickHouse;
  period: ReportPeriod;
  formats: ReadonlyArray<ReportFormat>;
  /** Created; an earlier report in it is replaced. A non-empty directory that is not a report is refused. */
  outDir: string;
  pseudonyms: Pseudonyms;
  catalog: Catalog;
  settings: ReportSettings;
  chromiumPath?: string;
  /** Wall time of generation (ms); default now. */
  now?: number;
  /** Triage state as of (ms); default `now`. */
  asOf?: number;
  /**
   * Seal the chains, print their heads in the report and record its manifest in report_manifests (the
   * manifests' chain); default true.
   */
  record?: boolean;
  /** The sealer's grace period (chain/seal.ts sealGraceMs of the configuration); default DEFAULT_GRACE_MS. */
  sealGraceMs?: number;
}

export interface GeneratedReport {
  dir: string;
  /** Relative to dir, manifest included. */
  files: string[];
  manifestSha256: string;
  data: ReportData;
}

/** What a report needs from the configuration: pseudonyms as the API has them, the table catalog, limits. */
export function reportInputs(config: Readonly<Config>): { pseudonyms: Pseudonyms; catalog: Catalog; settings: ReportSettings; sealGraceMs: number } {
  return {
    sealGraceMs: sealGraceMs(config),
    pseudonyms: createPseudonyms({ enabled: config.api.pseudonymize, key: config.api.pseudonymKey }),
    catalog: loadCatalog(config.detection.catalogFile),
    settings: {
      topUsers: config.reports.topUsers,
      gapHours: config.reports.gapHours,
      baselineDays: config.detection.baselineDays,
      minHistoryDays: config.detection.minHistoryDays,
      cases: caseOptions(config),
    },
  };
}

export async function generateReport(opts: GenerateOptions): Promise<GeneratedReport> {
  const now = opts.now ?? Date.now();
  const formats = new Set(opts.formats);
  if (formats.size === 0) throw new ReportError('no format asked for (html, pdf, csv, json)');
  const dir = path.resolve(opts.outDir);
  prepareDir(dir);
  const data = await collectReport(
    { ch: opts.ch, period: opts.period, asOf: opts.asOf ?? now, pseudonyms: opts.pseudonyms, catalog: opts.catalog, people: await loadPeople(opts.ch), settings: opts.settings },
    now,
  );
  if (opts.record !== false) {
    await sealChains(opts.ch, { now, graceMs: opts.sealGraceMs, sealer: 'report' });
    data.record = { heads: await chainHeads(opts.ch), sealedAt: new Date(now).toISOString() };
  }
  // Written to a sibling directory first and moved in place at the end: a crash leaves no half report.
  const work = `${dir}.partial-${crypto.randomBytes(3).toString('hex')}`;
  fs.mkdirSync(work, { recursive: true });
  try {
    const files: string[] = [];
    const write = (rel: string, content: string | Buffer) => {
      fs.mkdirSync(path.dirname(path.join(work, rel)), { recursive: true });
      fs.writeFileSync(path.join(work, rel), content);
      files.push(rel);
    };
    const html = formats.has('html') || formats.has('pdf') ? renderHtml(data) : '';
    if (formats.has('html')) write(FILES.html, html);
    if (formats.has('pdf')) write(FILES.pdf, await renderPdf(html, { chromiumPath: opts.chromiumPath }));
    if (formats.has('json')) write(FILES.json, `${JSON.stringify(data, null, 2)}\n`);
    if (formats.has('csv')) for (const [name, text] of Object.entries(renderCsv(data))) write(`${FILES.csvDir}/${name}`, text);
    const { sha256 } = writeManifest(work, { title: data.title, period: { kind: data.period.kind, from: data.period.from, to: data.period.to }, generatedAt: data.generatedAt, asOf: data.asOf, pseudonymised: data.pseudonymised }, files);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(work, dir);
    if (opts.record !== false) await recordManifest(opts.ch, { at: now, title: data.title, period: opts.period, outDir: dir, manifestSha256: sha256, heads: data.record?.heads ?? [] });
    return { dir, files: [...files, MANIFEST].sort(), manifestSha256: sha256, data };
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** The output directory may be new, empty, or an earlier report (it has a manifest): nothing else is replaced. */
function prepareDir(dir: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new ReportError(`${dir} exists and is not a directory`, { file: dir });
  const entries = fs.readdirSync(dir);
  if (entries.length > 0 && !entries.includes(MANIFEST)) {
    throw new ReportError(`${dir} is not empty and holds no report (no ${MANIFEST}): choose an empty or new directory`, { file: dir });
  }
}
