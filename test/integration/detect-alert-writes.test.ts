// The detector's alert inserts on the real ClickHouse (src/live-detect/alert-writes.ts): fenced as the
// ingester's are, settled after a lost answer, and waited for by a takeover. An insert made slow on
// purpose stands in for a replica frozen or a server overloaded: cut into blocks of one row, each block
// written to the table and then to a materialized view that sleeps, so its second revision lands only
// seconds after its first, while the client's answer is lost and the server goes on.
import { insertAlerts, type AlertRecord } from '../../src/alerts';
import { ClickHouseError } from '../../src/errors';
import { ALERT_WRITE_PREFIX, alertWrites, waitForAlertWrites } from '../../src/live-detect/alert-writes';
import { createLogger } from '../../src/log';
import { createClickHouse, fenceAttempt, FENCE_EXPIRY_MS, inList, openAttempt, SERVER_CODES, sql, type ClickHouse } from '../../src/store';
import { syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

jest.setTimeout(120000);
// Not part of the compatibility check's recording: its answers depend on when a client gives up on a
// running insert, which a replay one statement at a time cannot reproduce.
delete process.env.INSIDER_CLICKHOUSE_RECORD_DIR;

const log = createLogger({ level: 'silent' });
const DAY = 20_400;
const alertOf = (id: string, revision = 1): AlertRecord => ({ ...syntheticAlert(`${id}@corp.example`, DAY, { id }), revision, updatedAtWall: Date.now(), createdAtWall: Date.now() }) as AlertRecord;
const asSent = (alerts: AlertRecord[]) => alerts;
const BY = { topic: 'events', partition: 3 };
/** Its inserts in blocks of one row, not squashed together again. */
const oneRowBlocks = (c: ClickHouse): ClickHouse => ({
  ...c,
  insert: (table, rows, o = {}) => c.insert(table, rows, { ...o, settings: { ...o.settings, max_insert_block_size: 1, min_insert_block_size_rows: 0, min_insert_block_size_bytes: 0 } }),
});

describe("the detector's alert inserts", () => {
  const config = testConfig();
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;

  beforeEach(async () => {
    database = uniqueName('it_alert_writes');
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
  });
  afterEach(async () => {
    await dropDatabase(database, { admin, ch });
  });

  const copies = async (ids: string[]) =>
    (await ch.query<{ alert_id: string; revision: number; n: string }>(sql`SELECT alert_id, revision, count() AS n FROM alerts WHERE alert_id IN ${inList(ids)} GROUP BY alert_id, revision ORDER BY alert_id, revision`)).map(
      (r) => [r.alert_id, Number(r.revision), Number(r.n)],
    );
  /** Each block inserted into alerts takes about `seconds` more (a view that sleeps once per block). */
  const slowInserts = (seconds: number) => ch.exec(sql`CREATE MATERIALIZED VIEW slow_alerts ENGINE = Null AS SELECT sleep(${seconds}) AS s FROM alerts`);

  it('an insert whose answer was lost is waited out, and the next attempt sends only what ClickHouse does not hold: each revision stored once', async () => {
    await slowInserts(2);
    // The client gives up after 500 ms, when the first revision is stored; the server goes on and stores the second 2 s later.
    const impatient = oneRowBlocks(createClickHouse({ ...config.clickhouse, requestTimeoutMs: 500 }, { database }));
    const alerts = [alertOf('lost-a'), alertOf('lost-b', 3)];
    const writes = alertWrites(impatient, alerts, BY, { log, killAfterMs: 60_000 });
    const first = await writes.attempt(async () => {}, asSent).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(first).toBeInstanceOf(ClickHouseError);
    expect((first as ClickHouseError).retriable).toBe(true);
    // The insert still running is the one named as unanswered (a batch given up now waits for it by this id).
    const lost = writes.unanswered();
    expect(lost).toMatch(new RegExp(`^${ALERT_WRITE_PREFIX}${BY.topic}:${BY.partition}:`));
    expect((await ch.query<{ query_id: string }>(sql`SELECT query_id FROM system.processes WHERE query_id = ${lost!}`)).length).toBe(1);
    await writes.attempt(async () => {}, asSent);
    // Waited out by the attempt that followed: nothing left unanswered.
    expect(writes.unanswered()).toBeUndefined();
    expect(await copies(['lost-a', 'lost-b'])).toEqual([
      ['lost-a', 1, 1],
      ['lost-b', 3, 1],
    ]);
  });

  it('a detector paused after proving it owns the partition, past its fence, stores nothing when it resumes', async () => {
    const writes = alertWrites(ch, [alertOf('paused')], BY, { log, killAfterMs: 60_000 });
    // The pause: after the proof, before the insert is sent.
    const late = await writes.attempt(() => new Promise((r) => setTimeout(r, FENCE_EXPIRY_MS + 1000)), asSent).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(late).toBeInstanceOf(ClickHouseError);
    expect(Number((late as ClickHouseError).context.serverCode)).toBe(SERVER_CODES.SESSION_NOT_FOUND);
    expect(await copies(['paused'])).toEqual([]);
  });

  it.each([
    ['its partition', [BY], false],
    ["its topic's (a rebuild of employees whose batch was given up)", [{ topic: 'audit' }, { topic: BY.topic }], false],
    ["another topic's, and this one by its query id (this detector's own, in a batch given up)", [{ topic: 'audit' }], true],
  ])("a takeover waits for an alert insert still running before it reads the stored alerts: the previous owner's revision is read, not landed after (the inserts of %s)", async (_, writers, byId) => {
    await slowInserts(3);
    // Two revisions, the second stored about 3 s after the first.
    const writes = alertWrites(oneRowBlocks(ch), [alertOf('running-a'), alertOf('running-b')], BY, { log, killAfterMs: 60_000 });
    const previousOwner = writes.attempt(async () => {}, asSent);
    // This partition's inserts only: the shared server runs other suites' detectors meanwhile.
    const prefix = `${ALERT_WRITE_PREFIX}${BY.topic}:${BY.partition}:`;
    const running = async () => Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE substring(query_id, 1, ${prefix.length}) = ${prefix}`))[0].n);
    for (let i = 0; i < 50 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await running()).toBe(1);
    // A takeover of another partition (its prefix twin too) does not wait for it, nor one of other topics
    // (a prefix twin too, and another deployment's detectors on this server).
    await waitForAlertWrites(ch, { log, killAfterMs: 60_000 }, [{ topic: 'events', partition: 33 }]);
    await waitForAlertWrites(ch, { log, killAfterMs: 60_000 }, [{ topic: 'event' }, { topic: 'other-events' }]);
    expect(await running()).toBe(1);
    // Nor an id of another insert, of this partition's prefix.
    await waitForAlertWrites(ch, { log, killAfterMs: 60_000 }, [{ topic: 'audit' }], [`${prefix}no-such-insert`]);
    expect(await running()).toBe(1);
    const [id] = await ch.query<{ query_id: string }>(sql`SELECT query_id FROM system.processes WHERE substring(query_id, 1, ${prefix.length}) = ${prefix}`);
    await waitForAlertWrites(ch, { log, killAfterMs: 60_000 }, writers, byId ? [id.query_id] : []);
    // What the takeover reads now holds both revisions.
    expect(await copies(['running-a', 'running-b'])).toEqual([
      ['running-a', 1, 1],
      ['running-b', 1, 1],
    ]);
    expect(await running()).toBe(0);
    await previousOwner;
  });

  /** The connection, with its probes of a fence, its looks at system.processes and its kills counted. */
  const counted = (c: ClickHouse, failProbe?: number | ((probe: number) => boolean)) => {
    const seen = { probes: 0, looks: 0, kills: 0, probesAtKill: undefined as number | undefined, looksAtKill: undefined as number | undefined };
    const fails = typeof failProbe === 'function' ? failProbe : (probe: number) => probe === failProbe;
    const spy: ClickHouse = {
      ...c,
      query: (q, o) => {
        if (/SELECT count\(\) AS n FROM system\.processes/.test(q.text)) seen.looks++;
        return c.query(q, o);
      },
      exec: async (q, o) => {
        if (/^\s*KILL QUERY/.test(q.text)) {
          seen.kills++;
          seen.probesAtKill ??= seen.probes;
          seen.looksAtKill ??= seen.looks;
        } else if (o?.session) {
          seen.probes++;
          if (fails(seen.probes)) throw new ClickHouseError('ClickHouse unreachable during statement: timed out', { retriable: true });
        }
        return c.exec(q, o);
      },
    };
    return { spy, seen };
  };

  it("a wait for an unanswered insert tried again after a failed probe keeps its kill clock; an insert the server cannot kill is waited for, not an error", async () => {
    await slowInserts(1);
    // About 20 s on the server; the client gives up after 500 ms.
    const impatient = oneRowBlocks(createClickHouse({ ...config.clickhouse, requestTimeoutMs: 500 }, { database }));
    const attempt = await openAttempt(ch, `${ALERT_WRITE_PREFIX}${BY.topic}:${BY.partition}:`);
    const ids = Array.from({ length: 20 }, (_, i) => `clock-${i}`);
    const sent = insertAlerts(impatient, ids.map((id) => alertOf(id)), async () => attempt).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    // Probes every 4 s (FENCE_EXPIRY_MS): the second fails (a time-out), the wait is tried again at once.
    const { spy, seen } = counted(ch, 2);
    const fence = { log, killAfterMs: 6000 };
    await expect(fenceAttempt(spy, attempt, fence)).rejects.toThrow(/timed out/);
    await fenceAttempt(spy, attempt, fence);
    // The kill asked at the first probe past 6 s from the first wait (the third, at about 12 s), not 6 s
    // after the retry began (the fourth). 18.16 cannot kill an INSERT that sends data: the wait went on
    // until it ended, so everything it stores is there when the wait is over.
    expect(seen.probesAtKill).toBe(3);
    expect(await sent).toMatch(/timeout|timed out/i);
    expect((await copies(ids)).length).toBe(20);
  });

  it('a wait tried again each time a probe fails kills once and still reports the stall, and counts it', async () => {
    await slowInserts(1);
    // About 20 s on the server; the client gives up after 500 ms.
    const impatient = oneRowBlocks(createClickHouse({ ...config.clickhouse, requestTimeoutMs: 500 }, { database }));
    const attempt = await openAttempt(ch, `${ALERT_WRITE_PREFIX}${BY.topic}:${BY.partition}:`);
    const ids = Array.from({ length: 20 }, (_, i) => `stalled-${i}`);
    const sent = insertAlerts(impatient, ids.map((id) => alertOf(id)), async () => attempt).catch(() => undefined);
    // Probes every 4 s (FENCE_EXPIRY_MS: a probe renews the session it finds, so they cannot come more
    // often); every other one fails, and the wait is tried again at once: the kill is asked at the first
    // (past 2 s), and each retry comes before a report due 5 s after it.
    const { spy, seen } = counted(ch, (probe) => probe % 2 === 0);
    let stalls = 0;
    const fence = { log, killAfterMs: 2000, stall: { firstMs: 5000, everyMs: 60_000, onStall: () => stalls++ } };
    let retries = 0;
    for (;;) {
      try {
        await fenceAttempt(spy, attempt, fence);
        break;
      } catch (err) {
        expect((err as Error).message).toMatch(/timed out/);
        retries++;
      }
    }
    await sent;
    expect(retries).toBeGreaterThan(1);
    expect({ kills: seen.kills, reported: stalls > 0 }).toEqual({ kills: 1, reported: true });
    expect((await copies(ids)).length).toBe(20);
  });

  it("a takeover waits for a previous owner's alert insert that the server cannot kill, past the session timeout, and reads every revision it stored", async () => {
    // The previous owner's insert (about 8 s, its answer lost). 18.16 refuses to kill it; the takeover waits
    // for it to end (it stopped with an error before), and reads every revision it stored.
    await slowInserts(1);
    const id = `${ALERT_WRITE_PREFIX}${BY.topic}:${BY.partition}:${Date.now()}`;
    const ids = Array.from({ length: 8 }, (_, i) => `unkillable-${i}`);
    const impatient = oneRowBlocks(createClickHouse({ ...config.clickhouse, requestTimeoutMs: 500 }, { database }));
    const sent = insertAlerts(impatient, ids.map((i) => alertOf(i)), async () => ({ queryId: id })).catch(() => undefined);
    const running = async () => Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`))[0].n);
    for (let i = 0; i < 100 && (await running()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const { spy, seen } = counted(ch);
    await waitForAlertWrites(spy, { log, killAfterMs: 2000 }, [BY]);
    expect(seen.looksAtKill).toBeGreaterThan(1);
    expect((await copies(ids)).length).toBe(8);
    await sent;
  });
});
