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

/**
 * A file name as a manifest may list it: relative, "/"-separated, every part letters, digits, . _ -
 * starting with a letter or digit (so no "..", no absolute path, no backslash, no empty part).
 */
export function safeReportPath(p: string): boolean {
  return p.length > 0 && p.length <= 200 && p.split('/').every((part) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(part) && !part.includes('..'));
}

/** What is under a report's folder: regular files (relative, "/"-separated, sorted; the manifest left out) and anything else. */
export function walkReport(dir: string): { files: string[]; others: Array<{ path: string; kind: string }> } {
  const files: string[] = [];
  const others: Array<{ path: string; kind: string }> = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) others.push({ path: r, kind: 'a symbolic link' });
      else if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        if (r !== MANIFEST) files.push(r);
      } else others.push({ path: r, kind: 'not a regular file' });
    }
  };
  walk('');
  return { files: files.sort(), others };
}

/** Regular files under `dir` (relative, "/"-separated, sorted), the manifest itself left out. */
export function listFiles(dir: string): string[] {
  return walkReport(dir).files;
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

/**
 * Checks every file against the manifest, and that nothing was added: no file it does not name, no
 * symbolic link (to a file or a folder, inside or outside), nothing but regular files and folders, and
 * no name in it that is not a plain relative path.
 */
export function verifyReport(dir: string, expectedManifestSha256?: string): Verification {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return { ok: false, manifestSha256: '', checked: 0, problems: [`${file}: no manifest`] };
  if (fs.lstatSync(file).isSymbolicLink()) return { ok: false, manifestSha256: '', checked: 0, problems: [`${MANIFEST}: a symbolic link (a report holds regular files only)`] };
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
  const { files, others } = walkReport(dir);
  const onDisk = new Set(files);
  const listed = new Set<string>();
  for (const f of Array.isArray(manifest.files) ? manifest.files : []) {
    const name = String(f?.path);
    listed.add(name);
    if (!safeReportPath(name) || name === MANIFEST) {
      problems.push(`${JSON.stringify(name)}: not a plain relative path inside the report`);
      continue;
    }
    // Only what the walk found as a regular file (no link on the way) is read.
    if (!onDisk.has(name)) {
      if (!others.some((o) => name === o.path || name.startsWith(`${o.path}/`))) problems.push(`${name}: missing`);
      continue;
    }
    const data = fs.readFileSync(path.join(dir, ...name.split('/')));
    if (data.length !== f.bytes || sha256(data) !== f.sha256) problems.push(`${name}: changed (SHA-256 ${sha256(data)}, manifest ${f.sha256})`);
  }
  for (const o of others) problems.push(`${o.path}: ${o.kind} (a report holds regular files only)`);
  for (const f of files) if (!listed.has(f)) problems.push(`${f}: not in the manifest`);
  return { ok: problems.length === 0, manifestSha256, checked: listed.size, problems };
}
