// `npm run eval:offline -- DIR [DIR...] [--verbose] [--diagnose]`: the detection engine and the reference
// detectors on simulations written by `insider simulate --out DIR`, without Kafka or ClickHouse
// (src/evaluate/offline.ts): the per-seed and worst-seed tables of `insider eval`, in a minute or two per
// seed. For iterating on detection statistics; `insider eval` is the measurement of record.
// --verbose: every insider scenario's verdict, false alerts by benign scenario kind, and each false alert at
// medium and above with its findings. --diagnose (implies --verbose; about twice as slow): the same
// simulation through a second engine whose alert floor lets every finding through, to say by how much each
// scenario missed at the alert floor or at medium: per detector, the best score its statistic reached alone
// on the scenario's days (a drip is seen once a run and severity, so its best below medium may be higher).
import { loadConfig } from '../src/config';
import { caseTable, seedTable, worstSeedCaseTable, worstSeedTables, type SeedResult } from '../src/evaluate';
import { evaluateOfflineMany } from '../src/evaluate/offline';
import { floorScore } from '../src/detect/scoring';
import { scoreOfRate } from '../src/detect/statistics/tail';
import { formatBytes } from '../src/format';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const diagnose = args.includes('--diagnose');
  const verbose = diagnose || args.includes('--verbose');
  const dirs = args.filter((a) => !a.startsWith('--'));
  if (dirs.length === 0) throw new Error('usage: eval-offline DIR [DIR...] [--verbose] [--diagnose]');
  const { config } = loadConfig({});
  const scoring = config.detection.scoring;
  // Every finding through (a floor of 1,000 per 1,000 user-days is score 0): what each statistic reached.
  const permissive = { ...config.detection, scoring: { ...scoring, alertFloor: 1000 } };
  const results: SeedResult[] = [];
  for (const dir of dirs) {
    const t0 = Date.now();
    const [run, open] = await evaluateOfflineMany(dir, diagnose ? [config.detection, permissive] : [config.detection], config.cases);
    results.push(run.result);
    console.log(`\nseed ${run.labels.seed} (${dir}): ${run.result.userDays} user-days, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    console.log(seedTable(run.result).join('\n'));
    console.log(caseTable(run.result).join('\n'));
    for (const d of run.result.detectors) for (const [id, n] of Object.entries(d.cases.splitScenarios)) console.log(`  ${d.name}: insider scenario ${id} is split over ${n.cases} cases (${n.people} people)`);
    if (!verbose) continue;
    const insider = run.result.detectors.find((d) => d.name === 'insider')!;
    const low = insider.floors[0].score;
    for (const s of run.labels.scenarios.filter((x) => x.expected === 'malicious')) {
      const r = low.scenarios.find((x) => x.scenario === s.id)!;
      console.log(`  ${s.id.padEnd(26)} ${r.detected ? 'caught' : 'MISSED'} ${r.severity ?? '-'} beforeEnd=${r.firedBeforeEnd} ${formatBytes(s.bytes)}`);
      if (!open || (r.detected && r.severity !== 'low')) continue;
      // The scenario's days (UTC) and users in the permissive run: each detector's best score alone, and the alert's.
      const from = Date.parse(s.start) - (Date.parse(s.start) % 86_400_000);
      const to = Date.parse(s.end);
      const best = new Map<string, { score: number; details: string }>();
      let alertScore = 0;
      for (const a of open.revisions.filter((x) => s.users.includes(x.user) && x.windowEnd > from && x.windowEnd - 86_400_000 <= to)) {
        alertScore = Math.max(alertScore, a.score);
        for (const f of a.findings) {
          const score = f.rate !== undefined ? scoreOfRate(f.rate) : f.kind === 'policy' ? a.score : 0;
          if ((best.get(f.detector)?.score ?? -1) < score) best.set(f.detector, { score, details: JSON.stringify(f.details ?? {}) });
        }
      }
      const target = r.detected ? floorScore(scoring.medium) : floorScore(scoring.alertFloor);
      console.log(`      ${r.detected ? 'below medium' : 'missed'}: alert score ${alertScore} of ${target} needed; alone: ${[...best].sort((x, y) => y[1].score - x[1].score).map(([d, b]) => `${d} ${b.score.toFixed(1)} ${b.details}`).join('; ') || 'no finding at all'}`);
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
    console.log('\nCases\n');
    console.log(worstSeedCaseTable(results).join('\n'));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
