// Local Kafka and ClickHouse without Docker, for development, tests and the demo; PostgreSQL with pgaudit
// (the audited database of `demo --source postgres` and the sources tests) on request; with --cluster (or
// clickhouse.cluster) ZooKeeper and a ClickHouse cluster of one server per replica instead of one server.
//   up:     install when missing, start, wait until ready; a running service is left as it is.
//   down:   stop what this project started (process group, SIGTERM then SIGKILL); nothing remains.
//   status: pid, address, version, readiness.
// A service configured at an address elsewhere is only probed, never started or stopped.
// chdb (ClickHouse 26.x for the compatibility check) is opt-in: only when named, and stopped by a plain `down`.
import fs from 'node:fs';
import path from 'node:path';
import { ServiceError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import type { Config } from '../config';
import { chdbFront } from './chdb-front';
import { localCluster } from './clickhouse-cluster';
import { clickhouseServer } from './clickhouse-server';
import { kafkaBroker } from './kafka-broker';
import { postgresServer } from './postgres-server';
import { mariadbServer } from './mariadb-server';
import { readPidState, removePidFile, sleep, stopProcess } from './managed-process';
import type { LocalService, Progress } from './service';

export type { LocalService, Progress } from './service';
export { ensureChromium, CHROMIUM_PATH } from './chromium';
export { postgresLayout, clientCertificate, mapIdentity, CERT_LOGIN_ROLE, type PostgresLayout } from './postgres-server';
export { startRsyslogShipper, ensureRsyslog, rsyslogConfig, mariadbFiles, type RsyslogShipper, type ShipperOptions, type ShippedFile } from './rsyslog-shipper';
export { chdbPython, CHDB_DEPLOY_DIR } from './chdb-front';
export { localClusterLayout, clusterNodePorts, LOCAL_CLUSTER_CONFIG } from './clickhouse-cluster';
export { mariadbLayout, mariadbRoot, mariadbSettings, type MariadbLayout } from './mariadb-server';
/** What `services up|down|status` can be limited to; `clickhouse` includes a cluster's nodes and ZooKeeper. */
export type ServiceName = 'kafka' | 'clickhouse' | 'postgres' | 'mariadb' | 'chdb';
export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'clickhouse', 'postgres', 'mariadb', 'chdb'];
/** What `services up` starts without names: the pipeline itself. PostgreSQL, MariaDB and chdb (ClickHouse 26.x for the compatibility check) are started when asked for. */
export const CORE_SERVICES: readonly ServiceName[] = ['kafka', 'clickhouse'];

export interface ServiceStatus {
  name: string;
  address: string;
  managed: boolean;
  state: 'running' | 'stopped' | 'external' | 'unreachable';
  ready: boolean;
  pid?: number;
  version?: string;
  detail?: string;
  logFile?: string;
}

export function stateDirOf(config: Readonly<Config>): string {
  return path.resolve(PACKAGE_ROOT, config.localServices.stateDir);
}

/**
 * The services to start: Kafka, and ClickHouse as configured: one server, or the cluster of
 * clickhouse.cluster. `cluster: true` starts the local cluster (config/local-cluster.yaml's unless one
 * is configured) instead of the one server.
 */
export function localServices(config: Readonly<Config>, only?: ServiceName[], opts: { cluster?: boolean } = {}): LocalService[] {
  const stateDir = stateDirOf(config);
  const clickhouse = opts.cluster || config.clickhouse.cluster ? localCluster(config, stateDir) : [clickhouseServer(config, stateDir)];
  return pick([kafkaBroker(config, stateDir), ...clickhouse, postgresServer(config, stateDir), mariadbServer(config, stateDir), chdbFront(config, stateDir)], only && only.length > 0 ? only : CORE_SERVICES);
}

/**
 * The services to stop or report on (every one unless named): those of localServices(), and the local
 * cluster as well while any of its processes runs (so that `services down` never leaves one behind).
 */
export function managedServices(config: Readonly<Config>, only?: ServiceName[], opts: { cluster?: boolean } = {}): LocalService[] {
  const stateDir = stateDirOf(config);
  const single = config.clickhouse.cluster ? [] : [clickhouseServer(config, stateDir)];
  const cluster = localCluster(config, stateDir);
  const clusterToo = opts.cluster || config.clickhouse.cluster !== null || cluster.some((s) => readPidState(s.process).state !== 'stopped');
  const all = [kafkaBroker(config, stateDir), ...single, ...(clusterToo ? cluster : []), postgresServer(config, stateDir), mariadbServer(config, stateDir), chdbFront(config, stateDir)];
  return pick(all, only && only.length > 0 ? only : SERVICE_NAMES);
}

/** A cluster's nodes and ZooKeeper belong to `clickhouse`. */
function pick(services: LocalService[], names: readonly ServiceName[]): LocalService[] {
  const own = (s: LocalService): ServiceName => (SERVICE_NAMES.includes(s.name as ServiceName) ? (s.name as ServiceName) : 'clickhouse');
  return services.filter((s) => names.includes(own(s)));
}

export async function servicesUp(services: LocalService[], progress: Progress): Promise<ServiceStatus[]> {
  const results: ServiceStatus[] = [];
  // Started one after the other: on a 2-core machine two JVM/C++ start-ups at once only slow both.
  for (const service of services) results.push(await up(service, progress));
  return results;
}

async function up(service: LocalService, progress: Progress): Promise<ServiceStatus> {
  if (!service.managed) {
    const status = await statusOf(service);
    progress(`${service.name}: ${service.address} is not managed here (configured elsewhere); ${status.ready ? 'it answers' : 'it does NOT answer'}`);
    return status;
  }
  const pidState = readPidState(service.process);
  if (pidState.state === 'stale') {
    progress(`${service.name}: removing stale pid file (pid ${pidState.pid} is not running)`);
    removePidFile(service.process);
  }
  if (pidState.state === 'running') {
    const ready = await waitReady(service, service.startTimeoutMs);
    progress(`${service.name}: already running (pid ${pidState.pid}) at ${service.address}`);
    return { ...(await statusOf(service)), ready };
  }
  const before = await service.probe();
  if (before.ready) {
    progress(`${service.name}: something not started by this project already answers at ${service.address}; using it`);
    return statusOf(service);
  }
  await service.ensureInstalled(progress);
  progress(`${service.name}: starting at ${service.address}`);
  const started = Date.now();
  const pid = await service.launch(progress);
  const ready = await waitReady(service, service.startTimeoutMs);
  if (!ready) {
    const alive = readPidState(service.process).state === 'running';
    if (alive) await stopProcess(service.process, pid, 5000);
    else removePidFile(service.process);
    throw new ServiceError(
      'SERVICE_START_FAILED',
      `${service.name} ${alive ? `did not become ready within ${service.startTimeoutMs / 1000} s` : 'exited during start'}; log (${service.process.logFile}):\n${service.logTail()}`,
      { service: service.name },
    );
  }
  progress(`${service.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid}); log: ${service.process.logFile}`);
  return statusOf(service);
}

async function waitReady(service: LocalService, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await service.probe()).ready) return true;
    if (readPidState(service.process).state !== 'running') return false;
    await sleep(500);
  }
  return false;
}

export async function servicesDown(services: LocalService[], progress: Progress): Promise<void> {
  // Reverse order: consumers of ClickHouse may still flush while Kafka goes away.
  for (const service of [...services].reverse()) {
    if (!service.managed) {
      progress(`${service.name}: not managed here (${service.address}); left alone`);
      continue;
    }
    const pidState = readPidState(service.process);
    if (pidState.state === 'running') {
      const how = await stopProcess(service.process, pidState.pid, 30000);
      progress(`${service.name}: ${how === 'stopped' ? 'stopped' : 'did not stop within 30 s; killed'} (pid ${pidState.pid})`);
    } else {
      if (pidState.state === 'stale') removePidFile(service.process);
      progress(`${service.name}: not running`);
    }
  }
}

export async function servicesStatus(services: LocalService[]): Promise<ServiceStatus[]> {
  return Promise.all(services.map(statusOf));
}

async function statusOf(service: LocalService): Promise<ServiceStatus> {
  const probe = await service.probe();
  const base = { name: service.name, address: service.address, managed: service.managed, ready: probe.ready, version: probe.version, detail: probe.detail };
  if (!service.managed) return { ...base, state: probe.ready ? 'external' : 'unreachable' };
  const pidState = readPidState(service.process);
  const logFile = fs.existsSync(service.process.logFile) ? service.process.logFile : undefined;
  if (pidState.state === 'running') return { ...base, state: 'running', pid: pidState.pid, logFile };
  // Answering without a pid of ours: someone else's server on the configured address.
  return { ...base, state: probe.ready ? 'external' : 'stopped', logFile };
}
