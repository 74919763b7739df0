// Apache Kafka 3.9 in KRaft mode (one combined broker+controller), assembled from its Maven Central
// jars by deploy/local/kafka/pom.xml and run with the machine's Java. Ready only when the broker
// answers a metadata request.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { ServiceError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import { fillTemplate, startDetached, tail, type ManagedProcess } from './managed-process';
import { ensureJars, javaBinary, pomVersion } from './maven-jars';
import { isLoopback, splitHostPort, type LocalService, type Progress } from './service';
import type { Config } from '../config';

const run = promisify(execFile);
const DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy', 'local', 'kafka');

/**
 * KRaft's storage format command. The id goes in one `--cluster-id=ID` argument: a base64url id may
 * start with '-', which the tool's parser would read as an option (1 start in 64 failed with
 * "argument --cluster-id/-t: expected one argument").
 */
export function storageFormatArgs(clusterId: string, propsFile: string): string[] {
  return ['kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propsFile];
}

export function kafkaBroker(config: Readonly<Config>, stateDir: string): LocalService {
  const broker = config.kafka.brokers[0];
  const { host, port } = splitHostPort(broker);
  const home = path.join(stateDir, 'kafka');
  const libs = path.join(home, 'libs');
  const dataDir = path.join(home, 'data');
  const propsFile = path.join(home, 'server.properties');
  const pom = path.join(DEPLOY_DIR, 'pom.xml');
  const kafkaVersion = pomVersion(pom, 'kafka.version');
  const opts = config.localServices.kafka;
  const managed =
    opts.manage === 'always' || (opts.manage === 'auto' && config.kafka.brokers.every((b) => isLoopback(splitHostPort(b).host)));

  const proc: ManagedProcess = {
    pidFile: path.join(stateDir, 'run', 'kafka.pid'),
    logFile: path.join(stateDir, 'logs', 'kafka.log'),
    // The filled-in properties file path is unique to this state dir, so another Kafka never matches.
    commandMatch: propsFile,
  };
  const java = javaBinary();
  const classpath = `${libs}/*`;

  return {
    name: 'kafka',
    address: config.kafka.brokers.join(','),
    managed,
    startTimeoutMs: opts.startTimeoutMs,
    process: proc,

    ensureInstalled: (progress: Progress) => ensureJars({ service: 'kafka', title: `Apache Kafka ${kafkaVersion}`, pom, version: kafkaVersion, libs }, progress),

    async launch(progress: Progress) {
      fs.mkdirSync(dataDir, { recursive: true });
      const template = fs.readFileSync(path.join(DEPLOY_DIR, 'server.properties'), 'utf8');
      fs.writeFileSync(propsFile, fillTemplate(template, { HOST: host, BROKER_PORT: port, CONTROLLER_PORT: port + 1, DATA_DIR: dataDir }));
      if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
        progress(`formatting Kafka storage in ${dataDir}`);
        const clusterId = crypto.randomBytes(16).toString('base64url');
        try {
          await run(java, ['-cp', classpath, ...storageFormatArgs(clusterId, propsFile)]);
        } catch (err) {
          throw new ServiceError('SERVICE_START_FAILED', `could not format Kafka storage: ${(err as Error).message}`, { service: 'kafka' });
        }
      }
      const logConfig = path.join(DEPLOY_DIR, 'log4j.properties');
      return startDetached(
        proc,
        java,
        [
          `-Xmx${opts.heapMb}m`,
          `-Xms${Math.min(256, opts.heapMb)}m`,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${logConfig}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          propsFile,
        ],
        { cwd: home },
      );
    },

    async probe() {
      const kafka = new Kafka({
        clientId: 'insider-services-probe',
        brokers: [...config.kafka.brokers],
        ssl: config.kafka.ssl,
        connectionTimeout: 1000,
        requestTimeout: 2000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        const version = managed ? `Apache Kafka ${kafkaVersion} (KRaft)` : undefined;
        return { ready: true, version, detail: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)` };
      } catch (err) {
        return { ready: false, detail: (err as Error).message };
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },

    logTail: () => tail(proc.logFile),
  };
}
