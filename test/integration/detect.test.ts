// The detection engine on the real Kafka and ClickHouse: weeks of history in ClickHouse, a live bulk
// export through Kafka judged by the live detector while the real ingester stores it; then the same
// period judged again from ClickHouse (`detect --once`) must give the same alert, and a restarted
// detector must continue that alert rather than raise it again.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { listAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY, dayOf, dateString } from '../../src/calendar';
import type { Config } from '../../src/config';
import { storeDirectory } from '../../src/directory';
import { backfill } from '../../src/detect/backfill';
import { startLiveDetector, type LiveDetector } from '../../src/live-detect';
import { engineFor } from '../../src/detect/setup';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { startIngest, type RunningIngest } from '../../src/evaluate/load';
import { createWorkspace, type Workspace } from '../../src/evaluate/workspace';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { readAudit, recordAction } from '../../src/triage';
import { loadTuning, tuningRunOf } from '../../src/tune';
import { ACTOR, CHUNK, CHUNKS, directory, history as historyBefore, PEOPLE } from '../helpers/api-fixture';
import { testConfig } from '../helpers/env';
import { BIN, waitUntil } from '../helpers/ingest-run';

const log = createLogger({ level: 'silent' });
const today = dayOf(Date.now());
// Live events at noon UTC of today: never split over midnight, whenever the test runs.
const noon = today * MS_PER_DAY + 12 * 3_600_000;
/** 28 days of ordinary history before today (history goes straight into ClickHouse). */
const history = () => historyBefore(today);

function liveEvent(user: string, at: number, bytes: number, table: string, action = 'SELECT') {
  const [database, tbl] = table.split('.');
  return { event_id: crypto.randomUUID(), ts: new Date(at).toISOString(), user, action, bytes, rows: Math.round(bytes / 400), source: 'pg-1', database, table: tbl, client_ip: '10.9.9.9', client_app: 'DBeaver', session_id: 'export-1', query_id: crypto.randomBytes(4).toString('hex'), status: 'ok' };
}

describe('detection (real Kafka and ClickHouse)', () => {
  const base = testConfig();
  let kafka: Kafka;
  let ws: Workspace;
  let config: Readonly<Config>;
  let producer: Producer;
  let ingest: RunningIngest;
  let detector: LiveDetector | undefined;
  let catalogDir: string;
  const live: AlertRecord[] = [];
  const exportIds: string[] = [];
  let produced = 0;

  const send = async (events: ReturnType<typeof liveEvent>[]) => {
    await producer.send({ topic: ws.topic, acks: -1, messages: events.map((e) => ({ key: e.user, value: JSON.stringify(e) })) });
    produced += events.length;
  };
  const startDetector = () => startLiveDetector({ config, kafka, ch: ws.ch, log, onAlert: (a) => live.push(a) });

  beforeAll(async () => {
    kafka = createKafka(base.kafka, log);
    ws = await createWorkspace({ config: base, kafka, seed: 0, now: Date.now(), prefix: 'itdetect' });
    catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-catalog-'));
    fs.writeFileSync(path.join(catalogDir, 'tables.csv'), 'database,table,sensitivity\ncrm,customers,pii\nanalytics,kpi_daily,internal\n');
    config = {
      ...base,
      kafka: { ...base.kafka, topic: ws.topic },
      clickhouse: { ...base.clickhouse, database: ws.database },
      ingest: { ...base.ingest, groupId: ws.groupId, deadLetterTopic: ws.deadLetterTopic, metrics: { ...base.ingest.metrics, port: 0 } },
      detection: { ...base.detection, groupId: `${ws.groupId}-detect`, catalogFile: path.join(catalogDir, 'tables.csv') },
    };
    await storeDirectory(ws.ch, directory(), { source: 'test', checksum: 'test' });
    await ws.ch.insert('access_events', history());
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    ingest = await startIngest({ config, kafka, ws, log, progress: () => {} });
  }, 120_000);

  afterAll(async () => {
    await detector?.stop().catch(() => {});
    await ingest?.stop().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await ws?.dispose();
    fs.rmSync(catalogDir, { recursive: true, force: true });
  });

  it('alerts on a bulk export while it runs, once per employee and day, revised as it grows', async () => {
    detector = await startDetector();
    // Ordinary activity of everyone this morning, then the actor's export, chunk by chunk.
    await send(PEOPLE.flatMap((u, i) => [liveEvent(u, noon - 3_600_000 + i * 1000, 9_000_000, 'analytics.kpi_daily')]));
    for (let c = 0; c < CHUNKS; c++) {
      const e = liveEvent(ACTOR, noon + c * 30_000, CHUNK, 'crm.customers', 'EXPORT');
      exportIds.push(e.event_id);
      await send([e]);
    }
    const alert = await waitUntil('the export to reach critical', async () => {
      const [a] = await listAlerts(ws.ch, { user: ACTOR });
      return a?.severity === 'critical' && a.observedBytes >= 5 * CHUNK ? a : undefined;
    }, 60_000);

    // One alert for the actor's day; nobody else alerted on an ordinary morning.
    const all = await listAlerts(ws.ch, {});
    expect(all.map((a) => a.user)).toEqual([ACTOR]);
    expect(alert.alertId).toMatch(new RegExp(`^al_${dateString(today).replace(/-/g, '')}_[0-9a-f]{10}$`));
    // The detector stores an alert, then hands it on (paging): the callback may come a moment later.
    await waitUntil('the live callback', async () => live.some((a) => a.alertId === alert.alertId) || undefined, 30_000);
    expect(new Set(live.filter((a) => a.user === ACTOR).map((a) => a.alertId))).toEqual(new Set([alert.alertId]));
    expect(alert.revision).toBeGreaterThan(1);
    // It fired on an export chunk, early in the export: the running total became rare for her.
    const crossing = exportIds.indexOf(alert.triggerEventId);
    expect(crossing).toBeGreaterThanOrEqual(0);
    expect(crossing).toBeLessThan(10);
    expect(alert.firedAt).toBe(noon + crossing * 30_000);
    expect(alert.detectors).toEqual(expect.arrayContaining(['volumeSelf']));
    expect(alert.baselineBytes).toBeGreaterThan(80_000_000);
    expect(alert.baselineBytes).toBeLessThan(130_000_000);
    expect(alert.explanation).toMatch(/^\d+(\.\d+)? GB in (\d+ h )?\d+ (m|s); anomaly: /);
    expect(alert.explanation).toMatch(/anomaly: 1 in [\d,.]+( million| billion)? days for them: expected \d+(\.\d+)? MB \(\d+x, [\d.]+ spreads\)/);
    expect(alert.explanation).toContain('from crm.customers (pii)');
    expect(alert.evidence.topTables[0]).toMatchObject({ table: 'crm.customers', sensitivity: 'pii' });
    expect(alert.evidence.clientIps.map((c) => c.ip)).toContain('10.9.9.9');
    expect(alert.evidence.apps.map((a) => a.app)).toContain('DBeaver');
    expect(alert.evidence.sessions.count).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('gives the same alert when the stored period is judged again (detect --once)', async () => {
    await ingest.waitFor(history().length + produced);
    await waitUntil('the detector to finish the export', async () => live.some((a) => a.user === ACTOR && a.observedBytes === CHUNK * CHUNKS + 9_000_000) || undefined, 30_000);
    const engine = engineFor(ws.ch, config.detection, await loadEngineInputs(ws.ch, config.detection));
    const replayed: AlertRecord[] = [];
    await backfill(ws.ch, engine, { from: today * MS_PER_DAY, to: (today + 1) * MS_PER_DAY }, async (a) => void replayed.push(...a));
    const key = (a: AlertRecord) => ({ alertId: a.alertId, revision: a.revision, firedAt: a.firedAt, triggerEventId: a.triggerEventId, severity: a.severity, detectors: a.detectors, observedBytes: a.observedBytes, explanation: a.explanation });
    expect(replayed.map(key)).toEqual(live.map(key));
  }, 120_000);

  it('continues the alert after a restart instead of raising it again', async () => {
    // The carry of today's history to tomorrow's waits on disk, one file a pool day, removed when it stops.
    const folders = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`insider-detect-${process.pid}-`));
    expect(folders()).toHaveLength(1);
    expect(fs.readdirSync(path.join(os.tmpdir(), folders()[0]))).toHaveLength(config.detection.poolDays);
    await detector!.stop();
    expect(folders()).toEqual([]);
    const before = (await listAlerts(ws.ch, { user: ACTOR }))[0];
    const seenBefore = live.length;
    detector = await startDetector();
    // A much larger export later that day revises the same alert, numbering on.
    const more = Array.from({ length: 30 }, (_, i) => liveEvent(ACTOR, noon + 3_600_000 + i * 1000, CHUNK, 'crm.customers', 'EXPORT'));
    await send(more);
    const after = await waitUntil('a revision after the restart', async () => {
      const [a] = await listAlerts(ws.ch, { user: ACTOR });
      return a && a.revision > before.revision ? a : undefined;
    }, 60_000);
    // Stored, then handed on: the callback may come a moment after the row is readable.
    await waitUntil('the live callback after the restart', async () => live.length > seenBefore || undefined, 30_000);
    // The partition was taken over at its first batch: the running totals rebuilt from ClickHouse were
    // those of before the restart, so nothing was revised again before the new events.
    expect(detector.stats().warmedUp).toBeGreaterThanOrEqual(CHUNKS);
    expect(live.slice(seenBefore).map((a) => a.revision)[0]).toBe(before.revision + 1);
    expect(after.alertId).toBe(before.alertId);
    expect(after.firedAt).toBe(before.firedAt);
    expect(after.createdAtWall).toBe(before.createdAtWall);
    expect(after.observedBytes).toBeGreaterThan(before.observedBytes);
    expect(await listAlerts(ws.ch, {})).toHaveLength(1);
  }, 120_000);

  it('lists alerts, backfills and tunes through the CLI', async () => {
    const env = { ...process.env, INSIDER_CLICKHOUSE_DATABASE: ws.database, INSIDER_KAFKA_TOPIC: ws.topic, INSIDER_CATALOG_FILE: config.detection.catalogFile, INSIDER_LOG_LEVEL: 'warn' };
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
    // A backfill of today while the live detector runs (it judges today and yesterday) is refused: both
    // would store revisions of the same alert. Run beside it (not blocking it: it keeps heartbeating).
    const todayArgs = ['--from', new Date(today * MS_PER_DAY).toISOString(), '--to', new Date((today + 1) * MS_PER_DAY).toISOString()];
    const refused = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'detect', '--once', ...todayArgs, '--group', config.detection.groupId], { env });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stderr }));
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`error: 1 live detector(s) of group ${config.detection.groupId} judge today and yesterday; a backfill reaching them would store revisions they store too. Stop them first, or end --to at ${new Date((today - 1) * MS_PER_DAY).toISOString()} or before`);
    await detector!.stop();
    detector = undefined;

    const listed = run(['alerts', 'list', '--json', '--severity', 'high']);
    expect(listed.status).toBe(0);
    const alerts = JSON.parse(listed.stdout) as AlertRecord[];
    expect(alerts.map((a) => a.user)).toEqual([ACTOR]);
    expect(run(['alerts', 'list', '--user', 'nobody@corp.example']).stderr).toContain('no alerts match');
    const table = run(['alerts', 'list']);
    expect(table.stdout).toMatch(/^ALERT\s+SEVERITY\s+SCORE\s+USER/);
    expect(table.stdout).toContain(alerts[0].alertId);

    const from = new Date(today * MS_PER_DAY).toISOString();
    const once = run(['detect', '--once', '--from', from, '--to', new Date((today + 1) * MS_PER_DAY).toISOString()]);
    // The alert is stored already: the backfill continues it rather than raising it again.
    expect(once.stderr).toMatch(/detect: \d+ events judged; 0 new alert\(s\), 0 revision\(s\) stored; 1 alert\(s\) in the period/);
    expect(once.stderr).toContain(`CRITICAL ${ACTOR} ${alerts[0].alertId}`);
    expect(once.status).toBe(0);
    // Stored again with the same id: still one alert.
    expect(await listAlerts(ws.ch, {})).toHaveLength(1);
    expect(run(['detect', '--once']).status).toBe(2);

    // insider tune replays the same stored days under candidate floors: the confirmed export is caught by
    // every candidate, and the budget proposal names one that stays within it.
    await recordAction(ws.ch, alerts[0].alertId, 'analyst', { action: 'resolve', disposition: 'true_positive', note: 'confirmed exfiltration' }, Date.now());
    const tuned = run(['tune', '--days', '3', '--floors', '10,3,0.1', '--budget', '1/day']);
    expect(tuned.status).toBe(0);
    expect(tuned.stdout).toMatch(/^FLOOR \/1,000\s+SCORE\s+ALERTS\/DAY\s+LOW\s+MEDIUM\s+HIGH\s+CRITICAL\s+BUSIEST DAY\s+CONFIRMED CAUGHT$/m);
    for (const floor of ['10', '3 \\(current\\)', '0\\.1']) expect(tuned.stdout).toMatch(new RegExp(`^${floor}\\s+\\d+\\s+[\\d.]+\\s+.*\\s1/1$`, 'm'));
    expect(tuned.stdout).toMatch(/^Budget 1\/day: proposed alert floor (10|3|0\.1) per 1,000 user-days .*1\/1 confirmed alerts still caught\.$/m);
    expect(tuned.stdout).toContain('Analytics');
    expect(run(['tune', '--budget', 'lots']).status).not.toBe(0);
    // Nothing was written: still the one alert. The run itself is stored, under the id it printed.
    expect(await listAlerts(ws.ch, {})).toHaveLength(1);
    const runId = /^Stored as tuning run (tr_\d{14}_[0-9a-f]{8})/m.exec(tuned.stdout)?.[1];
    expect(runId).toBeDefined();
    const stored = await tuningRunOf(ws.ch, runId!);
    expect(stored?.result.candidates.map((c) => [c.summary.alertFloor, c.caught])).toEqual([[10, [alerts[0].alertId]], [3, [alerts[0].alertId]], [0.1, [alerts[0].alertId]]]);

    // insider tune --apply: refused without a reason, with a bad floor or an unknown run; else audited, and
    // detect --once judges with the chosen floor.
    const noReason = run(['tune', '--apply', '0.1']);
    expect([noReason.status, noReason.stderr.trim()]).toEqual([2, 'error: --apply needs --reason "why this floor" (it goes to the audit trail)']);
    expect(run(['tune', '--apply', '0', '--reason', 'x']).stderr).toContain('expected an alert floor per 1,000 user-days (a number above 0, at most 1,000), got "0"');
    expect(run(['tune', '--apply', 'NaN', '--reason', 'x']).status).not.toBe(0);
    const unknownRun = run(['tune', '--apply', '0.1', '--reason', 'x', '--run', 'tr_20200101000000_00000000']);
    expect([unknownRun.status, unknownRun.stderr.trim()]).toEqual([2, 'error: no tuning run tr_20200101000000_00000000']);
    expect((await loadTuning(ws.ch)).alertFloor).toBeNull();
    const applied = run(['tune', '--apply', '0.1', '--reason', 'one a day is what we read', '--run', runId!, '--as', 'sam.soc']);
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain(`Alert floor set to 0.1 per 1,000 user-days (was 3) by sam.soc, from tuning run ${runId} (audited: tuning.apply).`);
    expect(await readAudit(ws.ch, { action: 'tuning.apply' })).toEqual([expect.objectContaining({ actor: 'sam.soc', details: expect.objectContaining({ from: 3, to: 0.1, reason: 'one a day is what we read', runId }) })]);
    const again = run(['detect', '--once', '--from', from, '--to', new Date((today + 1) * MS_PER_DAY).toISOString()]);
    expect(again.stderr).toContain('detect: alert floor 0.1 per 1,000 user-days (chosen by an admin; the configuration file says 3)');
    expect(again.status).toBe(0);
  }, 180_000);
});
