// The reports already written under reports.outputDir (<schedule>/<first day>/manifest.json), as the
// dashboard lists and serves them. A file is served only when the manifest names it AND the name is a
// plain relative path (safeReportPath) AND, resolved on disk, it is a regular file inside the report's
// folder reached through no symbolic link: the manifest is a file on disk like any other, never trusted
// to say where to read. Files that hold the audit trail need the role that reads the audit trail.
import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST, safeReportPath, type Manifest } from './manifest';

export interface StoredReport {
  schedule: string;
  day: string;
  title: string;
  period: Manifest['period'];
  generatedAt: string;
  files: Array<{ path: string; bytes: number }>;
}

/** A schedule name (as in reports.schedules, or manual / on-demand-*) and a first day. */
export const SCHEDULE_DIR = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

function readManifest(dir: string): Manifest | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    return m && m.format === 1 && Array.isArray(m.files) ? m : null;
  } catch {
    return null;
  }
}

const subdirs = (dir: string, name: RegExp) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && name.test(e.name)).map((e) => e.name) : [];

/** Every report with a readable manifest, newest generated first. */
export function listStoredReports(outputDir: string): StoredReport[] {
  const out: StoredReport[] = [];
  for (const schedule of subdirs(outputDir, SCHEDULE_DIR)) {
    for (const day of subdirs(path.join(outputDir, schedule), DAY_DIR)) {
      const m = readManifest(path.join(outputDir, schedule, day));
      if (!m) continue;
      const named = m.files.filter((f) => typeof f.path === 'string' && safeReportPath(f.path));
      const files = [...named.map((f) => ({ path: f.path, bytes: f.bytes })), { path: MANIFEST, bytes: fs.statSync(path.join(outputDir, schedule, day, MANIFEST)).size }];
      out.push({ schedule, day, title: m.title, period: m.period, generatedAt: m.generatedAt, files });
    }
  }
  return out.sort((a, b) => b.generatedAt.localeCompare(a.generatedAt) || a.schedule.localeCompare(b.schedule));
}

/**
 * Who may download a file of a report. The HTML, PDF and JSON carry the analyst actions (section 7, the
 * audit trail) and csv/audit.csv is that section: they need the role of GET /api/audit. The other CSV
 * tables and the manifest are for viewers. A name not known here needs admin (fail closed).
 */
export function reportFileRole(file: string): 'viewer' | 'admin' {
  if (file === MANIFEST) return 'viewer';
  if (/^csv\/[a-z0-9-]+\.csv$/.test(file) && file !== AUDIT_CSV) return 'viewer';
  return 'admin';
}

/** The analyst actions of a report as CSV: the audit trail. */
export const AUDIT_CSV = 'csv/audit.csv';

/** An open report file: read it from `fd` (then close it), never from the path again. */
export interface OpenReportFile {
  path: string;
  fd: number;
  bytes: number;
}

/** The real path of `p`, or null when it does not exist. */
function realPath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * A file of a stored report, opened; or null when there is no such report, its manifest does not name
 * the file, the name is not a plain relative path, or on disk it is not a regular file inside the
 * report's folder (a symbolic link anywhere on the way, a device, a directory).
 */
export function openStoredReportFile(outputDir: string, schedule: string, day: string, file: string): OpenReportFile | null {
  if (!SCHEDULE_DIR.test(schedule) || !DAY_DIR.test(day) || !safeReportPath(file)) return null;
  const root = realPath(outputDir);
  if (root === null) return null;
  const dir = path.join(root, schedule, day);
  // The report's folder itself, reached without a link.
  if (realPath(dir) !== dir) return null;
  const m = readManifest(dir);
  if (!m) return null;
  if (file !== MANIFEST && !m.files.some((f) => f.path === file)) return null;
  const wanted = path.join(dir, ...file.split('/'));
  if (realPath(wanted) !== wanted) return null;
  let fd: number;
  try {
    fd = fs.openSync(wanted, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    return null;
  }
  return { path: wanted, fd, bytes: st.size };
}

/** The absolute path of a file of a stored report, or null (see openStoredReportFile). */
export function storedReportFile(outputDir: string, schedule: string, day: string, file: string): string | null {
  const open = openStoredReportFile(outputDir, schedule, day, file);
  if (open === null) return null;
  fs.closeSync(open.fd);
  return open.path;
}
