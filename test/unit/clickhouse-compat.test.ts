// The compatibility check's own logic: the recording (src/store/statement-recording.ts), reading it
// back in answer order (test/compat/recording.ts), and judging each replayed answer (test/compat/replay.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { statementRecording, RECORD_DIR_ENV } from '../../src/store/statement-recording';
import { readRecording, type Statement } from '../compat/recording';
import { fromDateTime, type ClickHouse } from '../../src/store';
import { difference, EXPECTED, hasOuterOrderBy, isMutation, judge, LANDED, LANDING, modernServers, notReplayable, NOT_REPLAYED, partway, racedWithWrite, replayAll, sameRows } from '../compat/replay';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'compat-'));

describe('statement recording', () => {
  it('is off unless the variable names a directory', () => {
    expect(statementRecording('http://127.0.0.1:8123', 'db', {})).toBeUndefined();
  });

  it('writes a start line before the answer and an end line with the result or the error', () => {
    const dir = tmp();
    const rec = statementRecording('http://127.0.0.1:8123', 'db1', { [RECORD_DIR_ENV]: dir })!;
    const done = rec.start({ kind: 'query', sql: 'SELECT 1 AS a' });
    const lines = () => fs.readFileSync(path.join(dir, `${process.pid}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines()).toEqual([expect.objectContaining({ t: 'start', kind: 'query', sql: 'SELECT 1 AS a', database: 'db1', url: 'http://127.0.0.1:8123' })]);
    done({ result: [{ a: 1 }] });
    rec.start({ kind: 'exec', sql: 'SELEC 1' })({ error: { message: 'syntax', serverCode: 62, retriable: false } });
    const [start, end, , failed] = lines();
    expect(end).toEqual({ t: 'end', id: start.id, at: expect.any(Number), ok: true, result: [{ a: 1 }] });
    expect(end.at).toBeGreaterThanOrEqual(start.at);
    expect(failed).toMatchObject({ t: 'end', ok: false, error: { serverCode: 62 } });
  });

  it('is read back in the order the server answered, across processes, with what was never answered marked', () => {
    const dir = tmp();
    const line = (o: object) => `${JSON.stringify(o)}\n`;
    fs.writeFileSync(
      path.join(dir, '100.jsonl'),
      line({ t: 'start', id: 'a', at: 1, url: 'u', database: 'd', kind: 'exec', sql: 'CREATE TABLE t' }) +
        line({ t: 'end', id: 'a', at: 2, ok: true }) +
        // The same id again (a test runner loads the module once per test file): paired with its own start.
        line({ t: 'start', id: 'a', at: 10, url: 'u', database: 'd', kind: 'query', sql: 'SELECT 2' }) +
        line({ t: 'end', id: 'a', at: 12, ok: true, result: [{ x: '2' }] }) +
        line({ t: 'start', id: 'k', at: 20, url: 'u', database: 'd', kind: 'insert', table: 't', rows: [{ x: 1 }] }) +
        '{"t":"end","id":"k","at":2', // cut short by kill -9
    );
    fs.writeFileSync(
      path.join(dir, '200.jsonl'),
      line({ t: 'start', id: 'b', at: 3, url: 'u', database: 'd', kind: 'insert', table: 't', rows: [{ x: 1 }] }) + line({ t: 'end', id: 'b', at: 11, ok: true }),
    );
    const s = readRecording(dir);
    expect(s.map((x) => [x.kind, x.endedAt])).toEqual([
      ['exec', 2],
      ['insert', 11],
      ['query', 12],
      ['insert', 20],
    ]);
    expect(s[2].outcome).toEqual({ ok: true, result: [{ x: '2' }] });
    expect(s[3].outcome).toEqual({ inFlight: true });
    expect(notReplayable(s[3])).toBe(NOT_REPLAYED.unknownWrite);
    // The insert (3..11) overlapped the query (10..12) of the same database: the query raced a write.
    expect([...racedWithWrite(s)]).toEqual([s[2].id]);
  });
});

describe('judging a replayed answer', () => {
  const query = (sql: string, result: unknown, extra: Partial<Statement> = {}): Statement =>
    ({ id: 'q', file: 'f', url: 'u', database: 'd', startedAt: 0, endedAt: 1, kind: 'query', sql, outcome: { ok: true, result }, ...extra }) as Statement;

  it('finds ORDER BY only outside parentheses and string literals', () => {
    expect(hasOuterOrderBy('SELECT a FROM t ORDER BY a')).toBe(true);
    expect(hasOuterOrderBy('SELECT a FROM (SELECT a FROM t ORDER BY a) GROUP BY a')).toBe(false);
    expect(hasOuterOrderBy("SELECT 'ORDER BY x' AS s FROM t")).toBe(false);
    expect(hasOuterOrderBy('SELECT * FROM t ORDER  BY a DESC LIMIT 1 BY id')).toBe(true);
    expect(hasOuterOrderBy('SELECT border_by FROM t')).toBe(false);
  });

  it('is the same for equal rows and equal error codes, different otherwise', () => {
    expect(difference({ ok: true, result: [{ n: '1' }] }, { ok: true, result: [{ n: '1' }] })).toBeUndefined();
    expect(difference({ ok: true, result: [{ n: '1' }] }, { ok: true, result: [{ n: 1 }] })).toMatch(/results differ/);
    expect(difference({ ok: false, error: { message: 'a', serverCode: 60, retriable: false } }, { ok: false, error: { message: 'b', serverCode: 60, retriable: false } })).toBeUndefined();
    expect(difference({ ok: false, error: { message: 'a', serverCode: 60, retriable: false } }, { ok: false, error: { message: 'b', serverCode: 81, retriable: false } })).toMatch(/error codes differ/);
    expect(difference({ ok: true }, { ok: false, error: { message: 'no', serverCode: 62, retriable: false } })).toMatch(/26.x rejected/);
  });

  it('expects another row order only without ORDER BY, and another array order only in groupUniqArray and groupUniqArrayIf', () => {
    const rows = [{ u: 'a', t: ['x', 'y'] }, { u: 'b', t: ['z'] }];
    const swapped = [rows[1], rows[0]];
    const unordered = judge(query('SELECT u FROM t GROUP BY u', rows), { ok: true, result: swapped }, new Set());
    expect([unordered.verdict, unordered.reason]).toEqual(['expected', EXPECTED.rowOrder]);
    expect(judge(query('SELECT u FROM t GROUP BY u ORDER BY u', rows), { ok: true, result: swapped }, new Set()).verdict).toBe('different');

    const arrays = [{ u: 'a', t: ['y', 'x'] }, { u: 'b', t: ['z'] }];
    const grouped = judge(query('SELECT u, groupUniqArray(tbl) AS t FROM x GROUP BY u ORDER BY u', rows), { ok: true, result: arrays }, new Set());
    expect([grouped.verdict, grouped.reason]).toEqual(['expected', EXPECTED.arrayOrder]);
    expect(judge(query('SELECT u, detectors AS t FROM alerts ORDER BY u', rows), { ok: true, result: arrays }, new Set()).verdict).toBe('different');
    // groupUniqArrayIf (the known-tables read of src/detect/history-source.ts), rows unordered too.
    const conditional = judge(query("SELECT u, groupUniqArrayIf(tbl, day < '2026-09-11') AS t FROM x GROUP BY u", rows), { ok: true, result: [arrays[1], arrays[0]] }, new Set());
    expect([conditional.verdict, conditional.reason]).toEqual(['expected', EXPECTED.arrayOrder]);
    // Different values are never "order".
    expect(sameRows(rows, [{ u: 'a', t: ['x', 'y'] }, { u: 'b', t: ['w'] }], true)).toBe(false);
    // TabSeparated answers (recorded as text, e.g. the history rows of src/detect/history-source.ts): lines as rows.
    const tsv = 'ana\t20760\t100\nbo\t20761\t200\n';
    const lines = judge(query('SELECT user, toUInt16(day) AS d, sumMerge(b) FROM user_daily GROUP BY user, day', tsv), { ok: true, result: 'bo\t20761\t200\nana\t20760\t100\n' }, new Set());
    expect([lines.verdict, lines.reason]).toEqual(['expected', EXPECTED.rowOrder]);
    expect(judge(query('SELECT user FROM user_daily GROUP BY user ORDER BY user', tsv), { ok: true, result: 'bo\t20761\t200\nana\t20760\t100\n' }, new Set()).verdict).toBe('different');
    expect(sameRows(tsv, 'ana\t20760\t100\nbo\t20761\t201\n', false)).toBe(false);
    expect(sameRows(tsv, 'ana\t20760\t100\n', false)).toBe(false);
  });

  it('expects a different answer from a read that raced a write on 18.16, but not a different error', () => {
    const s = query('SELECT count() AS n FROM events', [{ n: '5' }]);
    expect(judge(s, { ok: true, result: [{ n: '7' }] }, new Set(['q'])).reason).toBe(EXPECTED.raced);
    expect(judge(s, { ok: true, result: [{ n: '7' }] }, new Set()).verdict).toBe('different');
    expect(judge(s, { ok: false, error: { message: 'x', serverCode: 47, retriable: false } }, new Set(['q'])).verdict).toBe('different');
  });

  it('expects the zero DateTime printed as 26.x prints it, which the product reads as the same "no time"', () => {
    const s = query('SELECT toString(snooze_until) AS s FROM alert_actions ORDER BY at', [{ s: '0000-00-00 00:00:00' }]);
    expect(judge(s, { ok: true, result: [{ s: '1970-01-01 00:00:00' }] }, new Set()).reason).toBe(EXPECTED.zeroDateTime);
    expect(judge(s, { ok: true, result: [{ s: '1970-01-01 00:00:01' }] }, new Set()).verdict).toBe('different');
    expect(fromDateTime('0000-00-00 00:00:00')).toBe(fromDateTime('1970-01-01 00:00:00'));
  });

  it('expects a Float64 one unit apart in its last digits (how each server reads and prints a double), not a different figure', () => {
    const s = query('SELECT alert_id, ratio FROM alerts', [{ alert_id: 'a', ratio: 4.2950161158463445 }, { alert_id: 'b', ratio: 2 }]);
    expect(judge(s, { ok: true, result: [{ alert_id: 'b', ratio: 2 }, { alert_id: 'a', ratio: 4.295016115846344 }] }, new Set()).reason).toBe(EXPECTED.floatDigits);
    expect(judge(s, { ok: true, result: [{ alert_id: 'a', ratio: 4.29501611584 }, { alert_id: 'b', ratio: 2 }] }, new Set()).verdict).toBe('different');
    expect(judge(s, { ok: true, result: [{ alert_id: 'a', ratio: 4.2950161158463445 }, { alert_id: 'b', ratio: 2.0000000000000004 }] }, new Set()).reason).toBe(EXPECTED.floatDigits);
    expect(judge(s, { ok: true, result: [{ alert_id: 'a', ratio: 4.2950161158463445 }, { alert_id: 'b', ratio: 3 }] }, new Set()).verdict).toBe('different');
  });

  it('expects another answer from a read of the clock, of unfinished mutations or of running queries, but not another error', () => {
    const window = query('SELECT alert_id FROM alerts WHERE updated_at_wall >= now() - 600', [{ alert_id: 'a' }]);
    expect(judge(window, { ok: true, result: [] }, new Set()).reason).toBe(EXPECTED.clock);
    expect(judge(window, { ok: false, error: { message: 'x', serverCode: 47, retriable: false } }, new Set()).verdict).toBe('different');
    const mutations = query("SELECT count() AS n FROM system.mutations WHERE database = 'd' AND is_done = 0", [{ n: '5' }]);
    expect(judge(mutations, { ok: true, result: [{ n: '1' }] }, new Set()).reason).toBe(EXPECTED.background);
    const running = query("SELECT count() AS n FROM system.processes WHERE query_id = 'insider-ingest:t:1:0-9:x'", [{ n: '1' }]);
    expect(judge(running, { ok: true, result: [{ n: '0' }] }, new Set()).reason).toBe(EXPECTED.running);
    expect(judge(running, { ok: false, error: { message: 'x', serverCode: 47, retriable: false } }, new Set()).verdict).toBe('different');
    // A column named like the function is no clock read.
    expect(judge(query('SELECT snow() AS n FROM t', [{ n: 1 }]), { ok: true, result: [{ n: 2 }] }, new Set()).verdict).toBe('different');
  });

  it('knows a mutation (ALTER TABLE ... UPDATE or DELETE), whose replay waits until the server has applied it', () => {
    const exec = (sql: string) => ({ ...query(sql, undefined), kind: 'exec', outcome: { ok: true } }) as Statement;
    expect(isMutation(exec("ALTER TABLE alerts UPDATE observed_bytes = 1 WHERE alert_id = 'a'"))).toBe(true);
    expect(isMutation(exec('  alter table audit_log delete WHERE 1'))).toBe(true);
    expect(isMutation(exec('ALTER TABLE access_events DROP PARTITION 202611'))).toBe(false);
    expect(isMutation(query('SELECT 1 AS update', []))).toBe(false);
  });

  it('expects other rows from a LIMIT without ORDER BY, and more column attributes from DESCRIBE, but not other names or types', () => {
    const any = query("SELECT user FROM access_events WHERE ts = 1 LIMIT 1", [{ user: 'a' }]);
    expect(judge(any, { ok: true, result: [{ user: 'b' }] }, new Set()).reason).toBe(EXPECTED.limitWithoutOrder);
    expect(judge(any, { ok: true, result: [] }, new Set()).verdict).toBe('different');
    expect(judge(query('SELECT user FROM t ORDER BY ts LIMIT 1', [{ user: 'a' }]), { ok: true, result: [{ user: 'b' }] }, new Set()).verdict).toBe('different');
    const describe = query('DESCRIBE TABLE `access_events`', [{ name: 'ts', type: "DateTime('UTC')", comment_expression: '' }]);
    expect(judge(describe, { ok: true, result: [{ name: 'ts', type: "DateTime('UTC')", comment: '', codec_expression: '' }] }, new Set()).reason).toBe(EXPECTED.describe);
    expect(judge(describe, { ok: true, result: [{ name: 'ts', type: 'DateTime', comment: '' }] }, new Set()).verdict).toBe('different');
  });

  it('does not replay what 18.16 refused for its session (a closed fence), which changed nothing there', () => {
    const fenced = (serverCode: number) => query('SELECT 1', undefined, { outcome: { ok: false, error: { message: 'Session not found.', serverCode, retriable: false } } });
    expect(notReplayable(fenced(372))).toBe(NOT_REPLAYED.session);
    expect(notReplayable(fenced(373))).toBe(NOT_REPLAYED.session);
    expect(notReplayable(fenced(60))).toBeUndefined();
  });

  it("does not replay reads of an audited server's query log, whose rows are that server's history, nor the poller's reads of its running queries", () => {
    expect(notReplayable(query('SELECT toInt8(type) AS type, query FROM system.query_log WHERE event_time >= 1', []))).toBe(NOT_REPLAYED.queryLog);
    expect(notReplayable(query("SELECT name, type FROM system.columns WHERE database = 'system' AND table = 'query_log'", []))).toBe(NOT_REPLAYED.queryLog);
    expect(notReplayable(query('SELECT query_id, user, query, `Settings.Names` FROM system.processes WHERE is_initial_query = 1', []))).toBe(NOT_REPLAYED.processes);
    expect(notReplayable(query("SELECT name, type FROM system.columns WHERE database = 'system' AND table = 'processes'", []))).toBe(NOT_REPLAYED.processes);
    expect(notReplayable(query("SELECT count() AS n FROM system.processes WHERE query_id LIKE 'insert-%'", []))).toBeUndefined();
    expect(notReplayable(query("SELECT name FROM system.columns WHERE table = 'access_events'", []))).toBeUndefined();
  });

  it('does not replay what never reached 18.16, nor reads it never answered', () => {
    const refused = query('SELECT 1', undefined, { outcome: { ok: false, error: { message: 'connect ECONNREFUSED 127.0.0.1:18123', retriable: true } } });
    expect(notReplayable(refused)).toBe(NOT_REPLAYED.refused);
    const hangUp = query('SELECT 1', undefined, { outcome: { ok: false, error: { message: 'socket hang up', retriable: true } } });
    expect(notReplayable(hangUp)).toBe(NOT_REPLAYED.unansweredRead);
    expect(notReplayable(query('SELECT 1', []))).toBeUndefined();
  });

  it('leaves out what was sent to a modern server during the tests', () => {
    const v = (url: string, result: string) => ({ ...query('', undefined), kind: 'version', url, outcome: { ok: true, result } }) as Statement;
    expect([...modernServers([v('http://a', '18.16.1'), v('http://b', '26.9.2.1')])]).toEqual(['http://b']);
  });
});

describe('replaying writes whose outcome 18.16 never told', () => {
  // A server of one table that counts rows: enough to tell whether a write landed.
  const fakeServer = () => {
    let rows = 0;
    const ch = {
      insert: async (_t: string, r: ReadonlyArray<object>) => {
        rows += r.length;
      },
      query: async () => [{ n: String(rows) }],
    } as unknown as ClickHouse;
    return { ch, rows: () => rows };
  };
  let n = 0;
  const at = () => ++n;
  const insert = (rows: number, outcome: Statement['outcome']) =>
    ({ id: `i${at()}`, file: 'f', url: 'u', database: 'd', startedAt: n, endedAt: n, kind: 'insert', table: 'events', rows: Array.from({ length: rows }, () => ({})), outcome }) as Statement;
  const count = (expected: number) =>
    ({ id: `q${at()}`, file: 'f', url: 'u', database: 'd', startedAt: n, endedAt: n, kind: 'query', sql: 'SELECT count() AS n FROM events', outcome: { ok: true, result: [{ n: String(expected) }] } }) as Statement;

  it('replays one that a later answer shows landed, and not one that a later answer shows did not', async () => {
    const server = fakeServer();
    const killedButLanded = insert(5, { inFlight: true });
    const killedNotLanded = insert(7, { inFlight: true });
    const statements = [insert(2, { ok: true }), killedButLanded, count(7), killedNotLanded, count(7), insert(1, { ok: true }), count(8)];
    const results = await replayAll(statements, () => server.ch);
    expect(results.map((r) => r.verdict)).toEqual(['same', 'expected', 'same', 'not-replayed', 'same', 'same', 'same']);
    expect(results[1].reason).toBe(LANDED);
    expect(results[3].reason).toBe(NOT_REPLAYED.unknownWrite);
    expect(server.rows()).toBe(8);
  });

  it('replays one that landed after a read had already answered without it (the server finished a killed client\'s insert)', async () => {
    const server = fakeServer();
    const statements = [insert(2, { ok: true }), insert(3, { inFlight: true }), count(2), insert(4, { inFlight: true }), count(9)];
    const results = await replayAll(statements, () => server.ch);
    expect(results.map((r) => r.verdict)).toEqual(['same', 'expected', 'same', 'expected', 'same']);
    expect(server.rows()).toBe(9);
  });

  it('tries the newest unknown write first: an older one that had landed would have shown earlier', async () => {
    const server = fakeServer();
    const statements = [insert(2, { ok: true }), insert(3, { inFlight: true }), count(2), insert(4, { inFlight: true }), count(6)];
    const results = await replayAll(statements, () => server.ch);
    expect(results.map((r) => r.verdict)).toEqual(['same', 'not-replayed', 'same', 'expected', 'same']);
    expect(server.rows()).toBe(6);
  });

  it('finds a read that caught one landing part by part between its answers without it and with it, and only there', async () => {
    const server = fakeServer();
    // 18.16 counted 4 while the killed insert of 5 rows was half-written; the next read saw all of it.
    const statements = [insert(2, { ok: true }), insert(5, { inFlight: true }), count(4), count(7)];
    const results = await replayAll(statements, () => server.ch);
    expect(results.map((r) => r.verdict)).toEqual(['same', 'expected', 'expected', 'same']);
    expect(results[2].reason).toBe(LANDING);
    // Outside the two (or not one row of numbers): a difference.
    expect(partway({ ok: true, result: [{ n: '8' }] }, { ok: true, result: [{ n: '2' }] }, { ok: true, result: [{ n: '7' }] })).toBe(false);
    expect(partway({ ok: true, result: [{ n: 'x' }] }, { ok: true, result: [{ n: '2' }] }, { ok: true, result: [{ n: '7' }] })).toBe(false);
    expect(partway({ ok: true, result: [{ n: '4' }, { n: '4' }] }, { ok: true, result: [{ n: '2' }] }, { ok: true, result: [{ n: '7' }] })).toBe(false);
    expect(partway({ ok: true, result: [{ n: '4', m: '1' }] }, { ok: true, result: [{ n: '2', m: '0' }] }, { ok: true, result: [{ n: '7', m: '0' }] })).toBe(false);
  });

  it('finds the same read asked again while the write still lands part by part, and not once it agreed or another write came', async () => {
    const server = fakeServer();
    // 18.16 counted 4 twice while the killed insert of 5 rows was written block by block, then 7.
    const statements = [insert(2, { ok: true }), insert(5, { inFlight: true }), count(4), count(4), count(7), count(4)];
    const results = await replayAll(statements, () => server.ch);
    expect(results.map((r) => r.verdict)).toEqual(['same', 'expected', 'expected', 'expected', 'same', 'different']);
    expect(results[3].reason).toBe(LANDING);
    const other = fakeServer();
    const afterWrite = await replayAll([insert(2, { ok: true }), insert(5, { inFlight: true }), count(4), insert(1, { ok: true }), count(4)], () => other.ch);
    expect(afterWrite.map((r) => r.verdict)).toEqual(['same', 'expected', 'expected', 'same', 'different']);
  });

  it('reports a difference that no unknown write explains', async () => {
    const server = fakeServer();
    const results = await replayAll([insert(2, { ok: true }), insert(3, { inFlight: true }), count(9)], () => server.ch);
    expect(results.map((r) => r.verdict)).toEqual(['same', 'expected', 'different']);
  });
});
