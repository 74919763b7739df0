// `insider cases` through the built binary against the real ClickHouse: the stored alerts grouped into
// cases per employee and episode, ranked by risk now, resolved cases left out unless asked, one case as
// a timeline with each alert's view audited, actions on a case applied to its alerts (each audited, the
// insider refused on their own case), a new alert after resolution a new case, and employees only as
// pseudonyms.
import { writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { storeDirectory, type DirectoryEntry } from '../../src/directory';
import type { ClickHouse } from '../../src/store';
import { createPseudonyms, readAudit } from '../../src/triage';
import { insiderSync } from '../helpers/cli';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const KEY = 'cases-cli-test-key-0123456789';
const ANA = 'ana@corp.example';
const BEN = 'ben@corp.example';
const pseudo = createPseudonyms({ enabled: true, key: KEY });
const today = Math.floor(Date.now() / MS_PER_DAY);

function person(id: string): DirectoryEntry {
  return { id, name: id, department: 'Finance', role: 'analyst', manager: '', location: 'London', timezone: 'UTC', hire_date: '2020-01-06', notice_date: null, end_date: null, account_type: 'human' };
}

function alert(user: string, first: number, last: number, severity: AlertRecord['severity'], score: number, detector: string): AlertRecord {
  const fired = last * MS_PER_DAY + 15 * 3_600_000;
  return {
    alertId: `al_it_case_${user.split('@')[0]}_${last}`,
    revision: 1,
    user,
    windowStart: first * MS_PER_DAY,
    windowEnd: (last + 1) * MS_PER_DAY,
    detectors: [detector],
    severity,
    score,
    firedAt: fired,
    triggerEventId: 'ev-1',
    lastEventAt: fired,
    observedBytes: 900_000_000,
    observedRows: 1_000_000,
    eventCount: 12,
    baselineBytes: 300_000_000,
    peerBytes: 0,
    peerGroup: 'Finance/analyst',
    ratio: 3,
    explanation: `day ${last}: 900 MB; anomaly: 1 in 12,000 days for them`,
    findings: [],
    evidence: { events: 12, failedEvents: 0, firstEventAt: new Date(fired).toISOString(), lastEventAt: new Date(fired).toISOString(), sensitiveBytes: 0, topTables: [], sessions: { count: 1, top: [] }, clientIps: [], apps: [], allowlisted: { bytes: 0, events: 0, reasons: [] } },
    createdAtWall: Date.now(),
    updatedAtWall: Date.now(),
  };
}

interface CaseOut {
  caseOf: string;
  user: string;
  department: string | null;
  firstDay: string;
  lastDay: string;
  open: boolean;
  risk: number;
  severity: string;
  peakRisk: number;
  peakSeverity: string;
  alerts: Array<{ alertId: string; caseSeverity: string; risk: number; status: string; explanation?: string }>;
}

describe('cases through the CLI (real ClickHouse)', () => {
  const config = testConfig();
  const database = uniqueName('it_cases_cli');
  let admin: ClickHouse;
  let ch: ClickHouse;
  // Ana: a drip seen three times over five days (its windows from the run's first day), then a low day two weeks later.
  const drip = [alert(ANA, today - 20, today - 20, 'medium', 40, 'volumeSelf'), alert(ANA, today - 20, today - 18, 'medium', 40, 'slowDrip'), alert(ANA, today - 20, today - 16, 'medium', 41, 'slowDrip')];
  const later = alert(ANA, today - 2, today - 2, 'low', 27, 'volumeSelf');
  // Ben: one high day yesterday.
  const ben = alert(BEN, today - 1, today - 1, 'high', 55, 'exportRate');

  const insider = (args: string[]) => insiderSync(args, { INSIDER_PSEUDONYMIZE: undefined, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn', INSIDER_PSEUDONYM_KEY: KEY });
  const json = <T>(args: string[]): T => {
    const r = insider([...args, '--json']);
    if (r.code !== 0) throw new Error(`insider ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    await storeDirectory(ch, [person(ANA), person(BEN)], { source: 'test', checksum: 'test' });
    await writeAlerts(ch, [...drip, later, ben]);
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('lists one case per employee and episode, highest risk now first, as pseudonyms', () => {
    const listed = json<CaseOut[]>(['cases', 'list']);
    expect(listed.map((c) => [c.caseOf, c.user, c.alerts.length])).toEqual([
      [ben.alertId, pseudo.of(BEN), 1],
      [later.alertId, pseudo.of(ANA), 1],
      [drip[0].alertId, pseudo.of(ANA), 3],
    ]);
    const [, , dripCase] = listed;
    // Three medium days make a high case; sixteen days on it has faded below every floor.
    expect([dripCase.peakSeverity, dripCase.severity]).toEqual(['high', 'low']);
    expect(dripCase.risk).toBeLessThan(dripCase.peakRisk / 4);
    expect(dripCase.alerts.map((a) => a.caseSeverity)).toEqual(['medium', 'medium', 'high']);
    expect(dripCase.alerts.every((a) => a.explanation === undefined && a.status === 'open')).toBe(true);
    expect(listed[0].risk).toBeGreaterThan(listed[1].risk);

    const table = insider(['cases', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CASE\s+USER\s+DAYS\s+ALERTS\s+RISK\s+SEVERITY\s+PEAK\s+DETECTORS/);
    expect(table.stdout).toMatch(new RegExp(`^${drip[0].alertId}\\s+${pseudo.of(ANA)}\\s+\\S+\\.\\.\\S+\\s+3 \\(3 open\\)\\s+\\d+\\.\\d\\s+low\\s+\\d+\\.\\d high\\s+slowDrip,volumeSelf`, 'm'));
    expect(table.stderr).toContain('3 open cases from 5 alerts');
    expect(table.stdout + table.stderr).not.toMatch(/ana@|ben@/);
    expect(json<CaseOut[]>(['cases', 'list', '--user', ANA]).map((c) => c.caseOf)).toEqual([later.alertId, drip[0].alertId]);
  });

  it('shows a case from any of its alerts as a timeline, each alert\'s view in the audit trail', async () => {
    const r = insider(['cases', 'show', drip[1].alertId, '--as', 'case.reader']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^case ${drip[0].alertId} of ${pseudo.of(ANA)} \\(Finance\\), \\S+ \\.\\. \\S+: 3 alerts, open$`));
    expect(lines[1]).toMatch(/^risk now \d+\.\d \(low\), peak \d+\.\d \(high\)$/);
    expect(lines.filter((l) => /\[(volumeSelf|slowDrip)\] {2}open {2}case risk \d+\.\d \((medium|high)\)$/.test(l))).toHaveLength(3);
    for (const a of drip) expect(r.stdout).toContain(a.explanation);
    expect(r.stdout).not.toContain(later.explanation);
    const views = await readAudit(ch, { actor: 'case.reader', action: 'alert.view' });
    expect(views.map((v) => v.target).sort()).toEqual(drip.map((a) => a.alertId).sort());
  });

  it('acknowledges, assigns and notes a case on each of its alerts, each action audited as the alert\'s', async () => {
    expect(insider(['users', 'add', 'case.analyst', '--role', 'analyst']).code).toBe(0);
    const acked = json<{ caseOf: string; applied: string[]; skipped: unknown[] }>(['cases', 'ack', drip[2].alertId, '--as', 'case.lead']);
    expect(acked).toEqual({ caseOf: drip[0].alertId, applied: drip.map((a) => a.alertId), skipped: [] });
    const again = insider(['cases', 'ack', drip[0].alertId]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`case ${drip[0].alertId}: acknowledged 0 alerts`);
    expect(again.stdout).toContain(`${drip[1].alertId}: not acknowledged: already acknowledged`);
    expect(insider(['cases', 'assign', drip[0].alertId, 'case.analyst', '--as', 'case.lead']).code).toBe(0);
    expect(insider(['cases', 'note', drip[0].alertId, 'looks', 'like', 'a', 'drip', '--as', 'case.lead']).code).toBe(0);
    const [dripCase] = json<CaseOut[]>(['cases', 'list', '--user', ANA]).filter((c) => c.caseOf === drip[0].alertId);
    expect(dripCase.alerts.map((a) => a.status)).toEqual(['acknowledged', 'acknowledged', 'acknowledged']);
    const trail = await readAudit(ch, { actor: 'case.lead' });
    for (const a of drip) expect(trail.filter((t) => t.target === a.alertId).map((t) => t.action).sort()).toEqual(['alert.acknowledge', 'alert.assign', 'alert.note']);
  });

  it('refuses the insider resolving their own case, changing nothing', () => {
    const self = insider(['cases', 'resolve', ben.alertId, '--disposition', 'false_positive', '--as', BEN]);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/refused for every alert/);
    expect(json<CaseOut[]>(['cases', 'list', '--user', BEN])[0].alerts[0].status).toBe('open');
  });

  it('resolves a case as a false positive with a suppression made once, with its newest alert; refuses options that go together only', () => {
    const lone = insider(['cases', 'resolve', ben.alertId, '--disposition', 'false_positive', '--until', '30d']);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('--until and --reason go with --suppress or --expect');
    expect(json<CaseOut[]>(['cases', 'list', '--user', BEN])[0].alerts[0].status).toBe('open');
    const done = insider(['cases', 'resolve', ben.alertId, '--disposition', 'false_positive', '--suppress', 'user', '--until', '30d', '--reason', 'quarterly export', '--as', 'case.lead']);
    expect(done.code).toBe(0);
    const made = json<Array<{ alertId: string; scope: string; reason: string; revokedAt: number | null }>>(['suppressions', 'list']);
    expect(made.map((m) => [m.alertId, m.scope, m.reason, m.revokedAt])).toEqual([[ben.alertId, 'user', 'quarterly export', null]]);
    expect(json<CaseOut[]>(['cases', 'list', '--user', BEN, '--all'])[0].alerts[0].status).toBe('resolved');
  });

  it('resolves a case, leaves it out of the open cases, and opens a new case for an alert stored afterwards', async () => {
    const done = insider(['cases', 'resolve', drip[1].alertId, '--disposition', 'true_positive', '--note', 'escalated to HR']);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`case ${drip[0].alertId}: resolved 3 alerts`);
    expect(json<CaseOut[]>(['cases', 'list']).map((c) => c.caseOf)).toEqual([later.alertId]);
    expect(json<CaseOut[]>(['cases', 'list', '--all']).find((c) => c.caseOf === drip[0].alertId)).toMatchObject({ open: false, alerts: [{ status: 'resolved' }, { status: 'resolved' }, { status: 'resolved' }] });
    // An alert of the drip's last days, stored now (after the resolution): a case of its own, open.
    const late = { ...alert(ANA, today - 15, today - 15, 'low', 26, 'volumeSelf'), createdAtWall: Date.now() + 1000 };
    await writeAlerts(ch, [late]);
    const open = json<CaseOut[]>(['cases', 'list', '--user', ANA]);
    expect(open.map((c) => [c.caseOf, c.alerts.length])).toEqual([
      [later.alertId, 1],
      [late.alertId, 1],
    ]);
  });

  it('answers an unknown alert with a clear error and a non-zero exit', () => {
    const r = insider(['cases', 'show', 'al_20260101_doesnotexist']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('al_20260101_doesnotexist');
  });
});
