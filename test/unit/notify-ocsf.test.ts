// OCSF output checked against the schema's field lists (test/fixtures/ocsf/, OCSF 1.8.0): every alert
// message the notifier sends becomes a valid Detection Finding (2004); every event of every format's
// fixtures a valid Datastore Activity (6005). The checker itself is checked to reject what is wrong.
import { findingsOf, datastoreActivityOf, OCSF_VERSION } from '../../src/notify/ocsf';
import { pageOf, type AlertRevision, type Message } from '../../src/notify/page';
import { ocsfProblems, OCSF_SCHEMA } from '../helpers/ocsf-validate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- records are probed field by field
type Rec = Record<string, any>;
import { decodeFixture as decodePostgres } from '../fixtures/postgres/decode';
import { decodeFixture as decodeMariadb } from '../fixtures/mariadb/decode';

const rev: AlertRevision = {
  alertId: 'al_20261202_97d2ab6b91', revision: 1, user: 'bea.lopez@corp.example', severity: 'critical', score: 86, detectors: ['exportRate', 'volumeSelf'],
  observedBytes: 2_560_000_000, ratio: 41.2, windowStart: Date.UTC(2026, 11, 2), windowEnd: Date.UTC(2026, 11, 3), firedAt: Date.UTC(2026, 11, 2, 4, 13, 26), updatedAtWall: Date.UTC(2026, 11, 2, 4, 13, 27),
};
const page = pageOf(rev, { baseUrl: 'https://insider.example.com', who: () => 'emp-3fa9c2d1e0' });
const NOW = Date.UTC(2026, 11, 2, 4, 14);
const messages: Message[] = [
  { kind: 'trigger', dedupKey: 'k1', alert: page },
  { kind: 'trigger', dedupKey: 'k1', alert: { ...page, revision: 3, severity: 'high' } },
  { kind: 'escalate', dedupKey: 'k1', alert: { ...page, escalation: { afterMs: 900_000 } } },
  { kind: 'digest', dedupKey: 'd1', digest: { digestId: 'dg1', link: 'https://insider.example.com/#/alerts', alerts: [page, { ...page, alertId: 'al_2', severity: 'low', who: '' }] } },
  { kind: 'acknowledge', dedupKey: 'k1', alertId: page.alertId, link: page.link },
  { kind: 'resolve', dedupKey: 'k1', alertId: page.alertId, link: page.link },
  { kind: 'test', dedupKey: 't1', link: 'https://insider.example.com/' },
];

describe(`OCSF ${OCSF_VERSION} Detection Finding (2004) for alerts`, () => {
  it('the fixture is the schema release the records declare', () => {
    expect(OCSF_SCHEMA.source.tag).toBe(OCSF_VERSION);
    expect(Object.keys(OCSF_SCHEMA.classes).sort()).toEqual(['2004', '6005']);
  });

  it.each(messages.map((m) => [m.kind, m] as const))('%s: every record has the required fields, of their types, and nothing the class does not define', (_kind, m) => {
    const records = findingsOf(m, 'dl_1', NOW);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) expect(ocsfProblems(r)).toEqual([]);
  });

  it('carries what a page carries and no evidence: severity, the alert id, link, detectors, volume', () => {
    const [f] = findingsOf(messages[0], 'dl_1', NOW) as Rec[];
    expect([f.severity_id, f.activity_id, f.status_id, f.finding_info.uid, f.finding_info.src_url, f.finding_info.types, f.evidences[0].user.name, f.unmapped.observed_bytes]).toEqual([
      5, 1, 1, 'al_20261202_97d2ab6b91', 'https://insider.example.com/#/alerts/al_20261202_97d2ab6b91', ['exportRate', 'volumeSelf'], 'emp-3fa9c2d1e0', 2_560_000_000,
    ]);
    expect(JSON.stringify(f)).not.toContain('bea.lopez');
    const [resolved] = findingsOf(messages[5], 'dl_2', NOW) as Rec[];
    expect([resolved.activity_id, resolved.status_id, resolved.finding_info.uid]).toEqual([3, 4, page.alertId]);
  });
});

describe(`OCSF ${OCSF_VERSION} Datastore Activity (6005) for access events`, () => {
  it('every event of the captured PostgreSQL and MariaDB logs is a valid record', async () => {
    const events = [...(await decodePostgres('jsonlog')).events, ...(await decodeMariadb()).events];
    expect(events.length).toBeGreaterThan(50);
    for (const e of events) {
      const r = datastoreActivityOf(e, NOW);
      expect({ id: e.event_id, problems: ocsfProblems(r) }).toEqual({ id: e.event_id, problems: [] });
    }
    const dump = events.find((e) => e.action === 'DUMP')!;
    expect(datastoreActivityOf(dump, NOW)).toMatchObject({ activity_id: 1, type_uid: 600501, actor: { user: { name: dump.user } }, table: { name: dump.table }, unmapped: { bytes: dump.bytes } });
  });
});

describe('the checker rejects what does not conform', () => {
  const good = () => JSON.parse(JSON.stringify(findingsOf(messages[0], 'dl_1', NOW)[0])) as Rec;
  it.each([
    ['a required attribute missing', (r: Rec) => delete r.finding_info, /finding_info: required/],
    ['a required attribute of an object missing', (r: Rec) => delete r.metadata.version, /metadata\.version: required/],
    ['an attribute the class does not define', (r: Rec) => (r.bytes = 1), /\.bytes: not an attribute/],
    ['a wrong type', (r: Rec) => (r.time = '2026-12-02'), /\.time: expected an integer/],
    ['a value outside its enum', (r: Rec) => (r.severity_id = 7), /severity_id: 7 is not one of/],
    ['a type_uid that does not match', (r: Rec) => (r.type_uid = 200402), /type_uid must be/],
  ])('%s', (_what, spoil, message) => {
    const r = good();
    spoil(r);
    expect(ocsfProblems(r).join('\n')).toMatch(message);
  });

  it('the at_least_one constraint of 6005', () => {
    const r = datastoreActivityOf({ event_id: 'e', ts: NOW, user: 'u', action: 'SELECT', bytes: 1, rows: 1, table: 't', database: 'd' } as never, NOW) as Record<string, unknown>;
    delete r.database;
    delete r.table;
    expect(ocsfProblems(r).join('\n')).toMatch(/needs at least one of database, databucket, table/);
  });
});
