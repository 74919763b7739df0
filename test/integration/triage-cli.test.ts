// Triage through the built `insider` binary against the real ClickHouse, as an operator runs it: list,
// acknowledge, assign, note, resolve with a suppression, show; suppressions listed and revoked; API users
// and tokens; refusals and usage errors; and every action in the audit trail under the CLI's name.
import os from 'node:os';
import { writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { storeDirectory, type DirectoryEntry } from '../../src/directory';
import { sql, type ClickHouse } from '../../src/store';
import { authenticate, createPseudonyms, hashToken, PSEUDONYM, readAudit } from '../../src/triage';
import { insiderSync } from '../helpers/cli';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const KEY = 'triage-cli-test-key-0123456789';
const ANA = 'ana@corp.example';
const BEN = 'ben@corp.example';
const pseudo = createPseudonyms({ enabled: true, key: KEY });
const CLI_ACTOR = `cli:${os.userInfo().username}`;
const today = Math.floor(Date.now() / MS_PER_DAY);
const future = new Date(Date.now() + 30 * MS_PER_DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');

function person(id: string, department: string): DirectoryEntry {
  return { id, name: id, department, role: 'analyst', manager: '', location: 'London', timezone: 'UTC', hire_date: '2020-01-06', notice_date: null, end_date: null, account_type: 'human' };
}

function alert(user: string, day: number, severity: AlertRecord['severity'], score: number): AlertRecord {
  const start = day * MS_PER_DAY;
  const fired = start + 12 * 3_600_000;
  return {
    alertId: `al_it_${user.split('@')[0]}_${day}`,
    revision: 1,
    user,
    windowStart: start,
    windowEnd: start + MS_PER_DAY,
    detectors: ['volumeSelf', 'sensitive'],
    severity,
    score,
    firedAt: fired,
    triggerEventId: 'ev-1',
    lastEventAt: fired + 600_000,
    observedBytes: 10_000_000_000,
    observedRows: 25_000_000,
    eventCount: 40,
    baselineBytes: 100_000_000,
    peerBytes: 150_000_000,
    peerGroup: 'Analytics/analyst',
    ratio: 100,
    explanation: `${user}: 10 GB in 20 m; own weekday median 100 MB (100x); 100% from crm.customers (pii)`,
    findings: [{ detector: 'volumeSelf', observed: 10_000_000_000, threshold: 1_000_000_000, reference: 100_000_000, multiple: 100, clause: 'own weekday median 100 MB (100x)' }],
    evidence: {
      events: 40,
      failedEvents: 0,
      firstEventAt: new Date(fired).toISOString(),
      lastEventAt: new Date(fired + 600_000).toISOString(),
      sensitiveBytes: 10_000_000_000,
      topTables: [{ table: 'crm.customers', sensitivity: 'pii', bytes: 10_000_000_000, rows: 25_000_000, events: 40, share: 1 }],
      sessions: { count: 1, top: [{ id: 'export-1', bytes: 10_000_000_000 }] },
      clientIps: [{ ip: '10.9.9.9', bytes: 10_000_000_000 }],
      apps: [{ app: 'DBeaver', bytes: 10_000_000_000 }],
      allowlisted: { bytes: 0, events: 0, reasons: [] },
    },
    createdAtWall: Date.now(),
    updatedAtWall: Date.now(),
  };
}

interface Triaged {
  alertId: string;
  user: string;
  severity: string;
  explanation: string;
  department: string | null;
  triage: { status: string; assignee: string | null; disposition: string | null; snoozedUntil: number | null; notes: Array<{ actor: string; note: string }> };
  history?: Array<{ action: string; actor: string; assignee: string; disposition: string; note: string; suppressionId: string }>;
  suppression?: { id: string; scope: string; table: string; user: string };
}

describe('triage through the CLI (real ClickHouse)', () => {
  const config = testConfig();
  const database = uniqueName('it_triage_cli');
  let admin: ClickHouse;
  let ch: ClickHouse;
  const A = alert(ANA, today - 1, 'high', 90);
  const B = alert(BEN, today - 1, 'medium', 60);
  let suppressionId = '';
  let shows = 0;

  const insider = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    // The test decides pseudonymisation (undefined unsets); the configuration file (INSIDER_CONFIG) is the one the tests run with.
    const r = insiderSync(args, { INSIDER_PSEUDONYMIZE: undefined, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn', INSIDER_PSEUDONYM_KEY: KEY, ...env });
    if (args[1] === 'show' && r.code === 0) shows += 1;
    return r;
  };
  const json = <T>(args: string[]): T => {
    const r = insider([...args, '--json']);
    if (r.code !== 0) throw new Error(`insider ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    await storeDirectory(ch, [person(ANA, 'Analytics'), person(BEN, 'Sales')], { source: 'test', checksum: 'test' });
    await writeAlerts(ch, [A, B]);
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('lists the alert as open, employees as pseudonyms, filters by status, severity, department and user', () => {
    const table = insider(['alerts', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ALERT\s+SEVERITY\s+SCORE\s+USER\s+STATUS\s+FIRED/);
    const line = table.stdout.split('\n').find((l) => l.startsWith(A.alertId))!;
    expect(line).toMatch(new RegExp(`^${A.alertId}\\s+high\\s+90\\s+${pseudo.of(ANA)}\\s+open\\s`));
    expect(table.stdout + table.stderr).not.toContain(ANA);

    const listed = json<Triaged[]>(['alerts', 'list']);
    expect(listed.map((a) => a.alertId)).toEqual([A.alertId, B.alertId]);
    expect(listed[0]).toMatchObject({ user: pseudo.of(ANA), department: 'Analytics', triage: { status: 'open', assignee: null, disposition: null, notes: [] } });
    expect(listed[0].user).toMatch(PSEUDONYM);
    // A list is summaries: the explanation, findings and evidence only in `alerts show` (audited).
    for (const key of ['explanation', 'findings', 'evidence', 'triggerEventId']) expect(listed[0]).not.toHaveProperty(key);
    expect(JSON.stringify(listed)).not.toContain(ANA);

    expect(json<Triaged[]>(['alerts', 'list', '--severity', 'high']).map((a) => a.alertId)).toEqual([A.alertId]);
    expect(json<Triaged[]>(['alerts', 'list', '--severity', 'medium']).map((a) => a.alertId)).toEqual([A.alertId, B.alertId]);
    expect(json<Triaged[]>(['alerts', 'list', '--department', 'Sales']).map((a) => a.alertId)).toEqual([B.alertId]);
    expect(json<Triaged[]>(['alerts', 'list', '--status', 'open']).map((a) => a.alertId)).toEqual([A.alertId, B.alertId]);
    expect(json<Triaged[]>(['alerts', 'list', '--status', 'resolved'])).toEqual([]);
    // --user takes the id or the pseudonym.
    expect(json<Triaged[]>(['alerts', 'list', '--user', ANA]).map((a) => a.alertId)).toEqual([A.alertId]);
    expect(json<Triaged[]>(['alerts', 'list', '--user', pseudo.of(BEN)]).map((a) => a.alertId)).toEqual([B.alertId]);
    const none = insider(['alerts', 'list', '--user', 'nobody@corp.example']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('no alerts match');
    const limited = insider(['alerts', 'list', '--limit', '1']);
    expect(limited.stderr).toContain('1 of 2 matching alerts shown (--limit, or --all for every one)');
  });

  it('shows ids when pseudonymisation is off, or on without a key (saying so once), and fails on a short key', () => {
    const off = insider(['alerts', 'list', '--json'], { INSIDER_PSEUDONYMIZE: 'false' });
    expect(off.code).toBe(0);
    expect((JSON.parse(off.stdout) as Triaged[]).map((a) => a.user)).toEqual([ANA, BEN]);
    expect(off.stderr).toBe('');

    const noKey = insider(['alerts', 'list'], { INSIDER_PSEUDONYM_KEY: '' });
    expect(noKey.code).toBe(0);
    expect(noKey.stdout).toContain(ANA);
    expect(noKey.stderr.match(/INSIDER_PSEUDONYM_KEY is not set/g)).toHaveLength(1);

    const short = insider(['alerts', 'list'], { INSIDER_PSEUDONYM_KEY: 'short' });
    expect(short.code).toBe(1);
    expect(short.stdout).toBe('');
    expect(short.stderr).toMatch(/^error: api\.pseudonymize is on: set INSIDER_PSEUDONYM_KEY to a secret of at least 16 characters .*\[CONFIG_INVALID\]\n$/);
  });

  it('acknowledges, assigns, notes and resolves with a suppression, printing the new state', () => {
    const ack = insider(['alerts', 'ack', A.alertId]);
    expect(ack.code).toBe(0);
    expect(ack.stdout).toMatch(/^status\s+acknowledged$/m);

    // An alert is assigned to an API user, not to any name.
    const unknown = insider(['alerts', 'assign', A.alertId, 'jane.doe']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no user jane.doe: an alert is assigned to an API user (insider users list) [TRIAGE_INVALID]\n');
    const added = insider(['users', 'add', 'jane.doe', '--role', 'analyst']);
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('user jane.doe created with role analyst\n');
    const assigned = json<Triaged>(['alerts', 'assign', A.alertId, 'Jane.Doe']);
    expect(assigned.triage).toMatchObject({ status: 'acknowledged', assignee: 'jane.doe' });

    const noted = insider(['alerts', 'note', A.alertId, 'called', 'the', 'manager', '--as', 'jane.doe']);
    expect(noted.code).toBe(0);
    expect(noted.stdout).toMatch(/^notes\s+1$/m);

    const resolved = json<Triaged>([
      'alerts', 'resolve', A.alertId, '--disposition', 'false_positive', '--note', 'quarterly export, planned',
      '--suppress', 'user_table', '--table', 'crm.customers', '--until', future, '--reason', 'quarterly customer export',
    ]);
    expect(resolved.triage).toMatchObject({ status: 'resolved', disposition: 'false_positive', assignee: 'jane.doe' });
    expect(resolved.suppression).toMatchObject({ scope: 'user_table', table: 'crm.customers', user: pseudo.of(ANA) });
    suppressionId = resolved.suppression!.id;
    expect(suppressionId).toMatch(/^sup_[0-9a-f]{12}$/);
  });

  it('shows the alert with its triage state, notes and the history of the four actions', () => {
    const shown = json<Triaged>(['alerts', 'show', A.alertId]);
    expect(shown).toMatchObject({ alertId: A.alertId, user: pseudo.of(ANA), department: 'Analytics' });
    expect(shown.triage).toMatchObject({ status: 'resolved', disposition: 'false_positive', assignee: 'jane.doe', snoozedUntil: null });
    expect(shown.triage.notes).toEqual([
      expect.objectContaining({ actor: 'jane.doe', note: 'called the manager' }),
      expect.objectContaining({ actor: CLI_ACTOR, note: 'quarterly export, planned' }),
    ]);
    expect(shown.history!.map((h) => [h.action, h.actor])).toEqual([
      ['acknowledge', CLI_ACTOR],
      ['assign', CLI_ACTOR],
      ['note', 'jane.doe'],
      ['resolve', CLI_ACTOR],
    ]);
    expect(shown.history![3]).toMatchObject({ disposition: 'false_positive', suppressionId });
    expect(JSON.stringify(shown)).not.toContain(ANA);

    const text = insider(['alerts', 'show', A.alertId]);
    expect(text.code).toBe(0);
    for (const part of [`ALERT ${A.alertId}`, 'resolved (false_positive)', 'own weekday median 100 MB (100x)', 'crm.customers (pii) 10 GB, 100%', 'NOTES (2)', 'HISTORY (4)', `suppression ${suppressionId}`, 'jane.doe: called the manager']) {
      expect(text.stdout).toContain(part);
    }
    expect(json<Triaged[]>(['alerts', 'list', '--status', 'resolved']).map((a) => a.alertId)).toEqual([A.alertId]);
    expect(insider(['alerts', 'list']).stdout).toMatch(new RegExp(`^${A.alertId}.*resolved:false_positive`, 'm'));
  });

  it('lists the suppression, revokes it, and lists it as revoked with --all', () => {
    const listed = insider(['suppressions', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+STATE\s+SCOPE\s+USER\s+TABLE\s+UNTIL/);
    expect(listed.stdout).toMatch(new RegExp(`^${suppressionId}\\s+active\\s+user_table\\s+${pseudo.of(ANA)}\\s+crm\\.customers\\s+`, 'm'));
    expect(listed.stdout).toContain('quarterly customer export');

    const revoked = insider(['suppressions', 'revoke', suppressionId]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^state\s+revoked$/m);
    const again = insider(['suppressions', 'revoke', suppressionId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: suppression ${suppressionId} was already revoked [TRIAGE_CONFLICT]\n`);

    const active = insider(['suppressions', 'list']);
    expect(active.stdout).not.toContain(suppressionId);
    expect(active.stderr).toContain('no active suppressions');
    const all = json<Array<{ id: string; active: boolean; revokedBy: string | null; alertId: string }>>(['suppressions', 'list', '--all']);
    expect(all).toEqual([expect.objectContaining({ id: suppressionId, active: false, revokedBy: CLI_ACTOR, alertId: A.alertId })]);
    expect(insider(['suppressions', 'list', '--all']).stdout).toMatch(new RegExp(`^${suppressionId}\\s+revoked\\s`, 'm'));
  });

  it('adds a suppression by hand, for an id or a pseudonym, and refuses an unknown employee', () => {
    const byId = json<{ id: string; user: string; scope: string; active: boolean }>(['suppressions', 'add', '--user', BEN, '--scope', 'user', '--until', '2w', '--reason', 'backfill']);
    expect(byId).toMatchObject({ user: pseudo.of(BEN), scope: 'user', active: true });
    const unknown = insider(['suppressions', 'add', '--user', 'nobody@corp.example', '--scope', 'user', '--until', '2w', '--reason', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no employee known as nobody@corp.example');
    const noTable = insider(['suppressions', 'add', '--user', pseudo.of(BEN), '--scope', 'user_table', '--until', '2w', '--reason', 'x']);
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toBe('error: scope user_table needs a table as database.table [TRIAGE_INVALID]\n');
    expect(insider(['suppressions', 'add', '--user', BEN, '--scope', 'user', '--until', '2w']).code).toBe(2);
  });

  it('snoozes and reopens', () => {
    const snoozed = json<Triaged>(['alerts', 'snooze', B.alertId, '--until', '2h', '--note', 'waiting for HR']);
    expect(snoozed.triage.status).toBe('snoozed');
    expect(snoozed.triage.snoozedUntil).toBeGreaterThan(Date.now());
    expect(json<Triaged[]>(['alerts', 'list', '--status', 'snoozed']).map((a) => a.alertId)).toEqual([B.alertId]);
    const reopened = insider(['alerts', 'reopen', B.alertId]);
    expect(reopened.code).toBe(0);
    expect(reopened.stdout).toMatch(/^status\s+open$/m);
  });

  it('refuses a user that exists (in any case) or a reserved name, and issues a token shown once, stored only as its hash', async () => {
    const dup = insider(['users', 'add', 'jane.doe', '--role', 'viewer']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe('error: user "jane.doe" exists [TRIAGE_CONFLICT]\n');
    const otherCase = insider(['users', 'add', 'JANE.DOE', '--role', 'viewer']);
    expect(otherCase.code).toBe(1);
    expect(otherCase.stderr).toBe('error: user "jane.doe" exists (names are unique whatever their case) [TRIAGE_CONFLICT]\n');
    for (const name of ['admin', 'Admin']) {
      const reserved = insider(['users', 'add', name, '--role', 'admin']);
      expect(reserved.code).toBe(1);
      expect(reserved.stderr).toContain(`"${name}" is reserved`);
    }
    expect(insider(['users', 'add', 'omar', '--role', 'root']).code).toBe(2);

    const issued = insider(['users', 'token', 'jane.doe', '--days', '7']);
    expect(issued.code).toBe(0);
    const token = issued.stdout.trim();
    expect(issued.stdout).toMatch(/^ins_[A-Za-z0-9_-]{32}\n$/);
    expect(issued.stderr).toMatch(/token tok_[0-9a-f]{8} for jane\.doe, valid until .*It is shown only now: it is not stored/);
    const stored = await ch.query<{ token_hash: string }>(sql`SELECT token_hash FROM api_tokens WHERE name = 'jane.doe'`);
    expect(stored).toEqual([{ token_hash: hashToken(token) }]);
    expect(await authenticate(ch, token, undefined, Date.now())).toMatchObject({ name: 'jane.doe', role: 'analyst' });
    const nobody = insider(['users', 'token', 'nobody']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toBe('error: no user nobody [TRIAGE_NOT_FOUND]\n');

    const users = json<Array<{ name: string; role: string; disabled: boolean; createdBy: string }>>(['users', 'list']);
    expect(users).toEqual([expect.objectContaining({ name: 'jane.doe', role: 'analyst', disabled: false, createdBy: CLI_ACTOR })]);
    expect(insider(['users', 'list']).stdout).toMatch(/^NAME\s+ROLE\s+STATE\s+CREATED\s+BY\s+CHANGED\s+CHANGED BY\njane\.doe\s+analyst\s+active\s/);
  });

  it('answers bad input with a clear message and a non-zero exit, changing nothing', async () => {
    const actionsBefore = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM alert_actions`);

    const noDisposition = insider(['alerts', 'resolve', B.alertId]);
    expect(noDisposition.code).toBe(2);
    expect(noDisposition.stderr).toContain("required option '--disposition <disposition>' not specified");

    const badDisposition = insider(['alerts', 'resolve', B.alertId, '--disposition', 'fine']);
    expect(badDisposition.code).toBe(2);
    expect(badDisposition.stderr).toContain('Allowed choices are true_positive, false_positive, expected_activity, duplicate');

    const unknown = insider(['alerts', 'resolve', 'al_nope', '--disposition', 'duplicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no alert al_nope [TRIAGE_NOT_FOUND]\n');
    expect(insider(['alerts', 'show', 'al_nope']).stderr).toBe('error: no alert al_nope [TRIAGE_NOT_FOUND]\n');

    const ackResolved = insider(['alerts', 'ack', A.alertId]);
    expect(ackResolved.code).toBe(1);
    expect(ackResolved.stderr).toBe('error: the alert is resolved; reopen it first [TRIAGE_CONFLICT]\n');

    const suppressTruePositive = insider(['alerts', 'resolve', B.alertId, '--disposition', 'true_positive', '--suppress', 'user', '--until', '1d', '--reason', 'x']);
    expect(suppressTruePositive.code).toBe(1);
    expect(suppressTruePositive.stderr).toContain('a suppression comes with resolving as false_positive or expected_activity');

    const suppressNoUntil = insider(['alerts', 'resolve', B.alertId, '--disposition', 'false_positive', '--suppress', 'user', '--reason', 'x']);
    expect(suppressNoUntil.code).toBe(2);
    expect(suppressNoUntil.stderr).toContain('--suppress needs --until');
    expect(insider(['alerts', 'resolve', B.alertId, '--disposition', 'duplicate', '--table', 'crm.customers']).stderr).toContain('--until and --reason go with --suppress or --expect, --table with --suppress');

    const past = insider(['alerts', 'snooze', B.alertId, '--until', '2020-01-01T00:00:00Z']);
    expect(past.code).toBe(1);
    expect(past.stderr).toBe('error: snooze needs a time in the future [TRIAGE_INVALID]\n');
    const notATime = insider(['alerts', 'snooze', B.alertId, '--until', 'tomorrow']);
    expect(notATime.code).toBe(2);
    expect(notATime.stderr).toContain('expected an ISO-8601 time with a zone');

    expect(insider(['alerts', 'note', B.alertId, '   ']).stderr).toBe('error: a note is required [TRIAGE_INVALID]\n');
    expect(insider(['alerts', 'reopen', B.alertId]).stderr).toBe('error: only a resolved or snoozed alert can be reopened [TRIAGE_CONFLICT]\n');
    expect(insider(['alerts', 'ack', B.alertId, '--as', 'bad name']).code).toBe(2);
    expect(insider(['alerts', 'list', '--status', 'closed']).code).toBe(2);

    expect(await ch.query<{ n: string }>(sql`SELECT count() AS n FROM alert_actions`)).toEqual(actionsBefore);
  });

  it('has one audit row per action, with the CLI actor, role admin and source cli', async () => {
    const rows = await ch.query<{ actor: string; role: string; action: string; target: string; source_ip: string; request_id: string }>(
      sql`SELECT actor, role, action, target, source_ip, request_id FROM audit_log ORDER BY at, at_ms`,
    );
    const count = (action: string) => rows.filter((r) => r.action === action).length;
    expect({
      ack: count('alert.acknowledge'),
      assign: count('alert.assign'),
      note: count('alert.note'),
      resolve: count('alert.resolve'),
      snooze: count('alert.snooze'),
      reopen: count('alert.reopen'),
      view: count('alert.view'),
      suppressionCreate: count('suppression.create'),
      suppressionRevoke: count('suppression.revoke'),
      userCreate: count('user.create'),
      tokenIssue: count('token.issue'),
    }).toEqual({ ack: 1, assign: 1, note: 1, resolve: 1, snooze: 1, reopen: 1, view: shows, suppressionCreate: 2, suppressionRevoke: 1, userCreate: 1, tokenIssue: 1 });
    expect(rows).toHaveLength(11 + shows);
    for (const r of rows) {
      expect(r).toMatchObject({ actor: r.action === 'alert.note' ? 'jane.doe' : CLI_ACTOR, role: 'admin', source_ip: 'cli' });
      expect(r.request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(rows.find((r) => r.action === 'alert.resolve')).toMatchObject({ target: A.alertId });
    expect(rows.find((r) => r.action === 'suppression.revoke')).toMatchObject({ target: suppressionId });
    expect(rows.find((r) => r.action === 'token.issue')).toMatchObject({ target: 'jane.doe' });
  });

  it('changes a role, lists and revokes tokens, disables (ending every token) and enables a user', async () => {
    expect(insider(['users', 'add', 'kim.k', '--role', 'viewer']).code).toBe(0);
    const t1 = insider(['users', 'token', 'kim.k']).stdout.trim();
    const t2 = insider(['users', 'token', 'kim.k']).stdout.trim();
    const check = async (token: string) => {
      const p = await authenticate(ch, token, undefined, Date.now());
      return p ? `${p.name}:${p.role}` : 'refused';
    };
    expect(await check(t1)).toBe('kim.k:viewer');

    const role = insider(['users', 'role', 'kim.k', 'analyst']);
    expect(role).toMatchObject({ code: 0, stdout: 'user kim.k is now analyst\n' });
    expect(await check(t1)).toBe('kim.k:analyst');
    expect(insider(['users', 'role', 'kim.k', 'root']).code).toBe(2);
    expect(insider(['users', 'role', 'kim.k', 'analyst']).stderr).toBe('error: kim.k is already analyst [TRIAGE_CONFLICT]\n');

    const tokens = json<Array<{ tokenId: string; state: string }>>(['users', 'tokens', 'kim.k']);
    expect(tokens.map((t) => t.state)).toEqual(['active', 'active']);
    const [first] = (await ch.query<{ token_id: string }>(sql`SELECT token_id FROM api_tokens WHERE token_hash = ${hashToken(t1)}`)).map((r) => r.token_id);
    const revoked = insider(['users', 'revoke', 'kim.k', first]);
    expect(revoked).toMatchObject({ code: 0, stdout: `token ${first} of kim.k revoked\n` });
    expect(await check(t1)).toBe('refused');
    expect(await check(t2)).toBe('kim.k:analyst');
    expect(insider(['users', 'revoke', 'kim.k', first]).stderr).toBe(`error: token ${first} was already revoked [TRIAGE_CONFLICT]\n`);
    expect(insider(['users', 'revoke', 'kim.k', 'not-a-token']).code).toBe(2);
    expect(insider(['users', 'tokens', 'kim.k']).stdout).toMatch(new RegExp(`^${first}\\s+revoked\\s.*${CLI_ACTOR}$`, 'm'));

    const disabled = insider(['users', 'disable', 'KIM.K', '--reason', 'on leave']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toMatch(/^user kim\.k disabled; tokens revoked: tok_[0-9a-f]{8}\n$/);
    expect(await check(t2)).toBe('refused');
    expect(insider(['users', 'list']).stdout).toMatch(/^kim\.k\s+analyst\s+disabled \(on leave\)\s/m);
    expect(insider(['users', 'token', 'kim.k']).stderr).toBe('error: kim.k is disabled: enable the user before issuing a token [TRIAGE_CONFLICT]\n');
    expect(insider(['users', 'enable', 'kim.k']).code).toBe(0);
    expect(await check(t2)).toBe('refused');
    expect(await check(insider(['users', 'token', 'kim.k']).stdout.trim())).toBe('kim.k:analyst');

    const trail = await readAudit(ch, { target: 'kim.k' });
    expect(trail.map((t) => t.action)).toEqual(['token.issue', 'user.enable', 'user.disable', 'token.revoke', 'user.role_change', 'token.issue', 'token.issue', 'user.create']);
    expect(trail.every((t) => t.actor === CLI_ACTOR)).toBe(true);
  });

  it('prints no bidirectional control characters from the data, in tables, alerts and JSON', async () => {
    const C = { ...alert(BEN, today - 2, 'high', 85), alertId: 'al_it_bidi' };
    const rlo = 'crm.\u202esremotsuc\u202c';
    C.evidence = { ...C.evidence, topTables: [{ ...C.evidence.topTables[0], table: rlo }], apps: [{ app: 'psql\u2067\u2066x', bytes: 1 }], sessions: { count: 1, top: [{ id: 'se\u200fss', bytes: 1 }] } };
    C.explanation = `${BEN}: 10 GB; 100% from ${rlo} (pii)`;
    await writeAlerts(ch, [C]);
    for (const args of [['alerts', 'show', C.alertId], ['alerts', 'show', C.alertId, '--json'], ['alerts', 'list']]) {
      const out = insider(args);
      expect(out.code).toBe(0);
      expect(out.stdout).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    }
    expect(insider(['alerts', 'show', C.alertId]).stdout).toContain('crm.sremotsuc');
  });
});
