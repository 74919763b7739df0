// ClickHouse 26.x without a server: the engine of PyPI's chdb-core (ClickHouse's SQL engine as a
// library) in a Python virtual environment under the state dir, installed when missing like Kafka's
// jars, behind deploy/local/chdb/clickhouse_http_front.py, which speaks the part of ClickHouse's HTTP
// interface that @clickhouse/client uses. Opt-in (`insider services up chdb`): it exists for the
// compatibility check and the tests of modern-only paths (docs/clickhouse-compatibility.md).
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ServiceError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import { startDetached, tail, type ManagedProcess } from './managed-process';
import { isLoopback, type LocalService, type Progress } from './service';
import type { Config } from '../config';

const run = promisify(execFile);
export const CHDB_DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy', 'local', 'chdb');
const FRONT = path.join(CHDB_DEPLOY_DIR, 'clickhouse_http_front.py');
const REQUIREMENTS = path.join(CHDB_DEPLOY_DIR, 'requirements.txt');

/** The virtual environment's Python (shared by every front of one state dir). */
export function chdbPython(stateDir: string): string {
  return path.join(stateDir, 'chdb', 'venv', 'bin', 'python');
}

export function chdbFront(config: Readonly<Config>, stateDir: string): LocalService {
  const opts = config.localServices.chdb;
  const url = new URL(opts.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const venv = path.join(stateDir, 'chdb', 'venv');
  // One data directory per port, so a test's front on its own port never touches another's tables.
  const dataDir = path.join(stateDir, 'chdb', `data-${port}`);
  const requirements = fs.readFileSync(REQUIREMENTS, 'utf8');
  const installedMarker = path.join(venv, `.installed-${crypto.createHash('sha256').update(requirements).digest('hex').slice(0, 12)}`);
  const proc: ManagedProcess = {
    pidFile: path.join(stateDir, 'run', `chdb-${port}.pid`),
    logFile: path.join(stateDir, 'logs', `chdb-${port}.log`),
    commandMatch: dataDir,
  };

  return {
    name: 'chdb',
    address: opts.url,
    managed: opts.manage === 'always' || (opts.manage === 'auto' && isLoopback(host)),
    startTimeoutMs: opts.startTimeoutMs,
    process: proc,

    async ensureInstalled(progress: Progress) {
      if (fs.existsSync(installedMarker)) return;
      progress(`installing ${requirements.match(/^chdb-core==\S+/m)?.[0] ?? 'chdb-core'} from PyPI into ${venv} (first run only, about 180 MB)`);
      fs.rmSync(venv, { recursive: true, force: true });
      try {
        await run(opts.python, ['-m', 'venv', venv], { maxBuffer: 16 * 1024 * 1024 });
        // --no-deps: chdb-core declares pandas and pyarrow for its DataFrame API, which the front never
        // uses (it passes text in and bytes out); without them the environment is 330 MB smaller.
        await run(path.join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--no-input', '-q', '--no-deps', '-r', REQUIREMENTS], {
          maxBuffer: 64 * 1024 * 1024,
        });
        await run(path.join(venv, 'bin', 'python'), ['-c', 'import chdb']);
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new ServiceError('SERVICE_INSTALL_FAILED', `could not install chdb-core with pip: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.trim(), {
          service: 'chdb',
        });
      }
      fs.writeFileSync(installedMarker, `${new Date().toISOString()}\n`);
    },

    async launch() {
      fs.mkdirSync(dataDir, { recursive: true });
      return startDetached(proc, chdbPython(stateDir), [FRONT, '--data', dataDir, '--host', host, '--port', String(port)], {
        cwd: path.dirname(dataDir),
        // The engine takes its time zone from TZ when it loads, as a server from <timezone>.
        env: { ...process.env, PYTHONUNBUFFERED: '1', ...(opts.timezone ? { TZ: opts.timezone } : {}) },
      });
    },

    async probe() {
      try {
        const ping = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(2000) });
        if (!ping.ok) return { ready: false, detail: `/ping answered ${ping.status}` };
        const res = await fetch(new URL('/?query=SELECT%20version()', url), { signal: AbortSignal.timeout(5000) });
        const version = res.ok ? `ClickHouse ${(await res.text()).trim()} (chdb)` : undefined;
        return { ready: true, version, detail: res.ok ? undefined : `version query answered ${res.status}` };
      } catch (err) {
        return { ready: false, detail: (err as Error).message };
      }
    },

    logTail: () => tail(proc.logFile),
  };
}
