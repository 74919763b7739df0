// MariaDB 10.11 from the Debian packages (installed with apt-get when missing), run as root
// (`mariadbd --user=root`) under the state dir, on 127.0.0.1:<port>, with the logging settings that
// docs/sources/mariadb.md documents: the slow query log with every statement (Bytes_sent) and the
// server_audit plugin (CONNECT, QUERY, TABLE), both files in <state>/mariadb/log/ for a shipper to tail.
// The process runs with TZ=UTC: both logs write local times (the slow log's `SET timestamp` is epoch).
// Ready when `SELECT VERSION()` answers over TCP.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ServiceError } from '../errors';
import type { Config } from '../config';
import { startDetached, tail, type ManagedProcess } from './managed-process';
import { ensureDebianPackages } from './debian-packages';
import type { LocalService, Progress } from './service';

const run = promisify(execFile);
const MARIADBD = '/usr/sbin/mariadbd';
const PACKAGES = ['mariadb-server', 'mariadb-client'];
const AUDIT_PLUGIN = ['/usr/lib/mysql/plugin/server_audit.so', '/usr/lib/x86_64-linux-gnu/mariadb19/plugin/server_audit.so'];

export interface MariadbLayout {
  home: string;
  dataDir: string;
  logDir: string;
  /** SELECT ... INTO OUTFILE may write here only (secure_file_priv). */
  outfileDir: string;
  socket: string;
  configFile: string;
  port: number;
  logs: { slow: string; audit: string; error: string };
}

export function mariadbLayout(config: Readonly<Config>, stateDir: string): MariadbLayout {
  const home = path.join(stateDir, 'mariadb');
  const logDir = path.join(home, 'log');
  return {
    home,
    dataDir: path.join(home, 'data'),
    logDir,
    outfileDir: path.join(home, 'outfile'),
    socket: path.join(home, 'run', 'mariadbd.sock'),
    configFile: path.join(home, 'my.cnf'),
    port: config.localServices.mariadb.port,
    logs: { slow: path.join(logDir, 'slow.log'), audit: path.join(logDir, 'audit.log'), error: path.join(logDir, 'error.log') },
  };
}

/** The settings docs/sources/mariadb.md documents for an audited server, plus where things live here. */
export function mariadbSettings(layout: MariadbLayout): string {
  return `# Written by insider services up mariadb; the logging settings are those of docs/sources/mariadb.md.
[mariadbd]
datadir = ${layout.dataDir}
socket = ${layout.socket}
port = ${layout.port}
bind-address = 127.0.0.1
skip-name-resolve
log-error = ${layout.logs.error}
secure_file_priv = ${layout.outfileDir}
max_connections = 100
innodb_buffer_pool_size = 128M
# The slow query log with every statement: who, thread, schema, rows and the real Bytes_sent.
slow_query_log = ON
slow_query_log_file = ${layout.logs.slow}
log_output = FILE
long_query_time = 0
log_slow_verbosity = query_plan,explain
log_slow_admin_statements = ON
# The audit plugin: connections (client address), queries (return code), tables each query opened.
plugin_load_add = server_audit
server_audit = FORCE_PLUS_PERMANENT
server_audit_logging = ON
server_audit_events = CONNECT,QUERY,TABLE
server_audit_output_type = file
server_audit_file_path = ${layout.logs.audit}
server_audit_file_rotations = 0
server_audit_query_log_limit = 1024
# TABLE events are not logged for results served from the query cache.
query_cache_type = 0
query_cache_size = 0
`;
}

export function mariadbServer(config: Readonly<Config>, stateDir: string): LocalService {
  const opts = config.localServices.mariadb;
  const layout = mariadbLayout(config, stateDir);
  const proc: ManagedProcess = {
    pidFile: path.join(stateDir, 'run', 'mariadb.pid'),
    logFile: path.join(stateDir, 'logs', 'mariadb.log'),
    commandMatch: layout.configFile,
  };

  return {
    name: 'mariadb',
    address: `127.0.0.1:${layout.port}`,
    managed: opts.manage !== 'never',
    startTimeoutMs: opts.startTimeoutMs,
    process: proc,

    ensureInstalled: (progress: Progress) =>
      ensureDebianPackages({ service: 'mariadb', what: 'MariaDB', packages: PACKAGES, progress, present: () => fs.existsSync(MARIADBD) && AUDIT_PLUGIN.some((p) => fs.existsSync(p)) && fs.existsSync('/usr/bin/mysqldump') }),

    async launch(progress: Progress) {
      for (const dir of [layout.home, layout.logDir, layout.outfileDir, path.dirname(layout.socket)]) fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(layout.configFile, mariadbSettings(layout));
      if (!fs.existsSync(path.join(layout.dataDir, 'mysql'))) {
        progress(`mariadb: mariadb-install-db in ${layout.dataDir}`);
        try {
          await run('mariadb-install-db', [`--defaults-file=${layout.configFile}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, TZ: 'UTC' } });
        } catch (err) {
          const e = err as { stderr?: string; message: string };
          throw new ServiceError('SERVICE_START_FAILED', `mariadb-install-db failed: ${e.message}\n${e.stderr ?? ''}`.trim(), { service: 'mariadb' });
        }
      }
      return startDetached(proc, MARIADBD, [`--defaults-file=${layout.configFile}`, '--user=root'], { cwd: layout.home, env: { ...process.env, TZ: 'UTC' } });
    },

    async probe() {
      try {
        const { stdout } = await run('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', 'root', '--connect-timeout=2', '-N', '-B', '-e', 'SELECT VERSION(), @@server_audit_logging'], { timeout: 5000 });
        const [version, audit] = stdout.trim().split('\t');
        return { ready: true, version: `MariaDB ${version} (server_audit ${audit === '1' ? 'on' : 'off'})` };
      } catch (err) {
        return { ready: false, detail: (err as Error).message.split('\n')[0] };
      }
    },

    logTail: () => [tail(proc.logFile, 20), tail(layout.logs.error, 20)].join('\n'),
  };
}

/** Runs SQL through the `mariadb` client as root (tests, the fixtures' scenario); returns its tab-separated output. */
export async function mariadbRoot(layout: MariadbLayout, sqlText: string, database = ''): Promise<string> {
  const { stdout } = await run('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', 'root', '-N', '-B', ...(database ? [database] : []), '-e', sqlText], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
