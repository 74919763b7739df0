// PostgreSQL 15 with pgaudit 1.7 from the Debian packages (installed with apt-get when missing), run
// as the `postgres` user (PostgreSQL refuses root) under the state dir, on 127.0.0.1:<port>, with the
// audit settings docs/sources/postgres.md documents. It writes all three log destinations at once
// (stderr, csvlog, jsonlog) into <state>/postgres/log/, for the shipper to tail.
// Ready when a connection as `postgres` answers SELECT version().
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ServiceError } from '../errors';
import type { Config } from '../config';
import { ensureDebianPackages } from './debian-packages';
import { startDetached, tail, type ManagedProcess } from './managed-process';
import type { LocalService, Progress } from './service';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const PGAUDIT = '/usr/lib/postgresql/15/lib/pgaudit.so';
const PACKAGES = ['postgresql-15', 'postgresql-15-pgaudit', 'postgresql-client-15', 'openssl'];

/** The group role whose members sign in with a client certificate (cert auth, pg_ident map "people"). */
export const CERT_LOGIN_ROLE = 'insider_cert_login';

export interface PostgresLayout {
  home: string;
  dataDir: string;
  logDir: string;
  socketDir: string;
  tlsDir: string;
  port: number;
  /** The log files of each destination. */
  logs: { stderr: string; csvlog: string; jsonlog: string };
}

export function postgresLayout(config: Readonly<Config>, stateDir: string): PostgresLayout {
  const home = path.join(stateDir, 'postgres');
  const logDir = path.join(home, 'log');
  return {
    home,
    dataDir: path.join(home, 'data'),
    logDir,
    socketDir: path.join(home, 'run'),
    tlsDir: path.join(home, 'tls'),
    port: config.localServices.postgres.port,
    logs: { stderr: path.join(logDir, 'postgresql'), csvlog: path.join(logDir, 'postgresql.csv'), jsonlog: path.join(logDir, 'postgresql.json') },
  };
}

/** The settings the product documents for an audited server (docs/sources/postgres.md), plus where things live here. */
export function auditSettings(layout: PostgresLayout): string {
  return `# Written by insider services up postgres; the audit settings are those of docs/sources/postgres.md.
listen_addresses = '127.0.0.1'
port = ${layout.port}
unix_socket_directories = '${layout.socketDir}'
max_connections = 50
shared_buffers = 128MB
shared_preload_libraries = 'pgaudit'
pgaudit.log = 'read, write'
pgaudit.log_relation = on
pgaudit.log_rows = on
pgaudit.log_catalog = off
pgaudit.log_parameter = off
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '${layout.logDir}'
log_filename = 'postgresql'
log_file_mode = 0644
log_rotation_age = 0
log_rotation_size = 0
log_line_prefix = '%m [%p] %c %l %q%u@%d %r %a: '
log_timezone = 'UTC'
log_connections = on
log_disconnections = on
log_min_error_statement = error
log_statement = 'all'
ssl = on
ssl_cert_file = '${layout.tlsDir}/server.crt'
ssl_key_file = '${layout.tlsDir}/server.key'
ssl_ca_file = '${layout.tlsDir}/ca.crt'
`;
}

const HBA = `# Written by insider services up postgres (a local development and test server).
local all postgres peer
host all postgres 127.0.0.1/32 trust
hostssl all +${CERT_LOGIN_ROLE} 127.0.0.1/32 cert map=people
host all all 127.0.0.1/32 trust
`;

export function postgresServer(config: Readonly<Config>, stateDir: string): LocalService {
  const opts = config.localServices.postgres;
  const layout = postgresLayout(config, stateDir);
  const proc: ManagedProcess = {
    pidFile: path.join(stateDir, 'run', 'postgres.pid'),
    logFile: path.join(stateDir, 'logs', 'postgres.log'),
    commandMatch: layout.dataDir,
  };

  return {
    name: 'postgres',
    address: `127.0.0.1:${layout.port}`,
    managed: opts.manage !== 'never',
    startTimeoutMs: opts.startTimeoutMs,
    process: proc,

    ensureInstalled: (progress: Progress) =>
      ensureDebianPackages({ service: 'postgres', what: 'PostgreSQL 15 with pgaudit', packages: PACKAGES, progress, present: () => fs.existsSync(`${BIN}/postgres`) && fs.existsSync(PGAUDIT) && fs.existsSync('/usr/bin/openssl') }),

    async launch(progress: Progress) {
      prepareDirectories(layout);
      chownPostgres(layout.home);
      if (!fs.existsSync(path.join(layout.dataDir, 'PG_VERSION'))) {
        progress(`postgres: initdb in ${layout.dataDir}`);
        await asPostgres(`${BIN}/initdb`, ['-D', layout.dataDir, '-U', 'postgres', '--auth-local=peer', '--auth-host=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
      }
      await ensureCertificates(layout.tlsDir);
      fs.writeFileSync(path.join(layout.dataDir, 'insider.conf'), auditSettings(layout));
      const conf = path.join(layout.dataDir, 'postgresql.conf');
      if (!fs.readFileSync(conf, 'utf8').includes("include = 'insider.conf'")) fs.appendFileSync(conf, "\ninclude = 'insider.conf'\n");
      fs.writeFileSync(path.join(layout.dataDir, 'pg_hba.conf'), HBA);
      const ident = path.join(layout.dataDir, 'pg_ident.conf');
      if (!fs.readFileSync(ident, 'utf8').includes('# insider')) fs.writeFileSync(ident, '# insider: certificate identities -> roles (mapIdentity)\n');
      chownPostgres(layout.home);
      return startDetached(proc, 'runuser', ['-u', 'postgres', '--', `${BIN}/postgres`, '-D', layout.dataDir], { cwd: layout.home });
    },

    async probe() {
      const client = new Client({ host: '127.0.0.1', port: layout.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        const r = await client.query<{ v: string; audit: string }>(`SELECT split_part(version(), ' ', 2) AS v, current_setting('shared_preload_libraries') AS audit`);
        return { ready: true, version: `PostgreSQL ${r.rows[0].v} (${r.rows[0].audit})` };
      } catch (err) {
        return { ready: false, detail: (err as Error).message };
      } finally {
        await client.end().catch(() => {});
      }
    },

    logTail: () => [tail(proc.logFile, 20), tail(layout.logs.stderr, 20)].join('\n'),
  };
}

function prepareDirectories(layout: PostgresLayout): void {
  for (const dir of [layout.home, layout.logDir, layout.socketDir, layout.tlsDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  // The postgres user must reach its data through the state dir's parents.
  let dir = path.dirname(layout.home);
  while (dir !== path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
    dir = path.dirname(dir);
  }
}

function chownPostgres(dir: string): void {
  const uid = Number(fs.readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):(\d+):/m)?.[1]);
  const gid = Number(fs.readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):(\d+):/m)?.[2]);
  if (!Number.isInteger(uid)) throw new ServiceError('SERVICE_START_FAILED', 'there is no postgres user (the Debian package creates it)', { service: 'postgres' });
  const walk = (p: string) => {
    fs.lchownSync(p, uid, gid);
    if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

async function asPostgres(command: string, args: string[]): Promise<void> {
  try {
    await run('runuser', ['-u', 'postgres', '--', command, ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ServiceError('SERVICE_START_FAILED', `${path.basename(command)} failed: ${e.message}\n${e.stderr ?? ''}`.trim(), { service: 'postgres' });
  }
}

/** A private CA, the server's certificate, and client certificates made on demand (clientCertificate). */
async function ensureCertificates(tlsDir: string): Promise<void> {
  const ca = path.join(tlsDir, 'ca.crt');
  if (fs.existsSync(ca) && fs.existsSync(path.join(tlsDir, 'server.crt'))) return;
  const ssl = (args: string[]) => run('openssl', args, { cwd: tlsDir });
  await ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=insider-local-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  await ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  await ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-out', 'server.crt']);
  fs.chmodSync(path.join(tlsDir, 'server.key'), 0o600);
  fs.chmodSync(path.join(tlsDir, 'ca.key'), 0o600);
}

/**
 * A client certificate for a person (CN = their e-mail), signed by the local CA: what a team that signs
 * people in with certificates does. Returns the files libpq needs (sslcert, sslkey, sslrootcert).
 */
export async function clientCertificate(layout: PostgresLayout, person: string): Promise<{ cert: string; key: string; ca: string }> {
  const dir = path.join(layout.tlsDir, 'clients');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, person.replace(/[^A-Za-z0-9._@-]/g, '_'));
  if (!fs.existsSync(`${base}.crt`)) {
    await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${person}`, '-keyout', `${base}.key`, '-out', `${base}.csr`]);
    await run('openssl', ['x509', '-req', '-in', `${base}.csr`, '-CA', path.join(layout.tlsDir, 'ca.crt'), '-CAkey', path.join(layout.tlsDir, 'ca.key'), '-CAcreateserial', '-days', '3650', '-out', `${base}.crt`]);
    fs.chmodSync(`${base}.key`, 0o600);
  }
  return { cert: `${base}.crt`, key: `${base}.key`, ca: path.join(layout.tlsDir, 'ca.crt') };
}

/**
 * Lets `person` (a certificate CN) sign in as `role`, a member of CERT_LOGIN_ROLE: one pg_ident.conf
 * line, then a configuration reload. Several people may map to one shared role.
 */
export async function mapIdentity(layout: PostgresLayout, admin: Client, person: string, role: string): Promise<void> {
  const file = path.join(layout.dataDir, 'pg_ident.conf');
  const line = `people ${JSON.stringify(person)} ${JSON.stringify(role)}\n`;
  if (!fs.readFileSync(file, 'utf8').includes(line)) fs.appendFileSync(file, line);
  await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${CERT_LOGIN_ROLE}') THEN CREATE ROLE ${CERT_LOGIN_ROLE} NOLOGIN; END IF; END $$`);
  await admin.query('SELECT pg_reload_conf()');
}
