// The report as one self-contained HTML file: inline CSS, charts as inline SVG, no script, no external
// resource (fonts, images, styles), so it reads the same offline, in a mail attachment, and in Chromium
// when it becomes the PDF. Every text from the data is escaped.
import type { ReportData } from './data';
import { esc, time } from './html-blocks';
import { htmlSections } from './html-sections';

export { HTML_ROW_LIMIT } from './html-blocks';

export function renderHtml(r: ReportData): string {
  const sections = htmlSections(r);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(r.title)}</title>
<style>
body{font:13px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:980px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #08519c;padding-bottom:3px;margin-top:28px}h3{font-size:14px;margin:16px 0 6px}
.meta{color:#555;margin:0 0 12px}table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:12px}
th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f3f7}td.num,th.num{text-align:right;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.figure{border:1px solid #ccd;border-radius:4px;padding:6px 10px;min-width:120px}
.figure .value{font-size:18px;font-weight:bold}.figure .label{color:#555;font-size:11px}.note,.empty{color:#666;font-style:italic}
figure{margin:8px 0}svg{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none}section{break-inside:auto}h2{break-after:avoid}figure,tr,.figures{break-inside:avoid}}
</style>
</head>
<body>
<h1>${esc(r.title)}</h1>
<p class="meta">Period ${esc(time(r.period.from))} to ${esc(time(r.period.to))} (UTC, end exclusive). Triage status as of ${esc(time(r.asOf))}. Generated ${esc(time(r.generatedAt))}.
${r.pseudonymised ? 'Employees appear as pseudonyms (the same as in the API and in pages); revealing one is an audited action.' : 'Employees appear by their ids (pseudonymisation is off).'}
Volumes are bytes returned by successful queries. The files of this report and their SHA-256 hashes are listed in manifest.json.</p>
${sections.join('\n')}
</body>
</html>
`;
}
