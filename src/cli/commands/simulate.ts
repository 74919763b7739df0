import path from 'node:path';
import { Command } from 'commander';
import { createKafka } from '../../kafka';
import { createSimulation, kafkaSink, MIN_EMPLOYEES, MIN_HISTORY_DAYS, MS_PER_HOUR, OUTPUT_FILES, writeSimulation, type EventSink } from '../../simulate';
import type { CliContext } from '../context';
import { progress } from '../output';
import { integer, parseTime } from '../options';

interface SimulateOptions {
  out: string;
  seed: number;
  employees: number;
  days: number;
  end?: number;
  scenarios: boolean;
  toKafka?: boolean;
  topic?: string;
}

export function simulateCommand(ctx: CliContext): Command {
  return new Command('simulate')
    .description('generate a synthetic organisation\'s database access events, with labelled insider scenarios and benign look-alikes')
    .requiredOption('-o, --out <dir>', 'directory for the output files (created when missing)')
    .option('--seed <n>', 'random seed: the same seed, options and --end give byte-identical output', (v) => integer(v, 0), 42)
    .option('--employees <n>', `people in the organisation, at least ${MIN_EMPLOYEES} (service accounts come on top)`, (v) => integer(v, MIN_EMPLOYEES), 500)
    .option('--days <n>', 'length of the period in days', (v) => integer(v, 1), 45)
    .option('--end <time>', 'end of the period (exclusive), ISO-8601 with a zone; default: now, truncated to the hour', parseTime)
    .option('--no-scenarios', 'normal activity only: no injected or labelled scenarios')
    .option('--to-kafka', `produce the events to Kafka (keyed by user, acks from all replicas) instead of writing ${OUTPUT_FILES.events}`)
    .option('--topic <name>', 'with --to-kafka: the topic (default: kafka.topic)')
    .addHelpText(
      'after',
      `
Files written to --out:
  ${OUTPUT_FILES.events}     one canonical access event per line, sorted by time (unless --to-kafka)
  ${OUTPUT_FILES.directory}    the employee directory (load it with: insider directory load FILE)
  ${OUTPUT_FILES.tables}       database,table,sensitivity (pii, payment, internal, public)
  ${OUTPUT_FILES.allowlist}   allowlist entries (user, reason, from, until, tables) for the benign migration
  ${OUTPUT_FILES.labels}      seed, period, totals and every scenario: kind, expected (malicious or benign),
                    user, start, end, events, bytes and the exact event_ids

Scenarios need ${MIN_HISTORY_DAYS} days of history before them; with fewer than about 42 days some are skipped
(listed under "skipped" in ${OUTPUT_FILES.labels}). The defaults give roughly 0.7-0.8 million events.

Examples:
  insider simulate --out /tmp/sim
  insider simulate --out /tmp/sim --seed 7 --employees 2000 --days 60 --end 2026-01-15T00:00:00Z
  insider simulate --out /tmp/sim --to-kafka && insider ingest`,
    )
    .action(async (opts: SimulateOptions) => {
      const end = opts.end ?? Math.floor(Date.now() / MS_PER_HOUR) * MS_PER_HOUR;
      const sim = createSimulation({ seed: opts.seed, employees: opts.employees, days: opts.days, end, scenarios: opts.scenarios });
      progress(`simulate: ${opts.employees} employees, ${opts.days} days from ${new Date(sim.start).toISOString()} to ${new Date(sim.end).toISOString()}, seed ${opts.seed}`);

      let sink: EventSink | undefined;
      let disconnect = async () => {};
      if (opts.toKafka) {
        const config = ctx.config();
        const topic = opts.topic ?? config.kafka.topic;
        const producer = createKafka(config.kafka, ctx.log()).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
        await producer.connect();
        disconnect = () => producer.disconnect();
        sink = kafkaSink(producer, topic);
      }
      try {
        const result = await writeSimulation(sim, {
          outDir: opts.out,
          sink,
          onProgress: (p) =>
            progress(`simulate: day ${p.day}/${p.days}, ${p.events} events ${sink ? 'sent' : 'written'} (${Math.round(p.events / Math.max(p.elapsedMs / 1000, 0.001))}/s)`),
        });
        const l = result.labels;
        const malicious = l.scenarios.filter((s) => s.expected === 'malicious').length;
        const lines = [
          `simulated ${l.start} .. ${l.end} (${l.days} days), seed ${l.seed}, in ${(result.elapsedMs / 1000).toFixed(1)} s`,
          `  events     ${l.events} (${formatBytes(l.bytes)}) -> ${sink ? sink.description : path.join(opts.out, OUTPUT_FILES.events)}`,
          `  users      ${l.users} with events (${l.employees} people, ${l.service_accounts} service accounts in the directory)`,
          `  scenarios  ${l.scenarios.length} (${malicious} malicious, ${l.scenarios.length - malicious} benign), ${l.skipped.length} skipped`,
          ...l.skipped.map((s) => `             skipped ${s.kind}: ${s.reason}`),
          `  files      ${result.files.join(', ')}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await disconnect();
      }
    });
}

function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
