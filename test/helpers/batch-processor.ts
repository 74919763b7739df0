// A batch processor (src/ingest/batch.ts) as the ingester builds one, with a test's ClickHouse and quiet
// defaults: no metrics registry of the process, a silent log, short retries. Tests override what they probe.
import { createBatchProcessor, type BatchDeps } from '../../src/ingest/batch';
import { ingestMetrics } from '../../src/ingest/metrics';
import { createLogger } from '../../src/log';
import { createSources } from '../../src/sources';
import { createRegistry } from '../../src/telemetry';

export function testBatchProcessor(deps: Pick<BatchDeps, 'ch'> & Partial<BatchDeps>) {
  return createBatchProcessor({
    producer: {} as never,
    metrics: ingestMetrics(createRegistry({ defaultMetrics: false })),
    log: createLogger({ level: 'silent' }),
    limits: { maxMessageBytes: 4096, maxFutureSkewMs: 86400000 },
    retry: { initialDelayMs: 10, maxDelayMs: 100 },
    dedupWindow: 1000,
    deadLetterTopic: '',
    sources: createSources({ settings: { sources: {} } as never, role: 'reader' }),
    sessionTimeoutMs: 10000,
    ...deps,
  });
}
