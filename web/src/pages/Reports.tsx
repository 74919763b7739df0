// Audit reports (#/reports): every generated report with its files to download, newest first, and for
// analysts a way to make the last complete period's report now.
import { useState } from 'preact/hooks';
import { errorText, get } from '../api';
import { Banner } from '../components/Banner';
import { Time } from '../components/Time';
import { formatBytes, formatDay, humanize, plural } from '../format';
import { useKeys, useLoad, useTitle } from '../hooks';
import { download, fileName } from '../reports/download';
import { GenerateReport } from '../reports/GenerateReport';
import { canAct, useSession } from '../session';
import type { Report } from '../types';

/** Periods are [from, to): the last day shown is the one before `to`. */
function periodText(p: Report['period']): string {
  const from = formatDay(p.from);
  const last = formatDay(Date.parse(p.to) - 1);
  return `${humanize(p.kind)} · ${from === last ? from : `${from} – ${last}`}`;
}

const key = (r: Report) => `${r.schedule}|${r.day}|${r.period.kind}|${r.generatedAt}`;

export function Reports() {
  const { me } = useSession();
  const list = useLoad((signal) => get<{ items: Report[] }>('/api/reports', signal), []);
  const [fresh, setFresh] = useState<string | null>(null);
  const [dlError, setDlError] = useState<string | null>(null);
  useTitle('Reports');
  useKeys({ r: () => list.reload() });

  const items = list.data?.items ?? [];
  const added = (r: Report) => {
    list.setData({ items: [r, ...items.filter((x) => key(x) !== key(r))] });
    setFresh(key(r));
  };
  const get1 = (r: Report, f: Report['files'][number]) => {
    setDlError(null);
    download(r, f).catch((e: unknown) => setDlError(`Could not download ${fileName(r, f)}: ${errorText(e)}`));
  };

  return (
    <div class="page reports-page">
      <div class="page-head">
        <h1>Reports</h1>
        {list.data && <p class="count">{plural(items.length, 'report')}</p>}
      </div>
      {canAct(me) && <GenerateReport onDone={added} />}
      {me && !canAct(me) && <p class="hint">Reports are generated on their schedules; generating one now needs the analyst role.</p>}
      {me && me.role !== 'admin' && <p class="hint">The HTML, PDF and JSON files and audit.csv carry the audit trail and are for admins; the other tables are listed here.</p>}
      {fresh && (
        <Banner kind="ok">
          Report generated: {items.find((r) => key(r) === fresh)?.title ?? 'see the first row'}.
        </Banner>
      )}
      {list.error && <Banner>{list.error}</Banner>}
      {dlError && <Banner>{dlError}</Banner>}
      {!list.data && !list.error && <p class="loading">Loading reports…</p>}
      {list.data && items.length === 0 && <p class="empty">No reports yet. They appear here when a schedule runs or one is generated.</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="grid" aria-label="Reports">
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Period (UTC)</th>
                <th scope="col">Generated (UTC)</th>
                <th scope="col">Files</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={key(r)} class={key(r) === fresh ? 'fresh fresh-new' : undefined}>
                  <th scope="row">
                    {r.title}
                    <span class="muted"> · {r.schedule}</span>
                  </th>
                  <td class="nowrap">{periodText(r.period)}</td>
                  <td class="nowrap">
                    <Time at={r.generatedAt} />
                  </td>
                  <td>
                    <ul class="files">
                      {r.files.map((f) => (
                        <li key={f.path}>
                          <span class="mono">{f.path.split(/[\\/]/).pop()}</span> <span class="muted">{formatBytes(f.bytes)}</span>{' '}
                          <button type="button" class="small" onClick={() => get1(r, f)}>
                            Download<span class="sr-only"> {f.path.split(/[\\/]/).pop()}</span>
                          </button>
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
