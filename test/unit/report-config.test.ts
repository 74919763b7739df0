import { loadConfig } from '../../src/config';
import { signatureOf } from '../../src/notify/signature';
import { reportsSchema } from '../../src/config/report-schema';
import { latestFire, noticeRequest, periodOfRun, reportNotice } from '../../src/report/scheduler';
import { sampleData } from './report-fixture';

const base = { outputDir: 'r', linkBase: '', formats: ['html'], topUsers: 10, gapHours: 2, chromiumPath: '/usr/bin/chromium', pollIntervalMs: 60000, schedules: [], webhooks: {} };

describe('reports configuration', () => {
  it('the defaults are valid', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.reports).toMatchObject({ formats: ['html', 'pdf', 'csv', 'json'], schedules: [], chromiumPath: '/usr/bin/chromium' });
  });

  it('accepts schedules with cron expressions and named webhooks', () => {
    const r = reportsSchema.safeParse({ ...base, schedules: [{ name: 'weekly', cron: '0 6 * * 1', period: 'week', deliver: ['grc'] }], webhooks: { grc: { url: 'https://grc.example.com/h', secretEnv: 'GRC_SECRET' } } });
    expect(r.success).toBe(true);
  });

  it.each([
    [{ schedules: [{ name: 'x', cron: '61 * * * *', period: 'day' }] }, 'not a valid cron expression'],
    [{ schedules: [{ name: 'x', cron: '0 6 * * *', period: 'year' }] }, 'period'],
    [{ schedules: [{ name: 'x', cron: '0 6 * * *', period: 'day', deliver: ['nope'] }] }, 'no webhook nope'],
    [{ schedules: [{ name: 'x', cron: '0 6 * * *', period: 'day' }, { name: 'x', cron: '0 7 * * *', period: 'day' }] }, 'two schedules are named x'],
    [{ webhooks: { w: { secretEnv: 'S' } } }, 'url or urlEnv'],
    [{ formats: ['docx'] }, 'formats'],
    [{ schedules: [{ name: 'x', cron: '0 6 * * *', period: 'day', extra: 1 }] }, 'extra'],
  ])('refuses %j', (over, message) => {
    const r = reportsSchema.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });
});

describe('scheduler timing', () => {
  it('the latest cron time at or before now, in UTC', () => {
    expect(new Date(latestFire('0 6 * * 1', Date.parse('2026-11-23T06:00:00Z'))!).toISOString()).toBe('2026-11-23T06:00:00.000Z');
    expect(new Date(latestFire('0 6 * * 1', Date.parse('2026-11-23T05:59:59Z'))!).toISOString()).toBe('2026-11-16T06:00:00.000Z');
    expect(new Date(latestFire('30 5 1 * *', Date.parse('2026-11-29T10:00:00Z'))!).toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });

  it('a run reports on the last complete period before its cron time', () => {
    const p = periodOfRun({ period: 'week' }, Date.parse('2026-11-23T06:00:00Z'));
    expect([new Date(p.from).toISOString(), new Date(p.to).toISOString()]).toEqual(['2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z']);
    const m = periodOfRun({ period: 'month' }, Date.parse('2026-11-01T05:30:00Z'));
    expect([new Date(m.from).toISOString(), new Date(m.to).toISOString()]).toEqual(['2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
  });
});

describe('report notice', () => {
  it('carries figures, a link and the manifest hash, names nobody, and is signed like the notifier', () => {
    const body = reportNotice('weekly', { data: sampleData(), files: ['report.html', 'manifest.json'], manifestSha256: 'abc' }, 'https://r/weekly/2026-11-16/', 'd1', 0);
    expect(body).toMatchObject({ event: 'report', schedule: 'weekly', link: 'https://r/weekly/2026-11-16/', manifest_sha256: 'abc', summary: { events: 1234, alerts: 1, open_alerts: 0 } });
    expect(JSON.stringify(body)).not.toContain('emp-');
    const req = noticeRequest('https://r/hook', 'secret', body, 'd1', 1_700_000_000_000);
    expect(req.headers['X-Insider-Signature']).toBe(signatureOf('secret', 1_700_000_000, req.body));
    expect(noticeRequest('https://r/hook', undefined, body, 'd1', 0).headers['X-Insider-Signature']).toBeUndefined();
    // The chains' heads go with it, for the receiving system to keep.
    const sealed = sampleData({ record: { heads: [{ chain: 'audit_log', seq: 7, linkHash: 'b'.repeat(64), stamp: null }], sealedAt: '2026-11-23T06:00:00.000Z' } });
    expect(reportNotice('weekly', { data: sealed, files: [], manifestSha256: 'abc' }, 'l', 'd2', 0)).toMatchObject({ chain_heads: [`audit_log:7:${'b'.repeat(64)}`] });
  });
});
