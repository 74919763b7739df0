// Apache ZooKeeper 3.8, standalone, for the local ClickHouse cluster: assembled from its Maven Central
// jars by deploy/local/zookeeper/pom.xml (as Kafka is) and run with the machine's Java, listening on
// loopback only. Ready when it answers the `srvr` command as a serving server.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root';
import { fillTemplate, startDetached, tail, type ManagedProcess } from './managed-process';
import { ensureJars, javaBinary, pomVersion } from './maven-jars';
import type { LocalService, Probe, Progress } from './service';
import type { Config } from '../config';

const DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy', 'local', 'zookeeper');
export const ZOOKEEPER_HOST = '127.0.0.1';

export function zookeeperServer(config: Readonly<Config>, stateDir: string, managed: boolean): LocalService {
  const opts = config.localServices.zookeeper;
  const home = path.join(stateDir, 'zookeeper');
  const libs = path.join(home, 'libs');
  const cfgFile = path.join(home, 'zoo.cfg');
  const pom = path.join(DEPLOY_DIR, 'pom.xml');
  const version = pomVersion(pom, 'zookeeper.version');
  const proc: ManagedProcess = {
    pidFile: path.join(stateDir, 'run', 'zookeeper.pid'),
    logFile: path.join(stateDir, 'logs', 'zookeeper.log'),
    commandMatch: cfgFile,
  };

  return {
    name: 'zookeeper',
    address: `${ZOOKEEPER_HOST}:${opts.port}`,
    managed,
    startTimeoutMs: opts.startTimeoutMs,
    process: proc,

    ensureInstalled: (progress: Progress) => ensureJars({ service: 'zookeeper', title: `Apache ZooKeeper ${version}`, pom, version, libs }, progress),

    async launch() {
      const dataDir = path.join(home, 'data');
      fs.mkdirSync(dataDir, { recursive: true });
      const template = fs.readFileSync(path.join(DEPLOY_DIR, 'zoo.cfg'), 'utf8');
      fs.writeFileSync(cfgFile, fillTemplate(template, { DATA_DIR: dataDir, PORT: opts.port, HOST: ZOOKEEPER_HOST }));
      return startDetached(
        proc,
        javaBinary(),
        [
          `-Xmx${opts.heapMb}m`,
          '-XX:+UseG1GC',
          '-Djava.awt.headless=true',
          `-Dlogback.configurationFile=${path.join(DEPLOY_DIR, 'logback.xml')}`,
          '-cp',
          `${libs}/*`,
          'org.apache.zookeeper.server.ZooKeeperServerMain',
          cfgFile,
        ],
        { cwd: home },
      );
    },

    async probe() {
      return srvr(ZOOKEEPER_HOST, opts.port);
    },

    logTail: () => tail(proc.logFile),
  };
}

/** ZooKeeper's `srvr` four-letter command: its version and mode, or why it does not serve. */
export function srvr(host: string, port: number, timeoutMs = 2000): Promise<Probe> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ host, port });
    const done = (probe: Probe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => done({ ready: false, detail: `no answer within ${timeoutMs} ms` }));
    socket.on('connect', () => socket.write('srvr'));
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    socket.on('error', (err) => done({ ready: false, detail: err.message }));
    socket.on('end', () => {
      const version = /Zookeeper version: ([^-,\s]+)/.exec(answer)?.[1];
      const mode = /Mode: (\w+)/.exec(answer)?.[1];
      if (version && mode) done({ ready: true, version: `Apache ZooKeeper ${version}`, detail: `mode ${mode}` });
      else done({ ready: false, detail: answer.trim().split('\n')[0] || 'empty answer to srvr' });
    });
  });
}
