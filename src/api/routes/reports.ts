// Reports for the dashboard: the ones written under reports.outputDir (by `report schedule`, `insider
// report` or this route), a download of a file their manifest names (confined to the report's folder:
// library.ts; audited: report.download), and a report of the last complete period made on request
// (analyst; one at a time). Files that hold the audit trail (report.html, .pdf, .json, csv/audit.csv)
// need the admin role, as GET /api/audit does; the listing shows each caller only what they may download.
import fs from 'node:fs';
import path from 'node:path';
import { generateReport, lastCompletePeriod, listStoredReports, openStoredReportFile, ReportError, reportFileRole, reportInputs, type StoredReport } from '../../report';
import { audit, entryOf, roleAtLeast, type Role } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { ApiError } from '../errors';
import { reportBody, reportFileOut, reportFileParams, reportListOut, reportOut } from '../schemas';
import { errorResponses } from './common';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.pdf': 'application/pdf',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
};

/** The report with the files `role` may download. */
const present = (r: StoredReport, role: Role) => ({
  ...r,
  files: r.files.filter((f) => roleAtLeast(role, reportFileRole(f.path))).map((f) => ({ ...f, url: `/api/reports/${r.schedule}/${r.day}/files/${f.path}` })),
});

export function reportRoutes(app: ApiApp, ctx: ApiContext): void {
  const outputDir = path.resolve(ctx.config.reports.outputDir);
  const tags = ['reports'];
  let generating = false;

  app.get(
    '/api/reports',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: 'The reports written under reports.outputDir, newest first, with the files the caller may download (the audit trail in report.html, .pdf, .json and csv/audit.csv: admin)',
        response: { 200: reportListOut, ...errorResponses() },
      },
    },
    async (request) => ({ items: listStoredReports(outputDir).map((r) => present(r, request.principal!.role)) }),
  );

  app.get(
    '/api/reports/:schedule/:day/files/*',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: 'One file of a report, as an attachment; report.html, .pdf, .json and csv/audit.csv hold the audit trail and need admin (audited: report.download)',
        params: reportFileParams,
        response: { 200: reportFileOut, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { schedule, day, '*': file } = request.params;
      const actor = actorOf(request);
      const need = reportFileRole(file);
      if (!roleAtLeast(actor.role, need)) {
        await audit(ctx.ch, entryOf(actor, ctx.now(), 'access.denied', `${request.method} ${request.routeOptions.url}`, { need, file: `${schedule}/${day}/${file}` }));
        throw new ApiError(403, 'FORBIDDEN', `${file} holds the audit trail (the analyst actions) and needs the ${need} role; ${actor.name} is ${actor.role}`);
      }
      const found = openStoredReportFile(outputDir, schedule, day, file);
      if (found === null) throw new ApiError(404, 'NOT_FOUND', `no file ${file} in report ${schedule}/${day}`);
      await audit(ctx.ch, entryOf(actor, ctx.now(), 'report.download', `${schedule}/${day}/${file}`)).catch((err: unknown) => {
        fs.closeSync(found.fd);
        throw err;
      });
      // An attachment in a sandbox: a report's HTML never runs as the dashboard's origin. Read from the
      // descriptor opened after the checks, not from the path again.
      return reply
        .type(CONTENT_TYPES[path.extname(found.path)] ?? 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${schedule}-${day}-${path.basename(found.path)}"`)
        .header('content-security-policy', 'sandbox')
        .header('content-length', found.bytes)
        .send(fs.createReadStream('', { fd: found.fd }));
    },
  );

  app.post(
    '/api/reports',
    {
      config: { minRole: 'analyst' },
      schema: {
        tags,
        summary: 'Write the report of the last complete day, week or month now, in reports.formats (audited: report.generate)',
        body: reportBody,
        response: { 200: reportOut, ...errorResponses(409) },
      },
    },
    async (request) => {
      if (generating) throw new ApiError(409, 'BUSY', 'a report is being written; try again when it is done');
      generating = true;
      try {
        const actor = actorOf(request);
        const period = lastCompletePeriod(request.body.period, ctx.now());
        const schedule = `on-demand-${period.kind}`;
        const day = new Date(period.from).toISOString().slice(0, 10);
        const inputs = reportInputs(ctx.config);
        await generateReport({ ch: ctx.ch, period, formats: ctx.config.reports.formats, outDir: path.join(outputDir, schedule, day), ...inputs, chromiumPath: ctx.config.reports.chromiumPath, now: ctx.now() });
        await audit(ctx.ch, entryOf(actor, ctx.now(), 'report.generate', `${schedule}/${day}`, { period: period.kind }));
        const written = listStoredReports(outputDir).find((r) => r.schedule === schedule && r.day === day);
        if (!written) throw new ReportError(`the report ${schedule}/${day} was written but cannot be read back`);
        return present(written, actor.role);
      } finally {
        generating = false;
      }
    },
  );
}
