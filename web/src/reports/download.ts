// Report files need the bearer token, which a plain link cannot carry: fetch the file, hand the browser
// a temporary object URL through an <a download>, and let it go again.
import { send } from '../api';
import type { Report, ReportFile } from '../types';

/** "daily-2026-11-28-report.pdf": the schedule and day keep downloads of different reports apart. */
export function fileName(r: Report, f: ReportFile): string {
  const base = f.path.split(/[\\/]/).filter(Boolean).pop() ?? 'report';
  const name = base.includes(r.day) ? base : `${r.schedule}-${r.day}-${base}`;
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

export async function download(r: Report, f: ReportFile): Promise<void> {
  const res = await send(f.url);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName(r, f);
  document.body.append(a);
  a.click();
  a.remove();
  // The click has handed the blob to the download manager; free it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
