// A MariaDB user who turns their own slow log off reads tables the volume detectors cannot see: the
// source makes those reads events of no bytes that say so (`bytes_unknown`, `slow_log_off_by`). The
// unmeasuredReads policy finding is what alerts on them. On the lines the real server wrote when
// h94_mallory did it eleven ways (test/fixtures/mariadb/hidden-reads/slow-off-*.log), decoded as the
// ingester decodes them and judged by the engine as the live detector judges them.
import type { AlertRecord } from '../../src/alerts/types';
import { dayOf } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { allowlistFrom, type Allowlist } from '../../src/detect/allowlist';
import { catalogFrom, type Catalog } from '../../src/detect/catalog';
import { addEvent, newDayState, type EventFacts } from '../../src/detect/day-state';
import { createEngine } from '../../src/detect/engine';
import { fromAccessEvent, unmeasuredOf, type DetectEvent } from '../../src/detect/event';
import { peopleFrom } from '../../src/detect/people';
import type { AccessEvent } from '../../src/event';
import { accessEvents, decodeRecords, slowOffRecords } from '../fixtures/mariadb/decode';
import { directoryEntry, handHistory, spread } from '../helpers/detect-history';
import { MB } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;
const TABLE = 'h94_db.customers';

async function decoded(): Promise<AccessEvent[]> {
  const { outcomes } = await decodeRecords(slowOffRecords());
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  return accessEvents(outcomes);
}

// Mallory among 38 colleagues with ordinary days (enough for the organisation's calibration).
const PEERS = Array.from({ length: 38 }, (_, i) => `peer${i + 1}`);
const people = peopleFrom([directoryEntry('h94_mallory', 'Sales', 'sales_ops'), ...PEERS.map((id) => directoryEntry(id, 'Sales', 'sales_ops'))]);
const USERS = {
  h94_mallory: { daily: spread(100 * MB, 0.5, 7), tables: [TABLE] },
  ...Object.fromEntries(PEERS.map((id, i) => [id, { daily: spread(100 * MB, 0.5, 29 * i), tables: [TABLE] }])),
};

async function judge(events: DetectEvent[], o: { catalog?: Catalog; allowlist?: Allowlist } = {}): Promise<AlertRecord[]> {
  const engine = createEngine({
    detection,
    people,
    catalog: o.catalog ?? catalogFrom([]),
    allowlist: o.allowlist ?? allowlistFrom([]),
    history: async (day) => handHistory(day, USERS, detection, people),
    now: () => Math.max(...events.map((e) => e.ts)) + 60_000,
  });
  return engine.process([...events].sort((a, b) => a.ts - b.ts));
}

const last = (alerts: AlertRecord[]) => alerts[alerts.length - 1];

describe('unmeasuredReads: reads made after the user turned their slow log off', () => {
  let events: DetectEvent[];
  beforeAll(async () => {
    events = (await decoded()).map(fromAccessEvent);
  });

  it('the decoder gives each such read as an event of no bytes whose reason names the SET', () => {
    const blind = events.filter((e) => e.unmeasured !== undefined);
    expect(blind.length).toBeGreaterThanOrEqual(11);
    expect(blind.every((e) => e.bytes === 0 && e.table === TABLE && e.user === 'h94_mallory')).toBe(true);
    expect(blind.some((e) => /turned off by query \d+,SET SESSION long_query_time = 1000/.test(e.unmeasured!))).toBe(true);
    // The reads the slow log measured have no reason: they are judged on their bytes.
    expect(events.filter((e) => e.unmeasured === undefined && e.bytes > 300_000).length).toBeGreaterThan(0);
  });

  it('raise an alert at medium naming the tables and what turned the log off, though the day moved no unusual volume', async () => {
    const alerts = await judge(events);
    expect(alerts.length).toBeGreaterThan(0);
    const a = last(alerts);
    expect(a).toMatchObject({ user: 'h94_mallory', severity: 'medium' });
    expect(a.detectors).toContain('unmeasuredReads');
    const f = a.findings.find((x) => x.detector === 'unmeasuredReads')!;
    // The first blind read fired it, and the reads after it do not revise it (one revision, not one a read).
    expect(f).toMatchObject({ kind: 'policy', severity: 'medium', observed: 1, threshold: 1 });
    expect(f.clause).toMatch(/^1 read of h94_db\.customers whose bytes no log measured: .*slow log off.*turned off by query \d+,SET SESSION long_query_time = 1000\)$/);
    expect(a.explanation).toContain('whose bytes no log measured');
    const firstBlind = [...events].sort((x, y) => x.ts - y.ts).find((e) => e.unmeasured !== undefined)!;
    expect(a.triggerEventId).toBe(firstBlind.eventId);
    expect(alerts.length).toBe(1);
  });

  it('at high when one of them read a sensitive table', async () => {
    const a = last(await judge(events, { catalog: catalogFrom([{ database: 'h94_db', table: 'customers', sensitivity: 'pii' }]) }));
    expect(a.severity).toBe('high');
    expect(a.findings.find((x) => x.detector === 'unmeasuredReads')!.clause).toMatch(/^1 read, 1 of a sensitive table, of h94_db\.customers whose/);
  });

  it('a read of no table the log names (a variable filled before the SET) is named as such', async () => {
    const blind = events.find((e) => e.unmeasured !== undefined)!;
    const a = last(await judge([{ ...blind, table: 'h94_db.' }]));
    expect(a.findings.find((x) => x.detector === 'unmeasuredReads')!.clause).toMatch(/^1 read of a table the log does not name \(in h94_db\) whose bytes/);
  });

  it('not when the table is allowlisted for the user, nor for the reads the slow log measured', async () => {
    const all = allowlistFrom([{ user: 'h94_mallory', reason: 'nightly extract', from: 0, until: Number.MAX_SAFE_INTEGER, tables: new Set([TABLE]) }]);
    expect((await judge(events, { allowlist: all })).flatMap((a) => a.detectors)).not.toContain('unmeasuredReads');
    expect((await judge(events.filter((e) => e.unmeasured === undefined))).flatMap((a) => a.detectors)).not.toContain('unmeasuredReads');
  });

  it('a day counts every blind read once (a producer retry is not a second), failed ones too, allowlisted ones not', () => {
    const blind = events.filter((e) => e.unmeasured !== undefined);
    const facts = (sensitive: boolean, allowlisted = false): EventFacts => ({ sensitivity: sensitive ? 'pii' : 'public', sensitive, knownTable: true, timezone: 'UTC', night: { startHour: 22, endHour: 6 }, allowlisted: allowlisted ? { user: 'h94_mallory', reason: 'r', from: 0, until: Infinity, tables: null } : undefined });
    const s = newDayState('h94_mallory', dayOf(blind[0].ts));
    for (const e of [...blind, ...blind]) addEvent(s, e, facts(false));
    addEvent(s, { ...blind[0], eventId: 'failed', ok: false }, facts(true));
    addEvent(s, { ...blind[0], eventId: 'allowed' }, facts(true, true));
    addEvent(s, { ...blind[0], eventId: 'measured', unmeasured: undefined, bytes: 5 }, facts(true));
    expect(s.unmeasured).toMatchObject({ reads: blind.length + 1, sensitive: 1, tables: new Set([TABLE]) });
    expect(s.unmeasured.why).toBe(blind[0].unmeasured);
    // Another day's state is not touched (the empty one is shared and frozen).
    expect(newDayState('x', 1).unmeasured).toMatchObject({ reads: 0, sensitive: 0, tables: new Set() });
  });
});

describe('unmeasuredOf: the reason read from an event`s extra fields', () => {
  it('only a top-level bytes_unknown string counts, and bad JSON never throws', () => {
    expect(unmeasuredOf('')).toBeUndefined();
    expect(unmeasuredOf('{"bytes_unknown":"no bytes"}')).toBe('no bytes');
    expect(unmeasuredOf('{"bytes_unknown":"no bytes","slow_log_off_by":"query 7,SET x"}')).toBe('no bytes (turned off by query 7,SET x)');
    expect(unmeasuredOf('{"note":{"bytes_unknown":"nested"}}')).toBeUndefined();
    expect(unmeasuredOf('{"bytes_unknown":1}')).toBeUndefined();
    expect(unmeasuredOf('{"note":"\\"bytes_unknown\\""}')).toBeUndefined();
    expect(unmeasuredOf('{"bytes_unknown":"cut')).toBeUndefined();
    expect(unmeasuredOf('"bytes_unknown"')).toBeUndefined();
    expect(unmeasuredOf('null "bytes_unknown"')).toBeUndefined();
  });
});
