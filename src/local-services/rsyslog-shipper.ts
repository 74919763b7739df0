// A real log shipper for the tests and the demo: Debian's rsyslog with rsyslog-kafka, tailing one of
// PostgreSQL's log files, or MariaDB's slow and audit logs (imfile), into a Kafka topic (omkafka), each record in a small JSON envelope
// {"msg": <the record>, "host": ..., "file": ...}. The same settings, for a production rsyslog, are in
// docs/sources/postgres.md. One rsyslogd per shipper, with its own config, work directory and pid file.
// omkafka drops a message over its producer's message.max.bytes (1,000,000 by default) after one error
// line, without retry: the JSON envelope of a 1 MiB record can be six times that (control characters
// escaped), so the producer is allowed the envelope's largest size (the topic must allow it too).
import fs from 'node:fs';
import path from 'node:path';
import { ServiceError } from '../errors';
import { ensureDebianPackages } from './debian-packages';
import { isOurs, sleep, startDetached, stopProcess, tail, type ManagedProcess } from './managed-process';
import type { Progress } from './service';
import { maxEnvelopeBytes } from '../sources';

const RSYSLOGD = '/usr/sbin/rsyslogd';
/** rsyslog's maxMessageSize: the ingester's default ingest.maxMessageBytes, so a record it ships whole is read whole. */
const RECORD_BYTES = 1024 * 1024;
const OMKAFKA = ['/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so', '/usr/lib/aarch64-linux-gnu/rsyslog/omkafka.so', '/usr/lib/rsyslog/omkafka.so'];

/** One file to tail; `startRegex` (POSIX ERE): the lines that start a record, the others continue it. */
export interface ShippedFile {
  file: string;
  tag: string;
  startRegex?: string;
}

/** MariaDB's two logs: slow-log entries start at "# User@Host:"; audit lines are one record each. */
export function mariadbFiles(slow: string, audit: string): ShippedFile[] {
  return [
    { file: slow, tag: 'mariadb-slow', startRegex: '^# User@Host: ' },
    { file: audit, tag: 'mariadb-audit' },
  ];
}

export interface ShipperOptions {
  /** A directory of its own: config, imfile state, pid and log files. */
  dir: string;
  /** The log file to tail (PostgreSQL; or `files`). */
  file?: string;
  /** jsonlog records are one line each; csvlog and stderr records may span lines (joined by their start). */
  destination?: 'jsonlog' | 'csvlog' | 'stderr';
  /** Several files into the same topic, in place of `file` (MariaDB's slow and audit logs). */
  files?: ShippedFile[];
  brokers: readonly string[];
  topic: string;
  /** 'json' wraps each record as {"msg": ...}; 'bare' sends the record as it is. */
  envelope?: 'json' | 'bare';
}

export interface RsyslogShipper {
  readonly pid: number;
  readonly configFile: string;
  stop(): Promise<void>;
  logTail(): string;
}

export function ensureRsyslog(progress: Progress): Promise<void> {
  const present = () => fs.existsSync(RSYSLOGD) && OMKAFKA.some((p) => fs.existsSync(p));
  return ensureDebianPackages({ service: 'rsyslog', what: 'rsyslog with omkafka', packages: ['rsyslog', 'rsyslog-kafka'], progress, present });
}

/** The rsyslog configuration: imfile -> omkafka. Exported for the documentation test. */
export function rsyslogConfig(opts: ShipperOptions): string {
  const q = (s: string) => JSON.stringify(s);
  // csvlog and stderr records start with their timestamp; other lines continue the record before them.
  const files: ShippedFile[] = opts.files ?? [{ file: opts.file ?? '', tag: 'postgresql', startRegex: opts.destination === 'jsonlog' ? undefined : '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:' }];
  const template = opts.envelope === 'bare' ? 'insider_bare' : 'insider_envelope';
  const inputs = files
    .map((f) => {
      const multiLine = f.startRegex ? ` startmsg.regex=${q(f.startRegex)} readTimeout="1"` : '';
      // A record over maxMessageSize is cut; by default rsyslog sends the rest as a record of its own,
      // which starts where the writer of the statement chose: a forged slow-log entry or csvlog line.
      return `input(type="imfile" File=${q(f.file)} Tag=${q(f.tag)} addMetadata="on" freshStartTail="on" escapeLF="off" discardTruncatedMsg="on"${multiLine}
      ruleset="insider_to_kafka")`;
    })
    .join('\n');
  const what = opts.files ? files.map((f) => f.tag).join(' + ') : `PostgreSQL's ${opts.destination}`;
  return `# Written by the insider-detector: ${what} -> Kafka topic ${opts.topic}.
global(workDirectory=${q(path.join(opts.dir, 'work'))} maxMessageSize="${RECORD_BYTES}"
       parser.escapeControlCharactersOnReceive="off")
module(load="imfile")
module(load="omkafka")
template(name="insider_envelope" type="list") {
  constant(value="{\\"msg\\":\\"") property(name="msg" format="json")
  constant(value="\\",\\"host\\":\\"") property(name="hostname" format="json")
  constant(value="\\",\\"file\\":\\"") property(name="$!metadata!filename" format="json")
  constant(value="\\"}")
}
template(name="insider_bare" type="string" string="%msg%")
ruleset(name="insider_to_kafka") {
  action(type="omkafka" broker=[${opts.brokers.map(q).join(', ')}] topic=${q(opts.topic)} template="${template}"
         confParam=["queue.buffering.max.ms=20", "acks=all", "enable.idempotence=true", "message.max.bytes=${maxEnvelopeBytes(RECORD_BYTES)}"]
         action.resumeRetryCount="-1")
}
${inputs}
`;
}

export async function startRsyslogShipper(opts: ShipperOptions, progress: Progress = () => {}): Promise<RsyslogShipper> {
  await ensureRsyslog(progress);
  fs.mkdirSync(path.join(opts.dir, 'work'), { recursive: true });
  const configFile = path.join(opts.dir, 'rsyslog.conf');
  fs.writeFileSync(configFile, rsyslogConfig(opts));
  const proc: ManagedProcess = { pidFile: path.join(opts.dir, 'shipper.pid'), logFile: path.join(opts.dir, 'rsyslogd.log'), commandMatch: configFile };
  const pid = startDetached(proc, RSYSLOGD, ['-n', '-f', configFile, '-i', path.join(opts.dir, 'rsyslogd.pid')], { cwd: opts.dir });
  // rsyslogd checks its configuration at start and exits on an error: give it a moment to say so.
  await sleep(500);
  if (!isOurs(pid, configFile)) throw new ServiceError('SERVICE_START_FAILED', `rsyslogd exited at start; log:\n${tail(proc.logFile, 20)}`, { service: 'rsyslog' });
  return {
    pid,
    configFile,
    logTail: () => tail(proc.logFile, 20),
    async stop() {
      if (isOurs(pid, configFile)) await stopProcess(proc, pid, 10000);
    },
  };
}
