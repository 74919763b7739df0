// Every report written is a row of report_manifests (migration 0011): its manifest's SHA-256 and the chain
// heads it printed. The row is itself a link of the report_manifests chain, sealed by the next seal.
import crypto from 'node:crypto';
import { toDateTime, type ClickHouse } from '../store';
import type { ReportPeriod } from './period';

export async function recordManifest(
  ch: ClickHouse,
  m: { at: number; title: string; period: ReportPeriod; outDir: string; manifestSha256: string; heads: ReadonlyArray<{ chain: string; seq: number; linkHash: string }> },
): Promise<string> {
  const reportId = `rep_${crypto.randomBytes(6).toString('hex')}`;
  await ch.insert('report_manifests', [
    {
      report_id: reportId,
      at: toDateTime(m.at),
      at_ms: m.at % 1000,
      title: m.title,
      period_kind: m.period.kind,
      period_from: toDateTime(m.period.from),
      period_to: toDateTime(m.period.to),
      out_dir: m.outDir,
      manifest_sha256: m.manifestSha256,
      chain_heads: JSON.stringify(m.heads.map((h) => `${h.chain}:${h.seq}:${h.linkHash}`)),
    },
  ]);
  return reportId;
}
