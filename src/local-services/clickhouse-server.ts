// ClickHouse from the Debian package `clickhouse-server` (installed with apt-get when missing), run
// as a plain process with a project-owned config: data and logs under the state dir, HTTP on the
// configured loopback port. Ready when /ping answers. The nodes of the local cluster are the same
// process with a second config file (config.d/cluster.xml: replication, shards, ZooKeeper).
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ServiceError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import { fillTemplate, findOurs, startDetached, tail, type ManagedProcess } from './managed-process';
import { isLoopback, type LocalService, type Probe, type Progress } from './service';
import type { Config } from '../config';

const run = promisify(execFile);
export const CLICKHOUSE_DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy', 'local', 'clickhouse');
const BINARIES = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server', '/usr/bin/clickhouse'];

export interface ClickHouseNode {
  /** Service name: `clickhouse`, or `clickhouse-s1r2` for a cluster node. */
  name: string;
  url: URL;
  tcpPort: number;
  /** Config, users and data live here. */
  home: string;
  managed: boolean;
  /** Extra server settings, written to config.d/ next to the main config. */
  extraConfig?: string;
  /** Beyond /ping: a check that must pass too (a cluster node must reach ZooKeeper). */
  readyCheck?: (query: (q: string) => Promise<Response>) => Promise<Probe | undefined>;
}

export function clickhouseServer(config: Readonly<Config>, stateDir: string): LocalService {
  const url = new URL(config.clickhouse.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const opts = config.localServices.clickhouse;
  const managed = opts.manage === 'always' || (opts.manage === 'auto' && isLoopback(host) && url.protocol === 'http:');
  return clickhouseNode(config, stateDir, { name: 'clickhouse', url, tcpPort: opts.tcpPort, home: path.join(stateDir, 'clickhouse'), managed });
}

export function clickhouseNode(config: Readonly<Config>, stateDir: string, node: ClickHouseNode): LocalService {
  const { url, home } = node;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const httpPort = Number(url.port || (url.protocol === 'https:' ? 8443 : 8123));
  const configFile = path.join(home, 'config.xml');
  const logDir = path.join(stateDir, 'logs', node.name === 'clickhouse' ? '' : node.name);
  const proc: ManagedProcess = {
    pidFile: path.join(stateDir, 'run', `${node.name}.pid`),
    logFile: path.join(stateDir, 'logs', `${node.name}.log`),
    commandMatch: configFile,
  };
  const credentials = Buffer.from(`${config.clickhouse.username}:${config.clickhouse.password ?? ''}`).toString('base64');
  const query = (q: string) => fetch(new URL(`/?query=${encodeURIComponent(q)}`, url), { headers: { Authorization: `Basic ${credentials}` }, signal: AbortSignal.timeout(2000) });

  return {
    name: node.name,
    address: url.origin,
    managed: node.managed,
    startTimeoutMs: config.localServices.clickhouse.startTimeoutMs,
    process: proc,

    ensureInstalled: (progress: Progress) => ensureClickHouseInstalled(progress),

    async launch() {
      // A server of ours whose pid file was deleted: starting another would fail on its ports, and the
      // leftovers removed below would be the running server's parts under way.
      const orphan = findOurs(proc.commandMatch);
      if (orphan !== undefined) {
        throw new ServiceError('SERVICE_START_FAILED', `a clickhouse-server with ${configFile} is running already (pid ${orphan}) but its pid file is gone: stop it (kill ${orphan}) and start again`, { service: node.name });
      }
      const dataDir = path.join(home, 'data');
      for (const dir of [dataDir, path.join(dataDir, 'tmp'), path.join(dataDir, 'user_files'), logDir]) fs.mkdirSync(dir, { recursive: true });
      const template = (name: string) => fs.readFileSync(path.join(CLICKHOUSE_DEPLOY_DIR, name), 'utf8');
      fs.writeFileSync(configFile, fillTemplate(template('config.xml'), { HOST: host, HTTP_PORT: httpPort, TCP_PORT: node.tcpPort, DATA_DIR: dataDir, LOG_DIR: logDir }));
      const extraDir = path.join(home, 'config.d');
      fs.rmSync(extraDir, { recursive: true, force: true });
      if (node.extraConfig) {
        fs.mkdirSync(extraDir, { recursive: true });
        // It may hold the password that Distributed tables use between nodes.
        fs.writeFileSync(path.join(extraDir, 'cluster.xml'), node.extraConfig, { mode: 0o600 });
      }
      const password = config.clickhouse.password;
      const passwordElement = password
        ? `<password_sha256_hex>${crypto.createHash('sha256').update(password).digest('hex')}</password_sha256_hex>`
        : '<password></password>';
      fs.writeFileSync(path.join(home, 'users.xml'), fillTemplate(template('users.xml'), { USER: config.clickhouse.username, PASSWORD_ELEMENT: passwordElement }), {
        mode: 0o600,
      });
      const leftovers = removeLeftoverPartDirectories(path.join(dataDir, 'data'));
      if (leftovers.length > 0) fs.appendFileSync(proc.logFile, `${new Date().toISOString()} removed ${leftovers.length} temporary part directories a stopped server left: ${leftovers.join(', ')}\n`);
      const binary = findBinary();
      if (!binary) throw new ServiceError('SERVICE_START_FAILED', 'clickhouse-server is not installed', { service: node.name });
      const args = binary.endsWith('/clickhouse') ? ['server', `--config-file=${configFile}`] : [`--config-file=${configFile}`];
      return startDetached(proc, binary, args, { cwd: home });
    },

    async probe() {
      try {
        const ping = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(2000) });
        if (!ping.ok) return { ready: false, detail: `/ping answered ${ping.status}` };
        const res = await query('SELECT version()');
        const version = res.ok ? `ClickHouse ${(await res.text()).trim()}` : undefined;
        const extra = await node.readyCheck?.(query);
        if (extra && !extra.ready) return { ...extra, version };
        return { ready: true, version, detail: res.ok ? extra?.detail : `version query answered ${res.status}` };
      } catch (err) {
        return { ready: false, detail: (err as Error).message };
      }
    },

    logTail: () => [tail(proc.logFile, 15), tail(path.join(logDir, 'clickhouse-server.err.log'), 25)].join('\n'),
  };
}

/**
 * Removes the tmp_* part directories (a merge, mutation, insert or fetch under way) that a server killed
 * mid-way left in its tables' data directories; call only while the server is stopped. ClickHouse 18.16
 * removes them only after temporary_directories_lifetime (a day) and meanwhile selects the same merge
 * again and again, failing with "Directory tmp_merge_... already exists", so that no other merge and no
 * mutation of that table runs (the ingester's DELETE of an interrupted insert's rows waited forever).
 * Later versions clear them at start-up; this does the same for the servers the project runs.
 */
export function removeLeftoverPartDirectories(tablesRoot: string): string[] {
  const removed: string[] = [];
  const dirs = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()) : []);
  for (const db of dirs(tablesRoot)) {
    for (const table of dirs(path.join(tablesRoot, db.name))) {
      for (const part of dirs(path.join(tablesRoot, db.name, table.name))) {
        if (!part.name.startsWith('tmp_')) continue;
        fs.rmSync(path.join(tablesRoot, db.name, table.name, part.name), { recursive: true, force: true });
        removed.push(`${db.name}.${table.name}/${part.name}`);
      }
    }
  }
  return removed;
}

/** Installs the Debian package when missing (root only; otherwise says what to run). */
export async function ensureClickHouseInstalled(progress: Progress): Promise<void> {
  if (findBinary()) return;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ServiceError(
      'SERVICE_INSTALL_FAILED',
      'clickhouse-server is not installed: run `sudo apt-get install clickhouse-server`, or point clickhouse.url (INSIDER_CLICKHOUSE_URL) at an existing server',
      { service: 'clickhouse' },
    );
  }
  progress('installing the Debian package clickhouse-server with apt-get (first run only)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '-q', 'clickhouse-server', 'clickhouse-client'], { env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ServiceError('SERVICE_INSTALL_FAILED', `apt-get could not install clickhouse-server: ${e.message}\n${e.stderr ?? ''}`.trim(), {
      service: 'clickhouse',
    });
  }
  if (!findBinary()) throw new ServiceError('SERVICE_INSTALL_FAILED', 'apt-get finished but no clickhouse-server binary was found', { service: 'clickhouse' });
}

function findBinary(): string | undefined {
  return BINARIES.find((b) => fs.existsSync(b));
}
