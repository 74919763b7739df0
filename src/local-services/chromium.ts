// The browser for PDF reports and dashboard tests: Debian's `chromium` (driven by playwright-core; a
// Playwright browser download cannot work here) and `poppler-utils` (pdftoppm, to check rendered PDFs),
// installed with apt-get when missing, like clickhouse-server.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { ServiceError } from '../errors';
import type { Progress } from './service';

const run = promisify(execFile);

export const CHROMIUM_PATH = '/usr/bin/chromium';
const NEEDED: ReadonlyArray<{ pkg: string; binary: string }> = [
  { pkg: 'chromium', binary: CHROMIUM_PATH },
  { pkg: 'poppler-utils', binary: '/usr/bin/pdftoppm' },
];

/** Installs the missing ones of chromium and poppler-utils (root only); resolves when both binaries exist. */
export async function ensureChromium(progress: Progress = () => {}): Promise<void> {
  const missing = NEEDED.filter((n) => !fs.existsSync(n.binary));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ServiceError('SERVICE_INSTALL_FAILED', `${pkgs.join(' and ')} not installed: run \`sudo apt-get install ${pkgs.join(' ')}\``, { service: 'chromium' });
  }
  progress(`installing the Debian package(s) ${pkgs.join(', ')} with apt-get (first run only)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '-q', ...pkgs], { env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ServiceError('SERVICE_INSTALL_FAILED', `apt-get could not install ${pkgs.join(', ')}: ${e.message}\n${e.stderr ?? ''}`.trim(), { service: 'chromium' });
  }
  const still = NEEDED.filter((n) => !fs.existsSync(n.binary));
  if (still.length > 0) throw new ServiceError('SERVICE_INSTALL_FAILED', `apt-get finished but ${still.map((s) => s.binary).join(', ')} is missing`, { service: 'chromium' });
}
