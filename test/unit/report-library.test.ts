// The reports the dashboard lists and serves: only directories with a readable manifest, newest first,
// and only the files a manifest names, whatever path a request spells.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listStoredReports, openStoredReportFile, reportFileRole, storedReportFile } from '../../src/report/library';
import { writeManifest } from '../../src/report/manifest';

function report(root: string, schedule: string, day: string, generatedAt: string, files: Record<string, string>): string {
  const dir = path.join(root, schedule, day);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  writeManifest(dir, { title: `${schedule} ${day}`, period: { kind: 'week', from: `${day}T00:00:00.000Z`, to: `${day}T00:00:00.000Z` }, generatedAt, asOf: generatedAt, pseudonymised: true }, Object.keys(files));
  return dir;
}

describe('stored reports', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-reports-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lists reports with a manifest, newest generated first, with their files and sizes', () => {
    report(root, 'weekly', '2026-11-16', '2026-11-23T06:00:00.000Z', { 'report.html': '<p>a</p>', 'csv/alerts.csv': 'x,y\n' });
    report(root, 'manual', '2026-11-01', '2026-11-25T10:00:00.000Z', { 'report.json': '{}' });
    fs.mkdirSync(path.join(root, 'weekly', '2026-11-09')); // a run that never finished: no manifest
    fs.mkdirSync(path.join(root, 'weekly', 'notes'));
    fs.writeFileSync(path.join(root, 'README'), 'not a report');
    const listed = listStoredReports(root);
    expect(listed.map((r) => `${r.schedule}/${r.day}`)).toEqual(['manual/2026-11-01', 'weekly/2026-11-16']);
    expect(listed[1].files).toEqual([
      { path: 'csv/alerts.csv', bytes: 4 },
      { path: 'report.html', bytes: 8 },
      { path: 'manifest.json', bytes: fs.statSync(path.join(root, 'weekly', '2026-11-16', 'manifest.json')).size },
    ]);
    expect(listed[1]).toMatchObject({ title: 'weekly 2026-11-16', period: { kind: 'week' }, generatedAt: '2026-11-23T06:00:00.000Z' });
  });

  it('is empty when the output directory does not exist yet, and skips an unreadable manifest', () => {
    expect(listStoredReports(path.join(root, 'nothing-here'))).toEqual([]);
    fs.mkdirSync(path.join(root, 'weekly', '2026-11-16'), { recursive: true });
    fs.writeFileSync(path.join(root, 'weekly', '2026-11-16', 'manifest.json'), '{ not json');
    expect(listStoredReports(root)).toEqual([]);
  });

  it('serves a file only when the manifest names it', () => {
    const dir = report(root, 'weekly', '2026-11-16', '2026-11-23T06:00:00.000Z', { 'report.html': '<p>a</p>', 'csv/alerts.csv': 'x,y\n' });
    fs.writeFileSync(path.join(dir, 'extra.txt'), 'not in the manifest');
    fs.writeFileSync(path.join(root, 'secret.txt'), 'outside');
    expect(storedReportFile(root, 'weekly', '2026-11-16', 'csv/alerts.csv')).toBe(path.join(dir, 'csv', 'alerts.csv'));
    expect(storedReportFile(root, 'weekly', '2026-11-16', 'manifest.json')).toBe(path.join(dir, 'manifest.json'));
    for (const file of ['extra.txt', '../../secret.txt', 'csv/../report.html', '/etc/passwd', '']) expect(storedReportFile(root, 'weekly', '2026-11-16', file)).toBeNull();
    expect(storedReportFile(root, '..', '2026-11-16', 'report.html')).toBeNull();
    expect(storedReportFile(root, 'weekly', '../weekly/2026-11-16', 'report.html')).toBeNull();
    expect(storedReportFile(root, 'weekly', '2026-11-09', 'report.html')).toBeNull();
  });

  it('never follows a manifest out of the report: traversal, absolute paths, symbolic links', () => {
    const dir = report(root, 'weekly', '2026-11-16', '2026-11-23T06:00:00.000Z', { 'report.html': '<p>a</p>', 'csv/alerts.csv': 'x,y\n' });
    const hostname = '../../../../../../../../../../etc/hostname';
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.files.push({ path: hostname, bytes: 1, sha256: 'x' }, { path: '/etc/hostname', bytes: 1, sha256: 'x' }, { path: 'csv/link.csv', bytes: 1, sha256: 'x' }, { path: 'sub/inner.csv', bytes: 1, sha256: 'x' });
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    fs.symlinkSync('/etc/hostname', path.join(dir, 'csv', 'link.csv'));
    fs.symlinkSync('/etc', path.join(dir, 'sub'));
    for (const file of [hostname, '/etc/hostname', 'csv/link.csv', 'sub/inner.csv']) {
      expect(storedReportFile(root, 'weekly', '2026-11-16', file)).toBeNull();
      expect(openStoredReportFile(root, 'weekly', '2026-11-16', file)).toBeNull();
    }
    // The listing shows only the plain names (the links are there, and are refused when asked for).
    expect(listStoredReports(root)[0].files.map((f) => f.path)).toEqual(['csv/alerts.csv', 'report.html', 'csv/link.csv', 'sub/inner.csv', 'manifest.json']);
    const open = openStoredReportFile(root, 'weekly', '2026-11-16', 'csv/alerts.csv')!;
    expect(fs.readFileSync(open.fd, 'utf8')).toBe('x,y\n');
    fs.closeSync(open.fd);
  });

  it('refuses a report folder reached through a symbolic link, and a manifest that is one', () => {
    report(root, 'weekly', '2026-11-16', '2026-11-23T06:00:00.000Z', { 'report.html': '<p>a</p>' });
    fs.symlinkSync(path.join(root, 'weekly', '2026-11-16'), path.join(root, 'weekly', '2026-11-23'));
    expect(storedReportFile(root, 'weekly', '2026-11-23', 'report.html')).toBeNull();
    const dir = report(root, 'daily', '2026-11-16', '2026-11-17T06:00:00.000Z', { 'report.html': '<p>b</p>' });
    fs.renameSync(path.join(dir, 'manifest.json'), path.join(root, 'elsewhere.json'));
    fs.symlinkSync(path.join(root, 'elsewhere.json'), path.join(dir, 'manifest.json'));
    expect(storedReportFile(root, 'daily', '2026-11-16', 'manifest.json')).toBeNull();
  });

  it('gives the files that hold the audit trail to admins only', () => {
    for (const f of ['report.html', 'report.pdf', 'report.json', 'csv/audit.csv', 'unknown.bin', 'csv/sub/x.csv']) expect(reportFileRole(f)).toBe('admin');
    for (const f of ['manifest.json', 'csv/alerts.csv', 'csv/top-users.csv', 'csv/sensitive-tables.csv']) expect(reportFileRole(f)).toBe('viewer');
  });
});
