// Reports: the library's files, generating one on demand, listing them.
import { z } from 'zod';
import { PERIOD_KINDS } from '../../config';
import { DAY_DIR, SCHEDULE_DIR } from '../../report';
import { pattern, text } from './common';

export const reportFileParams = z.strictObject({
  schedule: pattern(SCHEDULE_DIR, 'a schedule name'),
  day: pattern(DAY_DIR, 'a day as YYYY-MM-DD'),
  '*': text(200).describe('a file of the report, as its manifest names it (report.pdf, csv/alerts.csv, ...)'),
});
export const reportFileOut = z.unknown().describe('the file: HTML, PDF, JSON or CSV, as an attachment');
export const reportBody = z.strictObject({ period: z.enum(PERIOD_KINDS).describe('the last complete day, week or month') });
export const reportOut = z
  .object({
    schedule: z.string(),
    day: z.string(),
    title: z.string(),
    period: z.object({ kind: z.string(), from: z.string(), to: z.string() }),
    generatedAt: z.string(),
    files: z.array(z.object({ path: z.string(), bytes: z.number(), url: z.string().describe('GET it with the same token') })),
  })
  .meta({ id: 'Report' });
export const reportListOut = z.object({ items: z.array(reportOut) });
