// Reports for the dashboard: the ones written under reports.outputDir (by `report schedule`, `insider
// report` or this route), a download of any file their manifest names (audited: report.download), and a
// report of the last complete period made on request (analyst; one at a time).
import fs from 'node:fs';
import path from 'node:path';
import { generateReport, lastCompletePeriod, listStoredReports, reportInputs, storedReportFile, type StoredReport } from '../../report';
import { audit } from '../../triage';
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

const present = (r: StoredReport) => ({
  ...r,
  files: r.files.map((f) => ({ ...f, url: `/api/reports/${r.schedule}/${r.day}/files/${f.path}` })),
});

export function reportRoutes(app: ApiApp, ctx: ApiContext): void {
  const outputDir = path.resolve(ctx.config.reports.outputDir);
  const tags = ['reports'];
  let generating = false;

  app.get(
    '/api/reports',
    {
      config: { minRole: 'viewer' },
      schema: { tags, summary: 'The reports written under reports.outputDir, newest first, with their files', response: { 200: reportListOut, ...errorResponses() } },
    },
    async () => ({ items: listStoredReports(outputDir).map(present) }),
  );

  app.get(
    '/api/reports/:schedule/:day/files/*',
    {
      config: { minRole: 'viewer' },
      schema: { tags, summary: 'One file of a report, as an attachment (audited: report.download)', params: reportFileParams, response: { 200: reportFileOut, ...errorResponses(404) } },
    },
    async (request, reply) => {
      const { schedule, day, '*': file } = request.params;
      const found = storedReportFile(outputDir, schedule, day, file);
      if (found === null || !fs.existsSync(found)) throw new ApiError(404, 'NOT_FOUND', `no file ${file} in report ${schedule}/${day}`);
      const actor = actorOf(request);
      await audit(ctx.ch, { at: ctx.now(), actor: actor.name, role: actor.role, action: 'report.download', target: `${schedule}/${day}/${file}`, sourceIp: actor.sourceIp, requestId: actor.requestId, details: {} });
      // An attachment in a sandbox: a report's HTML never runs as the dashboard's origin.
      return reply
        .type(CONTENT_TYPES[path.extname(found)] ?? 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${schedule}-${day}-${path.basename(found)}"`)
        .header('content-security-policy', 'sandbox')
        .send(fs.createReadStream(found));
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
        await audit(ctx.ch, { at: ctx.now(), actor: actor.name, role: actor.role, action: 'report.generate', target: `${schedule}/${day}`, sourceIp: actor.sourceIp, requestId: actor.requestId, details: { period: period.kind } });
        const written = listStoredReports(outputDir).find((r) => r.schedule === schedule && r.day === day);
        if (!written) throw new Error(`the report ${schedule}/${day} was written but cannot be read back`);
        return present(written);
      } finally {
        generating = false;
      }
    },
  );
}
