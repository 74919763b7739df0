import readline from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { toCanonical } from '../../event';
import { ConfigError } from '../../errors';
import { createKafka } from '../../kafka';
import { createOcsfExport } from '../../notify';
import { FORMATS, formatNamed, readTableStats, TableStatsIndex, createSessionJoin, ENVELOPE_FIELDS, createQueryLogPoller, parseClickhouseOptions, recordFramer, decodeMessage, type DecodeContext, type RawMessage } from '../../sources';
import type { CliContext } from '../context';
import { printTable, progress } from '../output';

export function sourcesCommand(ctx: CliContext): Command {
  const cmd = new Command('sources').description('the log formats a topic can carry (ingest.sources): list them, or try one on lines before pointing production at it');

  cmd
    .command('list')
    .description('the formats, what they read, and their options')
    .action(() => {
      printTable(
        FORMATS.map((f) => ({ format: f.name, reads: f.summary })),
        ['format', 'reads'],
      );
      for (const f of FORMATS) {
        const opts = Object.entries(f.optionsHelp);
        if (opts.length === 0) continue;
        process.stdout.write(`\n${f.name} options (--option k=v, or ingest.sources.<topic>.options):\n`);
        for (const [k, v] of opts) process.stdout.write(`  ${k.padEnd(16)} ${v}\n`);
      }
      process.stdout.write(`\nEnvelopes accepted around a line: ${ENVELOPE_FIELDS.map((e) => `{"${e.field}": ...} (${e.shippers})`).join('; ')}; or the bare line.\n`);
    });

  cmd
    .command('parse')
    .description('read raw log lines (or shipper envelopes) on stdin; print each canonical event as a JSON line, and each rejected record as {"dead_letter": ...}')
    .requiredOption('--format <name>', `the format: ${FORMATS.map((f) => f.name).join(', ')}`)
    .option('--option <k=v>', 'a format option, repeatable (see `insider sources list`)', collectOption, {} as Record<string, string>)
    .option('--topic <name>', 'the topic name the records would come from (the default server name)', 'stdin')
    .addHelpText(
      'after',
      `
Records: jsonlog and envelopes are one per line; csvlog and stderr records start with their timestamp
and continue over the lines that do not (a statement with newlines), as the shipper joins them.
Sessions are joined within the input (a connection line names the person behind later lines). Bytes
use the defaultRowBytes option unless statsUrlEnv names a variable with a postgres:// URL, whose
table statistics are then read first. Exit code 0: every record decoded; 4: some were rejected.

Examples:
  insider sources parse --format postgres --option destination=jsonlog < /var/log/postgresql/postgresql.json
  tail -n 100 postgresql.csv | insider sources parse --format postgres --option destination=csvlog --option server=pg-prod-1
  insider sources parse --format postgres --option destination=stderr --option "prefix=%m [%p] %c %l %q%u@%d %r %a: " < postgresql.log`,
    )
    .action(async (opts: { format: string; option: Record<string, string>; topic: string }) => {
      const format = formatNamed(opts.format);
      const decoder = format.create(opts.option, opts.topic);
      const config = ctx.config();
      const stats = new TableStatsIndex();
      const statsEnv = opts.option.statsUrlEnv;
      if (statsEnv && process.env[statsEnv]) {
        for (const server of decoder.servers) {
          const rows = await readTableStats(process.env[statsEnv] as string, server);
          for (const r of rows) stats.add(r);
          progress(`sources: table statistics of ${rows.length} tables read from ${server}`);
        }
      }
      const join = createSessionJoin({ persist: false });
      const limits = { maxMessageBytes: config.ingest.maxMessageBytes, maxFutureSkewMs: config.ingest.maxFutureSkewMs };
      const counts = { records: 0, events: 0, rejected: 0, ignored: 0 };
      const framer = recordFramer(decoder.recordStart ?? (opts.option.destination === 'csvlog' || opts.option.destination === 'stderr'), opts.option.destination === 'csvlog');
      // Records are the input's bytes: each line is read as latin1 (one character a byte, none lost) to
      // be framed (what starts a record is ASCII), then given to the decoder as those bytes, as the
      // shipper sends them to the ingester. Decoding stdin as UTF-8 here replaced bytes that are not
      // UTF-8 before the decoder saw them: a record the ingester refused was counted here.
      const bytesOf = (record: string) => Buffer.from(record, 'latin1');
      const handle = (record: string) => {
        counts.records++;
        const message: RawMessage = { value: bytesOf(record), topic: opts.topic, partition: 0, offset: String(counts.records - 1) };
        const dctx: DecodeContext = { limits, now: Date.now(), session: (s, id) => join.view(s, id), tableStats: (s, d, t, at) => stats.at(s, d, t, at) };
        const r = decodeMessage(decoder, message, dctx);
        if (r.facts) join.apply(r.facts);
        if (!r.ok) {
          counts.rejected++;
          process.stdout.write(`${JSON.stringify({ record: counts.records, dead_letter: { code: r.code, reason: r.reason } })}\n`);
          return;
        }
        if (r.events.length === 0) counts.ignored++;
        for (const e of r.events) {
          counts.events++;
          process.stdout.write(`${JSON.stringify(toCanonical(e.event))}\n`);
        }
      };
      process.stdin.setEncoding('latin1');
      const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
      if (decoder.prescan) {
        // Facts from another file (MariaDB's audit log beside its slow log): read them all first, as the
        // ingester does within a batch, so the order of the two files in the input does not matter.
        const records: string[] = [];
        for await (const line of lines) records.push(...framer.push(line));
        records.push(...framer.end());
        const dctx: DecodeContext = { limits, now: Date.now(), session: (s, id) => join.view(s, id), tableStats: () => undefined };
        records.forEach((r, i) => {
          try {
            join.apply(decoder.prescan!({ value: bytesOf(r), topic: opts.topic, partition: 0, offset: String(i) }, dctx));
          } catch {
            // decodeMessage reports the same record's fault as its dead-letter reason (as decodeBatch does).
          }
        });
        for (const record of records) handle(record);
      } else {
        for await (const line of lines) for (const record of framer.push(line)) handle(record);
        for (const record of framer.end()) handle(record);
      }
      progress(`sources: ${counts.records} records: ${counts.events} events, ${counts.rejected} dead-lettered, ${counts.ignored} without an access (connections, other log lines)`);
      if (counts.rejected > 0) process.exitCode = 4;
    });

  cmd
    .command('poll')
    .description("poll a ClickHouse's system.query_log into the topic whose format is clickhouse-query-log (its options: url, credentials' variables, interval, lag), with a cursor kept in ClickHouse; until SIGTERM/SIGINT")
    .requiredOption('--topic <name>', 'the topic (ingest.sources.<topic> with format clickhouse-query-log)')
    .option('--once', 'one poll, then exit (prints the rows sent)')
    .addHelpText(
      'after',
      `
Each finished query is sent once: the cursor (source_cursors) is stored after Kafka acknowledged the
rows. The audited server needs <query_log> in its config and log_queries = 1 for the audited users.
Queries running with log_queries = 0 (not in query_log) are read from system.processes and sent as
events of no bytes that say so: forbid the change on the server (docs/sources/clickhouse.md).
Run \`insider migrate\` first. Example:
  ingest: { topics: [db-access-events, ch-queries], sources: { ch-queries: { format: clickhouse-query-log,
            options: { url: "http://ch-prod-1:8123", usernameEnv: CH_AUDIT_USER, passwordEnv: CH_AUDIT_PASSWORD } } } }
  insider sources poll --topic ch-queries`,
    )
    .action(async (opts: { topic: string; once?: boolean }) => {
      const config = ctx.config();
      const log = ctx.log();
      const spec = config.ingest.sources[opts.topic];
      if (!spec || spec.format !== 'clickhouse-query-log') {
        throw new ConfigError(`ingest.sources.${opts.topic}: no source with format clickhouse-query-log for topic ${JSON.stringify(opts.topic)} (it has ${spec ? spec.format : 'no source'})`);
      }
      const options = parseClickhouseOptions(spec.options, opts.topic);
      const producer = createKafka(config.kafka, log).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      const poller = createQueryLogPoller({ topic: opts.topic, server: options.server ?? opts.topic, options, store: ctx.clickhouse(), producer, log });
      const onSignal = (signal: NodeJS.Signals) => {
        progress(`${signal}: stopping after the poll in hand`);
        poller.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        if (opts.once) progress(`sources poll: ${await poller.pollOnce()} rows sent to ${opts.topic}`);
        else {
          progress(`sources poll: polling ${options.url} system.query_log every ${options.intervalMs} ms into ${opts.topic}`);
          log.info({ topic: opts.topic }, 'polling');
          await poller.run();
        }
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await poller.close();
        await producer.disconnect();
      }
    });

  cmd
    .command('export-ocsf')
    .description('send every access event, decoded from the event topics, to a SIEM topic as OCSF Datastore Activity (class 6005), until SIGTERM/SIGINT')
    .requiredOption('--to-topic <name>', "the SIEM's topic on the product's Kafka")
    .option('--group <id>', 'the consumer group (default: <ingest.groupId>-ocsf)')
    .addHelpText('after', '\nAlerts go to SIEMs through the notifier: a channel { type: kafka, topic, format: ocsf } or { type: webhook, format: ocsf } (docs/siem-export.md).')
    .action(async (opts: { toTopic: string; group?: string }) => {
      const config = ctx.config();
      const log = ctx.log();
      const exporter = createOcsfExport({ config, kafka: createKafka(config.kafka, log), ch: ctx.clickhouse(), log, topic: opts.toTopic, groupId: opts.group ?? `${config.ingest.groupId}-ocsf` });
      let stopping: Promise<void> | undefined;
      const done = new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          progress(`${signal}: stopping`);
          stopping ??= exporter.stop().then(resolve);
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      await exporter.start();
      progress(`sources export-ocsf: exporting to ${opts.toTopic}`);
      log.info({ topic: opts.toTopic }, 'exporting');
      await done;
      const s = exporter.stats();
      progress(`sources export-ocsf: ${s.messages} messages, ${s.exported} OCSF records sent, ${s.undecodable} not decodable (the ingester dead-letters them)`);
    });

  return cmd;
}

function collectOption(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected k=v, e.g. destination=csvlog');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
