// The Grafana dashboard shipped in deploy/grafana reads only metrics that the stages register, so that a
// renamed metric cannot leave an on-call responder with an empty panel.
import fs from 'node:fs';
import path from 'node:path';
import { httpMetrics } from '../../src/api/metrics';
import { detectMetrics } from '../../src/live-detect/metrics';
import { ingestMetrics } from '../../src/ingest/metrics';
import { notifyMetrics } from '../../src/notify/metrics';
import { reportMetrics } from '../../src/report/metrics';
import { createRegistry } from '../../src/telemetry';

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}

describe('deploy/grafana/insider-detector.json', () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '../../deploy/grafana/insider-detector.json'), 'utf8')) as { panels: Panel[] };

  it('has a panel for each stage, and each panel reads only metrics a stage registers', async () => {
    const registry = createRegistry({ defaultMetrics: false });
    ingestMetrics(registry);
    detectMetrics(registry);
    notifyMetrics(registry, () => 0);
    reportMetrics(registry);
    httpMetrics(registry);
    const registered = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const read = new Set<string>();
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.targets?.length ?? 0).toBeGreaterThan(0);
      for (const t of p.targets ?? []) for (const m of t.expr.matchAll(/insider_[a-z0-9_]+/g)) read.add(m[0].replace(/_(bucket|sum|count)$/, ''));
    }
    expect([...read].filter((name) => !registered.has(name))).toEqual([]);
    for (const stage of ['ingest', 'detect', 'notify', 'report', 'api']) expect([...read].some((name) => name.startsWith(`insider_${stage}_`))).toBe(true);
  });
});
