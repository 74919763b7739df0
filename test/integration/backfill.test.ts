// `detect --once` reads stored events in blocks of hours (TabSeparated, sized by events), the next block while the current
// one is judged, and its histories from rollup rows read ahead: the engine must still see exactly what
// a read of each hour on its own gave it, and raise the same alerts, hour by hour.
import crypto from 'node:crypto';
import type { AlertRecord } from '../../src/alerts';
import { MS_PER_DAY, MS_PER_HOUR } from '../../src/calendar';
import { storeDirectory } from '../../src/directory';
import { backfill, MAX_BLOCK_HOURS, storedEvents, storedEventsWhere } from '../../src/detect/backfill';
import { unmeasuredOf } from '../../src/detect/event';
import { engineFor } from '../../src/detect/setup';
import { sql } from '../../src/store';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { accessEvents, decodeRecords, slowOffRecords } from '../fixtures/mariadb/decode';
import { ACTOR, DAY, directory, events, row } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase, type FreshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

describe('backfill (ClickHouse)', () => {
  const config = testConfig();
  const database = uniqueName('itbackfill');
  let db: FreshDatabase;
  // Three days before the export day, and the export day (api-fixture: ana's 10 GB export of crm.customers).
  const from = (DAY - 3) * MS_PER_DAY;
  const to = (DAY + 1) * MS_PER_DAY;

  beforeAll(async () => {
    db = await freshDatabase(database, config.clickhouse);
    await storeDirectory(db.ch, directory(), { source: 'test', checksum: 'test' });
    await db.ch.insert('access_events', events());
  }, 60_000);

  afterAll(async () => {
    await dropDatabase(database, db);
  });

  it('reads every character of stored strings back unchanged', async () => {
    const awkward = 'tab\there, new\nline, back\\slash, quote \' and "double", nul \0 and ünïcødé';
    const e = { ...row(`odd\t${crypto.randomUUID()}`, from - MS_PER_DAY + 1234, 1, 'x.y', { app: awkward, session: '\\N' }) };
    await db.ch.insert('access_events', [e]);
    const [back] = await storedEventsWhere(db.ch, sql`event_id = ${e.event_id}`);
    expect(back).toMatchObject({ eventId: e.event_id, user: e.user, clientApp: awkward, sessionId: '\\N', table: 'x.y', ts: from - MS_PER_DAY + 1234, bytes: 1, ok: true, estimated: false, identity: '' });
  });

  it('reads a read its source could not measure as the live path reads it (the reason from extra, whatever else extra holds)', async () => {
    // The extra fields the MariaDB source gave a read made after its user turned the slow log off (the real server's lines).
    const blind = accessEvents((await decodeRecords(slowOffRecords())).outcomes).find((e) => e.extra.includes('bytes_unknown'))!;
    const extras = [
      blind.extra,
      JSON.stringify({ bytes_unknown: 'tab\there,\nnew line, back\\slash, "quoted"', slow_log_off_by: 'query 9,SET\tlong_query_time=1e6' }),
      JSON.stringify({ note: { bytes_unknown: 'nested: not a source saying so' } }),
      JSON.stringify({ note: '"bytes_unknown"' }),
      '',
    ];
    const rows = extras.map((extra, i) => ({ ...row(`unmeasured-${i}`, from - MS_PER_DAY + i, 0, 'x.y'), extra }));
    await db.ch.insert('access_events', rows);
    for (const r of rows) {
      const [back] = await storedEventsWhere(db.ch, sql`event_id = ${r.event_id}`);
      expect(back.unmeasured).toBe(unmeasuredOf(r.extra));
    }
    expect(unmeasuredOf(extras[0])).toMatch(/slow log off.*turned off by query \d+,SET SESSION long_query_time = 1000/);
    expect(unmeasuredOf(extras[1])).toContain('\t');
    expect(unmeasuredOf(extras[2])).toBeUndefined();
  });

  it('raises the alerts an hour-by-hour judgement of the same events raises, each hour stored before the next is judged', async () => {
    const inputs = await loadEngineInputs(db.ch, config.detection);
    const hours = (to - from) / MS_PER_HOUR;
    expect(hours).toBeGreaterThan(2 * MAX_BLOCK_HOURS);

    // The reference: each hour read on its own, judged by an engine that reads its histories day by day.
    const reference = engineFor(db.ch, config.detection, inputs, () => 0);
    const expected: AlertRecord[] = [];
    let events = 0;
    const judgedByHour: number[] = [];
    for (let h = 0; h < hours; h++) {
      const batch = await storedEvents(db.ch, from + h * MS_PER_HOUR, from + (h + 1) * MS_PER_HOUR);
      events += batch.length;
      expected.push(...(await reference.process(batch)));
      judgedByHour.push(reference.stats().events);
    }

    // The backfill as `detect --once` runs it over a past period: days before the last are settled.
    const engine = engineFor(db.ch, config.detection, inputs, () => 0, { settledUntil: DAY - 1 });
    const stored: AlertRecord[] = [];
    const sinkCalls: number[] = [];
    /** Each hour's start and end, and the events judged when it was asked about (before that hour's). */
    const beforeHours: Array<[number, number, number]> = [];
    let judged = 0;
    await backfill(
      db.ch,
      engine,
      { from, to },
      async (a) => {
        sinkCalls.push(engine.stats().events);
        stored.push(...a);
      },
      (p) => (judged = p.events),
      async (hour) => void beforeHours.push([hour.start, hour.end, engine.stats().events]),
    );

    const key = (a: AlertRecord) => [a.alertId, a.revision, a.severity, a.score, a.firedAt, a.triggerEventId, a.observedBytes, a.baselineBytes, a.explanation];
    expect(expected.some((a) => a.user === ACTOR)).toBe(true);
    expect(stored.map(key)).toEqual(expected.map(key));
    expect(judged).toBe(events);
    // One sink call per hour, each after that hour's events and before the next hour's.
    expect(sinkCalls).toEqual(judgedByHour);
    expect(beforeHours).toEqual(judgedByHour.map((_, h) => [from + h * MS_PER_HOUR, from + (h + 1) * MS_PER_HOUR, h === 0 ? 0 : judgedByHour[h - 1]]));
    expect(engine.stats()).toEqual(reference.stats());
  }, 120_000);

  it('stops before the hour its beforeHour check refuses (live detectors found): the hours before are judged and stored, that one is not', async () => {
    const engine = engineFor(db.ch, config.detection, await loadEngineInputs(db.ch, config.detection), () => 0, { settledUntil: DAY - 1 });
    const stopAt = from + 30 * MS_PER_HOUR;
    const sunk: number[] = [];
    const run = backfill(
      db.ch,
      engine,
      { from, to },
      async () => void sunk.push(engine.stats().events),
      undefined,
      async (hour) => {
        if (hour.start === stopAt) throw new Error('live detectors found');
      },
    );
    await expect(run).rejects.toThrow('live detectors found');
    expect(sunk).toHaveLength(30);
    expect(engine.stats().events).toBe(sunk[29]);
    expect(engine.stats().events).toBe((await storedEvents(db.ch, from, stopAt)).length);
  }, 120_000);
});
