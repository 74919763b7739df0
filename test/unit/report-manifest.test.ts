import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listFiles, sha256, verifyReport, writeManifest } from '../../src/report/manifest';

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

  it('reports a directory without a manifest', () => {
    expect(verifyReport(dir).problems).toEqual([expect.stringContaining('no manifest')]);
  });
});
