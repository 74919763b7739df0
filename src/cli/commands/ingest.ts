import { Command } from 'commander';
import { createIngester } from '../../ingest';
import { createKafka } from '../../kafka';
import { clickhouseReady, createRegistry, serveMetrics } from '../../telemetry';
import type { CliContext } from '../context';
import { progress } from '../output';

export function ingestCommand(ctx: CliContext): Command {
  return new Command('ingest')
    .description('consume access events from Kafka into ClickHouse until stopped (SIGTERM/SIGINT flush and commit first)')
    .option('--group <id>', 'consumer group id (default: ingest.groupId)')
    .addHelpText(
      'after',
      `
Bad events go to the dead-letter topic (<topic>.dlq by default) with their reason in headers.
Prometheus metrics: http://<ingest.metrics.host>:<ingest.metrics.port>/metrics (port 9464 by default),
with /healthz (liveness) and /readyz (ClickHouse answers) on the same port.
Run \`insider migrate\` first.`,
    )
    .action(async (opts: { group?: string }) => {
      const config = ctx.config();
      const log = ctx.log();
      const registry = createRegistry();
      const settings = opts.group ? { ...config.ingest, groupId: opts.group } : config.ingest;
      const ch = ctx.clickhouse();
      const ingester = createIngester({
        settings,
        topic: config.kafka.topic,
        kafka: createKafka(config.kafka, log),
        ch,
        log,
        registry,
      });

      let signalled = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        progress(`${signal}: finishing the batch in hand, committing, leaving the group...`);
        void ingester.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined;
      try {
        await ingester.start();
        // Served once consuming: readiness means this ingester runs and ClickHouse answers.
        if (settings.metrics.port > 0) metrics = await serveMetrics(registry, settings.metrics.host, settings.metrics.port, { ready: clickhouseReady(ch) });
        if (metrics) progress(`metrics at ${metrics.url}`);
        await ingester.done;
        const s = ingester.stats();
        progress(`stopped: ${s.received} received, ${s.inserted} inserted, ${s.deadLettered} dead-lettered, ${s.skipped} skipped as already stored; ${s.inserts} inserts carried ${s.batchesInserted} batches`);
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await metrics?.close();
      }
    });
}
