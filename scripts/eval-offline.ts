// `npm run eval:offline -- DIR [DIR...] [--verbose]`: the detection engine and the reference detectors on
// simulations written by `insider simulate --out DIR`, without Kafka or ClickHouse (src/evaluate/offline.ts):
// the per-seed and worst-seed tables of `insider eval`, in a minute or two per seed. For iterating on
// detection statistics; `insider eval` is the measurement of record.
import { loadConfig } from '../src/config';
import { evaluateOffline, seedTable, worstSeedTables, type SeedResult } from '../src/evaluate';
import { formatBytes } from '../src/detect/format';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const dirs = args.filter((a) => !a.startsWith('--'));
  if (dirs.length === 0) throw new Error('usage: eval-offline DIR [DIR...] [--verbose]');
  const { config } = loadConfig({});
  const results: SeedResult[] = [];
  for (const dir of dirs) {
    const t0 = Date.now();
    const run = await evaluateOffline(dir, config.detection);
    results.push(run.result);
    console.log(`\nseed ${run.labels.seed} (${dir}): ${run.result.userDays} user-days, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    console.log(seedTable(run.result).join('\n'));
    if (!verbose) continue;
    const insider = run.result.detectors.find((d) => d.name === 'insider')!;
    const low = insider.floors[0].score;
    for (const s of run.labels.scenarios.filter((x) => x.expected === 'malicious')) {
      const r = low.scenarios.find((x) => x.scenario === s.id)!;
      console.log(`  ${s.id.padEnd(26)} ${r.detected ? 'caught' : 'MISSED'} ${r.severity ?? '-'} beforeEnd=${r.firedBeforeEnd} ${formatBytes(s.bytes)}`);
    }
    const byKind: Record<string, number> = {};
    for (const f of insider.floors) {
      const counts: Record<string, number> = {};
      for (const [id, n] of Object.entries(f.score.metrics.falseAlertsByBenignScenario)) {
        const kind = run.labels.scenarios.find((x) => x.id === id)!.kind;
        counts[kind] = (counts[kind] ?? 0) + n;
      }
      counts['(none)'] = f.score.metrics.unlabelledFalseAlerts;
      byKind[f.floor] = 0;
      console.log(`  false at ${f.floor}+: ${JSON.stringify(Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)))}`);
    }
    const matched = new Set(run.labels.scenarios.filter((s) => s.expected === 'malicious').flatMap((s) => s.users));
    for (const a of run.engineAlerts.filter((x) => x.severity !== 'low' && !matched.has(x.user)).slice(0, 40)) {
      console.log(`   ${a.severity.padEnd(8)} ${a.score} ${a.user} ${new Date(a.windowEnd - 1).toISOString().slice(0, 10)} [${a.detectors.join(',')}] ${a.explanation.slice(0, 220)}`);
    }
  }
  if (results.length > 1) {
    const t = worstSeedTables(results);
    console.log('\nFalse alerts per 1,000 user-days at each floor\n');
    console.log(t.falseAlerts.join('\n'));
    console.log('\nBulk exports caught before they end, and other scenarios caught, at each floor\n');
    console.log(t.recall.join('\n'));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
