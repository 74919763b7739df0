// The reports already written under reports.outputDir (<schedule>/<first day>/manifest.json), as the
// dashboard lists and serves them. Only files a manifest names are ever served: a path from a request
// is looked up in the manifest, never joined onto the directory as given.
import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST, type Manifest } from './manifest';

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
      const files = [...m.files.map((f) => ({ path: f.path, bytes: f.bytes })), { path: MANIFEST, bytes: fs.statSync(path.join(outputDir, schedule, day, MANIFEST)).size }];
      out.push({ schedule, day, title: m.title, period: m.period, generatedAt: m.generatedAt, files });
    }
  }
  return out.sort((a, b) => b.generatedAt.localeCompare(a.generatedAt) || a.schedule.localeCompare(b.schedule));
}

/** The absolute path of a file of a stored report, or null when no such report or its manifest does not name it. */
export function storedReportFile(outputDir: string, schedule: string, day: string, file: string): string | null {
  if (!SCHEDULE_DIR.test(schedule) || !DAY_DIR.test(day)) return null;
  const dir = path.join(outputDir, schedule, day);
  const m = readManifest(dir);
  if (!m) return null;
  const known = file === MANIFEST ? MANIFEST : m.files.find((f) => f.path === file)?.path;
  return known === undefined ? null : path.join(dir, ...known.split('/'));
}
