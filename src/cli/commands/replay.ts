import fs from 'node:fs';
import { Command } from 'commander';
import { createKafka } from '../../kafka';
import { replayLines } from '../../replay';
import type { CliContext } from '../context';
import { integer } from '../options';
import { progress } from '../output';

export function replayCommand(ctx: CliContext): Command {
  return new Command('replay')
    .description('produce JSON lines (one access event each) from FILE, or - for stdin, to the events topic, keyed by user')
    .argument('<file>', 'a JSON-lines file, or - to read standard input')
    .option('--topic <name>', 'topic to produce to (default: kafka.topic)')
    // A produce request makes one record batch per partition; consumers do not read one past
    // kafka.maxBatchRecords (20,000 by default).
    .option('--batch <n>', 'messages per produce request (at most 10000)', (v) => integer(v, 1, 10_000), 1000)
    .addHelpText('after', '\nExample:\n  insider replay events.jsonl\n  zcat audit.jsonl.gz | insider replay -')
    .action(async (file: string, opts: { topic?: string; batch: number }) => {
      const config = ctx.config();
      const log = ctx.log();
      const topic = opts.topic ?? config.kafka.topic;
      const input = file === '-' ? process.stdin : fs.createReadStream(file);
      await new Promise<void>((resolve, reject) => {
        if (file === '-') return resolve();
        (input as fs.ReadStream).once('open', () => resolve()).once('error', (err) => reject(new Error(`cannot read ${file}: ${err.message}`)));
      });
      const producer = createKafka(config.kafka, log).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await producer.connect();
      try {
        const rate = (sent: number, ms: number) => `${Math.round(sent / Math.max(ms / 1000, 0.001))}/s`;
        const result = await replayLines(input, {
          producer,
          topic,
          batchSize: opts.batch,
          onProgress: (p) => progress(`replay: ${p.sent} events sent to ${topic} (${rate(p.sent, p.elapsedMs)})`),
        });
        progress(
          `replay: done, ${result.sent} events sent to ${topic} in ${(result.elapsedMs / 1000).toFixed(1)} s (${rate(result.sent, result.elapsedMs)})` +
            (result.blank ? `; ${result.blank} blank line(s) skipped` : ''),
        );
      } finally {
        await producer.disconnect();
      }
    });
}
