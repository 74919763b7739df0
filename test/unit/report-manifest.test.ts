import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listFiles, safeReportPath, sha256, verifyReport, writeManifest } from '../../src/report/manifest';

describe('report manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-manifest-'));
    fs.mkdirSync(path.join(dir, 'csv'));
    fs.writeFileSync(path.join(dir, 'report.html'), '<html></html>');
    fs.writeFileSync(path.join(dir, 'csv', 'a.csv'), 'a,b\n1,2\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const meta = { title: 't', period: { kind: 'day', from: '2026-11-16T00:00:00.000Z', to: '2026-11-17T00:00:00.000Z' }, generatedAt: 'x', asOf: 'y', pseudonymised: true };

  it('lists every file with its size and SHA-256, and verifies', () => {
    const { manifest, sha256: own } = writeManifest(dir, meta, listFiles(dir));
    expect(manifest.files).toEqual([
      { path: 'csv/a.csv', bytes: 8, sha256: sha256('a,b\n1,2\n') },
      { path: 'report.html', bytes: 13, sha256: sha256('<html></html>') },
    ]);
    expect(own).toBe(sha256(fs.readFileSync(path.join(dir, 'manifest.json'))));
    expect(verifyReport(dir, own)).toEqual({ ok: true, manifestSha256: own, checked: 2, problems: [] });
  });

  it('finds a changed, a missing and an added file, and a replaced manifest', () => {
    const { sha256: own } = writeManifest(dir, meta, listFiles(dir));
    fs.writeFileSync(path.join(dir, 'report.html'), '<html>!</html>');
    fs.rmSync(path.join(dir, 'csv', 'a.csv'));
    fs.writeFileSync(path.join(dir, 'extra.txt'), 'x');
    const v = verifyReport(dir, own);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.stringMatching(/^csv\/a\.csv: missing/), expect.stringMatching(/^report\.html: changed/), expect.stringMatching(/^extra\.txt: not in the manifest/)]);
    // A manifest rewritten to match the changed files no longer has the recorded hash.
    fs.rmSync(path.join(dir, 'extra.txt'));
    writeManifest(dir, meta, listFiles(dir));
    expect(verifyReport(dir, own).problems).toEqual([expect.stringContaining('manifest.json: SHA-256')]);
    expect(verifyReport(dir).ok).toBe(true);
  });

  it('rejects symbolic links (to a file or a folder, inside or outside), extra files and special files', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'report-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'hostname'), 'secret-host\n');
      writeManifest(dir, meta, listFiles(dir));
      fs.symlinkSync(path.join(outside, 'hostname'), path.join(dir, 'csv', 'audit.csv'));
      fs.symlinkSync(outside, path.join(dir, 'more'));
      fs.symlinkSync('report.html', path.join(dir, 'copy.html'));
      fs.writeFileSync(path.join(dir, 'csv', 'extra.csv'), 'x');
      const v = verifyReport(dir);
      expect(v.ok).toBe(false);
      expect(v.problems.sort()).toEqual([
        'copy.html: a symbolic link (a report holds regular files only)',
        'csv/audit.csv: a symbolic link (a report holds regular files only)',
        'csv/extra.csv: not in the manifest',
        'more: a symbolic link (a report holds regular files only)',
      ]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('rejects a listed file that is a symbolic link, even with the right hash, and a manifest that is one', () => {
    fs.writeFileSync(path.join(dir, 'real.html'), '<html></html>');
    fs.rmSync(path.join(dir, 'report.html'));
    fs.symlinkSync('real.html', path.join(dir, 'report.html'));
    const m = { format: 1, generator: 'insider report', ...meta, files: [{ path: 'report.html', bytes: 13, sha256: sha256('<html></html>') }, { path: 'real.html', bytes: 13, sha256: sha256('<html></html>') }, { path: 'csv/a.csv', bytes: 8, sha256: sha256('a,b\n1,2\n') }] };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    expect(verifyReport(dir).problems).toEqual(['report.html: a symbolic link (a report holds regular files only)']);
    fs.renameSync(path.join(dir, 'manifest.json'), path.join(dir, 'real-manifest.json'));
    fs.symlinkSync('real-manifest.json', path.join(dir, 'manifest.json'));
    expect(verifyReport(dir).problems).toEqual(['manifest.json: a symbolic link (a report holds regular files only)']);
  });

  it('rejects a manifest naming paths outside the report or not plain', () => {
    const hostname = fs.readFileSync('/etc/hostname');
    const m = { format: 1, generator: 'insider report', ...meta, files: [{ path: '../../../../../../etc/hostname', bytes: hostname.length, sha256: sha256(hostname) }, { path: '/etc/hostname', bytes: 1, sha256: 'x' }, { path: 'csv/./a.csv', bytes: 1, sha256: 'x' }] };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const v = verifyReport(dir);
    expect(v.problems).toEqual([
      '"../../../../../../etc/hostname": not a plain relative path inside the report',
      '"/etc/hostname": not a plain relative path inside the report',
      '"csv/./a.csv": not a plain relative path inside the report',
      'csv/a.csv: not in the manifest',
      'report.html: not in the manifest',
    ]);
  });

  it('takes only plain relative names as report paths', () => {
    for (const p of ['report.html', 'csv/audit.csv', 'a/b/c.json', 'x']) expect(safeReportPath(p)).toBe(true);
    for (const p of ['', '..', '../x', 'a/../b', '/etc/passwd', 'a//b', 'a/', './a', 'a\\b', '.hidden', 'a/.b', 'a b', 'x\u0000', '%2e%2e/x', 'a'.repeat(201)]) expect(safeReportPath(p)).toBe(false);
  });

  it('reports a directory without a manifest', () => {
    expect(verifyReport(dir).problems).toEqual([expect.stringContaining('no manifest')]);
  });
});
