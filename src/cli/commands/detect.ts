import { Command, Option } from 'commander';
import { alertsOfDays, writeAlerts, type AlertRecord } from '../../alerts';
import { dayOf } from '../../calendar';
import { backfill, engineFor, primeBefore } from '../../detect';
import { liveDetectorChecks, liveDetectorMembers, startLiveDetector, type LiveDetector, type LiveDetectorsFound } from '../../live-detect';
import { Abandoned, createKafka } from '../../kafka';
import { loadEngineInputs } from '../../triage';
import { effectiveDetection, loadTuning } from '../../tune';
import type { CliContext } from '../context';
import { startHealth } from '../health';
import { createRegistry } from '../../telemetry';
import { progress } from '../output';
import { parseTime } from '../options';

interface DetectOptions {
  once?: boolean;
  from?: number;
  to?: number;
  group?: string;
}

export function detectCommand(ctx: CliContext): Command {
  return new Command('detect')
    .description('judge access events as they arrive and store alerts in ClickHouse until stopped; or, with --once, a stored period (backfill)')
    .option('--once', 'judge the stored events of --from .. --to and exit, instead of consuming from Kafka')
    .addOption(new Option('--from <time>', 'with --once: start of the period, ISO-8601 with a zone').argParser(parseTime))
    .addOption(new Option('--to <time>', 'with --once: end of the period (exclusive), ISO-8601 with a zone (default: now)').argParser(parseTime))
    .option('--group <id>', 'Kafka consumer group of the live detector (default: detection.groupId); with --once, the group that must have no members when the period reaches yesterday or today')
    .addHelpText(
      'after',
      `
Live: a consumer group of its own on the access-event topics (next to the ingester's); each alert is
printed to stderr and stored the moment a threshold is crossed. SIGINT/SIGTERM stop it cleanly.
Backfill: the same engine over stored events, in event time, so it raises the alerts live traffic did.
Alerts are revised, never duplicated: one per employee and UTC day (see \`insider alerts list\`); a
backfill over a period with stored alerts continues them. A backfill reaching yesterday or today is
refused while live detectors run (they judge those days): stop them first.
Needs \`insider migrate\`, a loaded directory (\`insider directory load\`), and optionally
detection.catalogFile (table sensitivity) and detection.allowlistFile (approved jobs). The alert floor is
the one an admin chose (\`insider tune --apply\`, the dashboard's Tuning page) when there is one, else
detection.scoring.alertFloor; a running detector re-reads it every 30 s and logs a change.

Examples:
  insider detect
  insider detect --once --from 2026-09-01T00:00:00Z --to 2026-10-01T00:00:00Z`,
    )
    .action(async (opts: DetectOptions, cmd: Command) => {
      const config = ctx.config();
      const log = ctx.log();
      const ch = ctx.clickhouse();
      if (opts.once) {
        if (opts.from === undefined) cmd.error('error: --once needs --from (the start of the period to judge)', { exitCode: 2 });
        const from = opts.from!;
        const to = opts.to ?? Date.now();
        if (!(to > from)) cmd.error('error: --to must be after --from', { exitCode: 2 });
        // Live detectors judge today and yesterday: a backfill reaching them would store revisions they store
        // too. Asked before it starts, and again before each hour it judges in those days.
        const groupId = opts.group ?? config.detection.groupId;
        const kafka = createKafka(config.kafka, log);
        const live = liveDetectorChecks(
          () => liveDetectorMembers(kafka, groupId),
          () => progress(`detect: Kafka did not answer whether live detectors (group ${groupId}) run; if one does, this backfill of today or yesterday stores revisions it stores too`),
        );
        const refuse = (found: LiveDetectorsFound, stoppedAt?: number): never =>
          cmd.error(
            `error: ${found.members} live detector(s) of group ${groupId} judge today and yesterday; a backfill reaching them would store revisions they store too. Stop them first, or end --to at ${new Date(found.liveFrom).toISOString()} or before` +
              (stoppedAt === undefined ? '' : `. Stopped before ${new Date(stoppedAt).toISOString()}: what the hours before it raised is stored (a run again continues those alerts, never raises them twice)`),
            { exitCode: 2 },
          );
        const atStart = await live.atStart(to);
        if (atStart) refuse(atStart);
        // The alert floor an admin chose (`insider tune --apply`, the Tuning page) over the configuration file's.
        const detection = effectiveDetection(config.detection, await loadTuning(ch));
        if (detection.scoring.alertFloor !== config.detection.scoring.alertFloor) progress(`detect: alert floor ${detection.scoring.alertFloor} per 1,000 user-days (chosen by an admin; the configuration file says ${config.detection.scoring.alertFloor})`);
        // Days before yesterday are settled (late events of yesterday still arrive): their rows are read ahead.
        const settledUntil = Math.min(dayOf(to - 1) - 1, dayOf(Date.now()) - 2);
        const engine = engineFor(ch, detection, await loadEngineInputs(ch, detection, { alertIdKey: config.api.pseudonymKey }), undefined, { settledUntil });
        // Alerts already stored for the period are continued (revised if the new judgement says more), never raised twice.
        const stored = await alertsOfDays(ch, dayOf(from) - 1, dayOf(to - 1));
        engine.restore(stored);
        await primeBefore(ch, engine, from);
        const current = new Map<string, AlertRecord>(stored.filter((a) => a.windowEnd > from && a.windowStart < to).map((a) => [a.alertId, a]));
        let lastReport = 0;
        await backfill(
          ch,
          engine,
          { from, to },
          async (alerts) => {
            await writeAlerts(ch, alerts);
            for (const a of alerts) current.set(a.alertId, a);
          },
          (p) => {
            if (Date.now() - lastReport < 2000 && p.hour < p.hours) return;
            lastReport = Date.now();
            progress(`detect: hour ${p.hour}/${p.hours}, ${p.events} events, ${current.size} alert(s)`);
          },
          async (hour) => {
            const found = await live.beforeHour(hour);
            if (found) refuse(found, hour.start);
          },
        );
        const s = engine.stats();
        progress(`detect: ${s.events} events judged; ${s.alerts} new alert(s), ${s.revisions} revision(s) stored; ${current.size} alert(s) in the period`);
        for (const a of current.values()) progress(`  ${a.severity.toUpperCase()} ${a.user} ${a.alertId}: ${a.explanation}`);
        return;
      }
      if (opts.from !== undefined || opts.to !== undefined) cmd.error('error: --from and --to need --once', { exitCode: 2 });
      let signalled = false;
      let detector: LiveDetector | undefined;
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        progress(detector ? `${signal}: finishing the batch in hand, storing its alerts, leaving the group...` : `${signal}: stopping before start-up completed`);
        void detector?.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      const registry = createRegistry();
      const health = await startHealth(config.health, ch, registry);
      try {
        // Waits (with a log line) while ClickHouse is unreachable at start-up; a signal meanwhile ends it.
        detector = await startLiveDetector({
          config: opts.group ? { ...config, detection: { ...config.detection, groupId: opts.group } } : config,
          kafka: createKafka(config.kafka, log),
          ch,
          log,
          stopRequested: () => signalled,
          registry,
        });
      } catch (err) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        if (signalled && err instanceof Abandoned) return;
        throw err;
      }
      if (signalled) void detector.stop();
      try {
        await detector.done;
        const s = detector.stats();
        progress(`stopped: ${s.events} events judged, ${s.alerts} alert(s), ${s.revisions} revision(s), ${s.invalid} invalid (dead-lettered by the ingester)${s.unscored > 0 ? `, ${s.unscored} with a time, bytes or rows that could not be scored` : ''}`);
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await health?.close();
      }
    });
}
