// The report scheduler on the real ClickHouse, with a fake clock: a schedule due in the test window writes
// its report once, not twice, across a restart (a new scheduler on the same ledger), tells its webhook
// once (signed), makes up a run that crashed half-way, and moves on to the next period when it is due.
import { caseOptions } from '../../src/cases';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { catalogFrom } from '../../src/detect/catalog';
import { createLogger } from '../../src/log';
import { verifySignature } from '../../src/notify/signature';
import { verifyReport, type ReportsConfig } from '../../src/report';
import { createScheduler, readRuns, type Scheduler } from '../../src/report/scheduler';
import { toDateTime, type ClickHouse } from '../../src/store';
import { createPseudonyms } from '../../src/triage/pseudonyms';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const SECRET = 'report-webhook-secret-for-tests';
const log = createLogger({ level: 'silent' });

interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
}

describe('report scheduler (real ClickHouse, fake clock)', () => {
  const base = testConfig();
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;
  let outDir: string;
  let server: http.Server;
  let url: string;
  const received: Received[] = [];
  let clock = 0;

  const reports = (): ReportsConfig => ({
    ...base.reports,
    outputDir: outDir,
    linkBase: 'https://reports.example.com/insider',
    schedules: [{ name: 'daily-audit', cron: '0 6 * * *', period: 'day', formats: ['html', 'csv', 'json'], deliver: ['grc'] }],
    webhooks: { grc: { url, secretEnv: 'REPORT_TEST_SECRET' } },
  });
  const scheduler = (): Scheduler =>
    createScheduler({
      ch,
      reports: reports(),
      pseudonyms: createPseudonyms({ enabled: true, key: 'scheduler-test-key-0123456789' }),
      catalog: catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]),
      settings: { topUsers: 5, gapHours: 2, baselineDays: 28, minHistoryDays: 10, cases: caseOptions(testConfig()) },
      log,
      now: () => clock,
      env: { REPORT_TEST_SECRET: SECRET },
    });

  beforeAll(async () => {
    database = uniqueName('itreportsched');
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-report-sched-'));
    // Two days of a little activity.
    const rows = [];
    for (let d = 0; d < 3; d++) {
      for (let i = 0; i < 24; i++) {
        const at = Date.UTC(2026, 10, 16 + d, i, 15);
        rows.push({
          event_id: `e-${d}-${i}`, ts: toDateTime(at), ts_ms: 0, user: i % 2 ? 'ann@corp.example' : 'bob@corp.example', action: 'SELECT', bytes: 1_000_000 * (i + 1), rows: 10,
          source: 'pg-1', db_name: 'crm', table_name: 'customers', client_ip: '10.0.0.1', client_app: 'psql', session_id: 's', query_id: 'q', status: 'ok', extra: '',
          ingested_at: toDateTime(at), kafka_topic: 't', kafka_partition: 0, kafka_offset: d * 24 + i,
        });
      }
    }
    await ch.insert('access_events', rows);
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await dropDatabase(database, { admin, ch });
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  const reportDirs = () => (fs.existsSync(path.join(outDir, 'daily-audit')) ? fs.readdirSync(path.join(outDir, 'daily-audit')).sort() : []);

  it('writes the report of a schedule due in the window once, not twice, across a restart', async () => {
    // 05:59 on the 17th: the latest 06:00 was on the 16th, whose report (the 15th) is due at start.
    clock = Date.UTC(2026, 10, 17, 5, 59);
    const first = scheduler();
    const [r1] = await first.tick();
    expect(r1).toMatchObject({ schedule: 'daily-audit', result: 'written', delivered: ['grc'] });
    expect(new Date(r1.period.from).toISOString()).toBe('2026-11-15T00:00:00.000Z');
    // 06:00:30: the 06:00 run (the 16th) is due now.
    clock = Date.UTC(2026, 10, 17, 6, 0, 30);
    const [r2] = await first.tick();
    expect(r2).toMatchObject({ result: 'written', delivered: ['grc'] });
    expect(new Date(r2.period.from).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    const manifest = path.join(r2.dir!, 'manifest.json');
    const writtenAt = fs.statSync(manifest).mtimeMs;
    expect(verifyReport(r2.dir!).ok).toBe(true);
    const report = JSON.parse(fs.readFileSync(path.join(r2.dir!, 'report.json'), 'utf8')) as { summary: { events: number } };
    expect(report.summary.events).toBe(24);

    // Again in the same process, then after a "restart": a new scheduler with nothing in memory.
    clock += 60_000;
    expect((await first.tick())[0]).toMatchObject({ result: 'done', delivered: [] });
    clock += 60 * 60_000;
    const restarted = scheduler();
    expect((await restarted.tick())[0]).toMatchObject({ result: 'done', delivered: [] });
    expect(fs.statSync(manifest).mtimeMs).toBe(writtenAt);
    expect(reportDirs()).toEqual(['2026-11-15', '2026-11-16']);
    const runs = await readRuns(ch, 'daily-audit', Date.UTC(2026, 10, 16));
    expect(runs.map((r) => r.event)).toEqual(['started', 'finished', 'delivered']);
    expect(runs[1].manifestSha256).toBe(verifyReport(r2.dir!).manifestSha256);

    // The webhook heard about each report once, signed, with the manifest's hash and a link.
    expect(received).toHaveLength(2);
    const notice = JSON.parse(received[1].body) as Record<string, unknown>;
    expect(notice).toMatchObject({ event: 'report', schedule: 'daily-audit', manifest_sha256: runs[1].manifestSha256, link: 'https://reports.example.com/insider/daily-audit/2026-11-16/' });
    expect(notice.summary).toMatchObject({ events: 24, active_users: 2 });
    expect(received[1].body).not.toContain('corp.example');
    const check = verifySignature({ secret: SECRET, timestamp: received[1].headers['x-insider-timestamp'] as string, signature: received[1].headers['x-insider-signature'] as string, body: received[1].body, nowMs: clock, toleranceS: 86_400 });
    expect(check).toEqual({ ok: true });
  });

  it('runs again a period whose run started but never finished (a crash mid-run), once', async () => {
    // A crash while writing the 17th: a `started` row and a half-written directory, no `finished`.
    await ch.insert('report_runs', [
      { schedule: 'daily-audit', period: 'day', period_start: toDateTime(Date.UTC(2026, 10, 17)), period_end: toDateTime(Date.UTC(2026, 10, 18)), event: 'started', run_id: 'crashed', at: toDateTime(Date.UTC(2026, 10, 18, 6)), at_ms: 0, out_dir: '', manifest_sha256: '', detail: '' },
    ]);
    clock = Date.UTC(2026, 10, 18, 6, 5);
    const [r] = await scheduler().tick();
    expect(r).toMatchObject({ result: 'written', delivered: ['grc'] });
    expect(new Date(r.period.from).toISOString()).toBe('2026-11-17T00:00:00.000Z');
    const runs = await readRuns(ch, 'daily-audit', Date.UTC(2026, 10, 17));
    expect(runs.filter((x) => x.event === 'finished')).toHaveLength(1);
    expect((await scheduler().tick())[0].result).toBe('done');
    expect(reportDirs()).toEqual(['2026-11-15', '2026-11-16', '2026-11-17']);
    expect(received).toHaveLength(3);
  });
});
