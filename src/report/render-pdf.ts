// HTML -> PDF with Debian's chromium, driven by playwright-core (no browser download: `npx playwright
// install` cannot work here). The HTML is self-contained, so nothing is fetched while it renders.
import fs from 'node:fs';
import { ReportError } from './errors';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export async function renderPdf(html: string, opts: { chromiumPath?: string; timeoutMs?: number } = {}): Promise<Buffer> {
  const executablePath = opts.chromiumPath ?? DEFAULT_CHROMIUM;
  if (!fs.existsSync(executablePath)) {
    throw new ReportError(`no browser at ${executablePath} for the PDF: install Debian's chromium (apt-get install chromium), set reports.chromiumPath, or leave pdf out of --format`, { file: executablePath });
  }
  // Loaded here, not at start-up: playwright-core alone is about 50 MB of every process that imports reports.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: opts.timeoutMs ?? 60_000 });
  try {
    const page = await browser.newPage();
    // Nothing outside the document may load: the report is self-contained by design.
    await page.route(/^(?!data:|about:)/, (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load', timeout: opts.timeoutMs ?? 60_000 });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '14mm', bottom: '14mm', left: '10mm', right: '10mm' }, displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: '<div style="font-size:8px;width:100%;text-align:center;color:#666"><span class="pageNumber"></span> / <span class="totalPages"></span></div>' });
  } finally {
    await browser.close();
  }
}
