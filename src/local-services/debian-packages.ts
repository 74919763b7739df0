// The servers and shippers the tests and the demo run come from Debian packages, installed on first use
// when this process is root; otherwise the error says which command to run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ServiceError } from '../errors';
import type { Progress } from './service';

const run = promisify(execFile);

/** Installs `packages` unless `present()`; refuses with the apt-get command to run when not root. */
export async function ensureDebianPackages(o: { service: string; what: string; packages: string[]; present: () => boolean; progress: Progress }): Promise<void> {
  if (o.present()) return;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ServiceError('SERVICE_INSTALL_FAILED', `${o.what} is not installed: run \`sudo apt-get install ${o.packages.join(' ')}\``, { service: o.service });
  }
  o.progress(`installing the Debian packages ${o.packages.join(', ')} with apt-get (first run only)`);
  await aptInstall(o.packages, o.service);
}

/** apt-get install, with one `apt-get update` and a second try when the package lists are stale. */
export async function aptInstall(packages: string[], service: string): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['-o', 'DPkg::Lock::Timeout=900', 'install', '-y', '-q', ...packages];
  try {
    await run('apt-get', args, { env, maxBuffer: 64 * 1024 * 1024 });
  } catch {
    try {
      await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
      await run('apt-get', args, { env, maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new ServiceError('SERVICE_INSTALL_FAILED', `apt-get could not install ${packages.join(' ')}: ${e.message}\n${e.stderr ?? ''}`.trim(), { service });
    }
  }
}
