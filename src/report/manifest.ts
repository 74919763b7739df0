// manifest.json: every file of a report with its size and SHA-256, and what the report covers. With the
// manifest's own hash kept elsewhere (the scheduler's ledger, the delivery webhook, a ticket), anyone can
// show that a report's files are the ones written: `insider report verify DIR`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MANIFEST = 'manifest.json';

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: 1;
  generator: 'insider report';
  title: string;
  period: { kind: string; from: string; to: string };
  generatedAt: string;
  asOf: string;
  pseudonymised: boolean;
  files: ManifestFile[];
}

export function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Files under `dir` (relative, "/"-separated, sorted), the manifest itself left out. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && r !== MANIFEST) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Hashes `files` (relative to dir) and writes manifest.json; returns it and its own SHA-256. */
export function writeManifest(dir: string, meta: Omit<Manifest, 'format' | 'generator' | 'files'>, files: string[]): { manifest: Manifest; sha256: string } {
  const manifest: Manifest = {
    format: 1,
    generator: 'insider report',
    ...meta,
    files: [...files].sort().map((f) => {
      const data = fs.readFileSync(path.join(dir, f));
      return { path: f, bytes: data.length, sha256: sha256(data) };
    }),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  fs.writeFileSync(path.join(dir, MANIFEST), text);
  return { manifest, sha256: sha256(text) };
}

export interface Verification {
  ok: boolean;
  /** The manifest's own SHA-256 (compare with the one recorded at delivery). */
  manifestSha256: string;
  checked: number;
  problems: string[];
}

/** Checks every file against the manifest, and that no file was added. */
export function verifyReport(dir: string, expectedManifestSha256?: string): Verification {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return { ok: false, manifestSha256: '', checked: 0, problems: [`${file}: no manifest`] };
  const text = fs.readFileSync(file);
  const manifestSha256 = sha256(text);
  const problems: string[] = [];
  if (expectedManifestSha256 !== undefined && expectedManifestSha256 !== manifestSha256) problems.push(`${MANIFEST}: SHA-256 ${manifestSha256}, expected ${expectedManifestSha256}`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text.toString('utf8')) as Manifest;
  } catch (err) {
    return { ok: false, manifestSha256, checked: 0, problems: [...problems, `${MANIFEST}: not JSON (${(err as Error).message})`] };
  }
  const listed = new Set<string>();
  for (const f of manifest.files ?? []) {
    listed.add(f.path);
    const p = path.join(dir, f.path);
    if (path.relative(dir, p).startsWith('..')) {
      problems.push(`${f.path}: outside the report`);
      continue;
    }
    if (!fs.existsSync(p)) {
      problems.push(`${f.path}: missing`);
      continue;
    }
    const data = fs.readFileSync(p);
    if (data.length !== f.bytes || sha256(data) !== f.sha256) problems.push(`${f.path}: changed (SHA-256 ${sha256(data)}, manifest ${f.sha256})`);
  }
  for (const f of listFiles(dir)) if (!listed.has(f)) problems.push(`${f}: not in the manifest`);
  return { ok: problems.length === 0, manifestSha256, checked: listed.size, problems };
}
