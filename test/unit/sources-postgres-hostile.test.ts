// The postgres format against what a database user can make a real PostgreSQL 15 + pgaudit 1.7 write
// (test/fixtures/postgres/hostile/, captured by `scripts/capture-postgres-fixtures.ts --hostile` from the
// cases of test/fixtures/postgres/hostile.ts): a COPY hidden behind another statement, two COPYs in one
// string, someone else's authentication line written with RAISE LOG, stderr's separator in
// application_name, a role named like an e-mail address, a whole csvlog record inside a comment. Each
// must give the export to the person who ran it, or a dead letter with a reason; never nothing, never
// someone else.
import fs from 'node:fs';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { createSources, type MessageOutcome } from '../../src/sources';
import { splitRecords } from '../../src/sources/framing';
import { postgresFormat } from '../../src/sources/postgres';
import type { TableStatsRow } from '../../src/sources/postgres/table-stats';
import { FIXTURE_DIR, FIXTURE_FILES, type Destination, type FixtureEvent } from '../fixtures/postgres/decode';
import { FORGED_USER, INJECTED_APP, OTHER_ACCOUNTS, PUBLIC_ACCOUNTS } from '../fixtures/postgres/hostile';
import { CUSTOMERS } from '../fixtures/postgres/scenario';
import type { CaseResult } from '../fixtures/postgres/scenario';

const DIR = path.join(FIXTURE_DIR, 'hostile');
const { cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { cases: CaseResult[] };
const STATS = JSON.parse(fs.readFileSync(path.join(DIR, 'stats.json'), 'utf8')) as TableStatsRow[];
const DESTINATIONS: Destination[] = ['jsonlog', 'csvlog', 'stderr'];

/** `shipperFraming`: csvlog records cut where a line starts with a timestamp, as rsyslog's startmsg.regex and Fluent Bit's, Vector's and Filebeat's multiline patterns do. */
async function decode(destination: Destination, keep: (record: string) => boolean = () => true, shipperFraming = false): Promise<{ events: FixtureEvent[]; outcomes: MessageOutcome[]; records: string[] }> {
  const sources = createSources({ settings: { sources: { hostile: { format: 'postgres', options: { destination, server: 'fixture-pg' } } } } as never, role: 'reader' });
  sources.addStats(STATS);
  const records = splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES[destination]), 'utf8'), destination !== 'jsonlog', destination === 'csvlog' && !shipperFraming).filter(keep);
  const outcomes = await sources.decodeBatch(
    'hostile',
    records.map((r, i) => ({ value: Buffer.from(r), topic: 'hostile', partition: 0, offset: String(i) })),
    { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 },
    Date.UTC(2030, 0, 1),
  );
  return { events: outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])), outcomes, records };
}

const shape = (e: FixtureEvent) => ({ user: e.user, identity: e.identity, action: e.action, table: e.table, rows: e.rows, status: e.status });

describe.each(DESTINATIONS)('postgres %s, hostile statements captured from the real server', (destination) => {
  let decoded: Awaited<ReturnType<typeof decode>>;
  beforeAll(async () => {
    decoded = await decode(destination);
  });
  const eventsOf = (name: string) => {
    const c = cases.find((x) => x.name === name)!;
    return { c, got: decoded.events.filter((e) => e.client_app === c.app) };
  };
  const expectCase = (name: string) => {
    const { c, got } = eventsOf(name);
    expect(got.map(shape)).toEqual(c.expected.map((x) => ({ user: x.user, identity: x.identity, action: x.action, table: x.table, rows: x.rows, status: x.status })));
    return got;
  };

  it('a COPY behind another statement (SELECT 1; COPY t TO STDOUT) is counted with its table and rows', () => {
    const [copy] = expectCase('multi-copy');
    expect(copy.bytes).toBeGreaterThan(0);
  });

  it('two COPYs in one string are both counted, each once', () => {
    const got = expectCase('two-copies');
    expect(got.every((e) => e.bytes > 0)).toBe(true);
  });

  it('without log_statement lines, the COPYs of a string are counted from pgaudit\'s lines at their end, each once', async () => {
    const { events } = await decode(destination, (r) => !/statement: (SELECT 1; )?COPY/.test(r));
    const copies = (app: string) => events.filter((e) => e.client_app === app && e.action === 'COPY').map((e) => [e.table, e.rows]);
    expect(copies('case-multi-copy')).toEqual([['public.customers', 3000]]);
    expect(copies('case-two-copies')).toEqual([['public.orders', 5000], ['public.customers', 3000]]);
  });

  it('an authentication line written with RAISE LOG does not change who is behind the session', () => {
    if (destination !== 'stderr') {
      expectCase('raise-identity');
      return;
    }
    // stderr also writes the RAISE's STATEMENT line, read as a failed statement (a known gap: the line
    // does not say the record before it was a LOG); what matters here is whose session it is.
    const { c, got } = eventsOf('raise-identity');
    expect(got.filter((e) => e.status === 'ok').map(shape)).toEqual(c.expected.map((x) => ({ user: x.user, identity: x.identity, action: x.action, table: x.table, rows: x.rows, status: x.status })));
    expect(new Set(got.map((e) => e.identity))).toEqual(new Set([c.expected[0].identity]));
  });

  it('a role named like an e-mail address keeps its whole name, and the database its own', () => {
    const got = expectCase('email-role');
    expect(got.map((e) => e.database)).toEqual(['insider_hostile']);
  });

  it('a csvlog record inside a comment is not read as a record: the COPY is its runner\'s, nobody else gets one', () => {
    expectCase('csv-forge');
    expect(decoded.events.filter((e) => e.user === FORGED_USER)).toEqual([]);
  });

  it('stderr\'s separator in application_name: counted where unambiguous, dead-lettered with a reason on stderr, never silently ignored', () => {
    if (destination !== 'stderr') {
      expectCase('app-injection');
      return;
    }
    const lines = decoded.records.map((r, i) => ({ r, o: decoded.outcomes[i] })).filter(({ r }) => r.includes(`${INJECTED_APP}: `) && !r.includes('connection authorized'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const { o } of lines) expect(o.ok ? 'decoded' : o.code).toBe('ambiguous_record');
  });

  it('psql with FETCH_COUNT: each FETCH of its cursor is counted, with the rows it asked for, on the table its DECLARE reads', () => {
    const got = expectCase('fetch-count');
    const fetches = got.filter((e) => e.action === 'FETCH');
    expect(fetches.map((e) => [e.cursor, e.bytes > 0])).toEqual([1, 2, 3, 4].map(() => ['_psql_cursor', true]));
    const copy = decoded.events.find((e) => e.client_app === 'case-multi-copy' && e.action === 'COPY')!;
    // Four FETCHes of 1000 rows of a 3000-row table: at least the whole table, at most a FETCH more.
    const fetched = fetches.reduce((sum, e) => sum + e.bytes, 0);
    expect(fetched).toBeGreaterThanOrEqual(copy.bytes);
    expect(fetched).toBeLessThanOrEqual(Math.ceil(copy.bytes * (4 / 3)) + 4); // each event's bytes rounded
  });

  it('an explicit cursor over a join, declared and read in one string: each FETCH counted on both tables; MOVE sends nothing', () => {
    expectCase('cursor');
  });

  it('a COPY of a name found through search_path in another schema is counted as the largest table of that name', () => {
    const [copy] = expectCase('search-path');
    expect(copy.bytes).toBeGreaterThan(OTHER_ACCOUNTS * 20);
  });

  it('a FETCH whose cursor was never declared in the log (a function\'s) is counted without table, at the default row width', async () => {
    const { events } = await decode(destination, (r) => !/statement: DECLARE _psql_cursor/.test(r));
    const orphan = events.filter((e) => e.client_app === 'case-fetch-count' && e.action === 'FETCH');
    expect(orphan.map((e) => [e.table, e.rows, e.bytes])).toEqual([1, 2, 3, 4].map(() => ['', 1000, 100000]));
  });

  it('standard_conforming_strings off: the COPY the server ran is counted, whichever way the literal is read', () => {
    expectCase('scs-off');
  });

  it('without SET search_path, a name without schema is the default path\'s table, not a larger one of the same name elsewhere', () => {
    expectCase('default-path');
  });

  it('a cursor declared again over another table later in the batch does not change what an earlier FETCH read (the batch is decoded twice)', () => {
    expectCase('redeclare');
  });

  it('prepared statements whose names hold ": " cannot hide a cursor\'s DECLARE or FETCH', () => {
    expectCase('prepared-name');
  });

  it('a cursor drained inside a PL/pgSQL function (its FETCHes never logged): the outer SELECT\'s rows are counted at the default width', () => {
    const [declare, drained] = expectCase('function-drain');
    expect([declare.bytes, drained.bytes]).toEqual([0, CUSTOMERS * 100]);
  });

  it('the drain behind a decoy (the function reads one row of a small table first): the bytes beyond the decoy\'s are counted', () => {
    const [, decoy, drained] = expectCase('function-decoy');
    expect(decoy.rows).toBe(1);
    expect(decoy.bytes).toBeGreaterThan(0);
    expect(drained.bytes).toBe(CUSTOMERS * 100 - decoy.bytes);
  });

  it('json_agg, a quoted string_agg with a comment before its parenthesis, ARRAY(SELECT ...), an aggregate made in pg_temp: the table\'s rows, not the 1 row pgaudit logs; count(*) stays 1', () => {
    const got = expectCase('row-aggregates');
    // The whole table's bytes (3,000 rows of about 150 bytes), not one row's.
    expect([got[0].bytes > 100 * CUSTOMERS, got[1].bytes > 10 * PUBLIC_ACCOUNTS, got[2].bytes > 100 * CUSTOMERS, got[3].bytes > 100 * CUSTOMERS]).toEqual([true, true, true, true]);
  });

  it('search_path changed by set_config (read from its literal) or inside a DO block (not readable: the largest table of the name)', () => {
    expectCase('set-config-path');
    expectCase('do-path');
  });

  it('an UPDATE ... RETURNING * sends the rows it wrote: counted like a read, RETURNING id at the id\'s width; an UPDATE without RETURNING moves nothing out', () => {
    const [returned, plain, ids] = expectCase('returning');
    expect([returned.bytes > 10 * PUBLIC_ACCOUNTS, plain.bytes]).toEqual([true, 0]);
    // RETURNING id: 5 ids, each narrower than a whole row.
    expect(ids.bytes).toBeGreaterThan(0);
    expect(ids.bytes / 5).toBeLessThan(returned.bytes / PUBLIC_ACCOUNTS);
  });

  it('a partitioned table: its rows at the parent\'s width (inherited statistics; stats read before them: the default), not 0 bytes', () => {
    const [read] = expectCase('partitioned');
    expect(read.bytes).toBeGreaterThan(OTHER_ACCOUNTS * 30);
    expect(read.bytes).toBeLessThanOrEqual(OTHER_ACCOUNTS * 100);
  });

  it('RETURN QUERY: the rows are counted once, on the table pgaudit names; the outer line without a table counts none', () => {
    const [inner, outer] = expectCase('return-query');
    expect(inner.bytes).toBeGreaterThan(0);
    expect(outer.bytes).toBe(0);
  });

  it('nothing else is dead-lettered', () => {
    const rejected = decoded.outcomes.flatMap((o, i) => (o.ok ? [] : [`${o.code} <- ${decoded.records[i].slice(0, 100)}`]));
    expect(rejected.filter((r) => !r.startsWith('ambiguous_record'))).toEqual([]);
  });
});

describe('a cursor declared in one batch, fetched in the next (which also declares it again and holds a session new to it)', () => {
  it('the FETCH reads the cursor as declared before it: the batch decoded again does not see its own later DECLARE', async () => {
    const sources = createSources({ settings: { sources: { hostile: { format: 'postgres', options: { destination: 'jsonlog', server: 'fixture-pg' } } } } as never, role: 'reader' });
    sources.addStats(STATS);
    const records = splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8'), false, false);
    const session = records.filter((r) => r.includes('"case-redeclare"'));
    const cut = session.findIndex((r) => r.includes('statement: FETCH ALL FROM c; CLOSE c'));
    // A line of another session, unknown to the join: the second batch is decoded twice.
    const stranger = records.find((r) => r.includes('"case-multi-copy"') && r.includes('AUDIT: '))!;
    const batch = async (lines: string[]) =>
      (await sources.decodeBatch('hostile', lines.map((r, i) => ({ value: Buffer.from(r), topic: 'hostile', partition: 0, offset: String(i) })), { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1)))
        .flatMap((o) => (o.ok ? o.events.map(toCanonical) : []))
        .filter((e) => e.action === 'FETCH');
    expect(await batch(session.slice(0, cut))).toEqual([]);
    const fetched = await batch([stranger, ...session.slice(cut)]);
    expect(fetched.map((e) => [e.table, e.rows])).toEqual([
      ['public.customers', 3000],
      ['public.accounts', PUBLIC_ACCOUNTS],
    ]);
  });
});

describe('a FETCH of a count no event can hold', () => {
  it('FETCH 9223372036854775807 (all of it) of a table without statistics is an event of as much as an event counts, not a dead letter', async () => {
    const sources = createSources({ settings: { sources: { hostile: { format: 'postgres', options: { destination: 'jsonlog', server: 'fixture-pg' } } } } as never, role: 'reader' });
    const session = splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8'), false, false).filter((r) => r.includes('"case-fetch-count"'));
    const lines = session.map((r) => r.replace('FETCH FORWARD 1000 FROM', 'FETCH FORWARD 9223372036854775807 FROM'));
    const outcomes = await sources.decodeBatch('hostile', lines.map((r, i) => ({ value: Buffer.from(r), topic: 'hostile', partition: 0, offset: String(i) })), { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const fetched = outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])).filter((e) => e.action === 'FETCH');
    expect(fetched.map((e) => [e.table, e.bytes])).toEqual([1, 2, 3, 4].map(() => ['public.customers', Number.MAX_SAFE_INTEGER]));
  });
});

describe('a DECLARE the shipper cut (its query padded past the maximum record size)', () => {
  it('is not noted with the tables before the cut: its FETCHes still count (no table: at the default width), not nothing', async () => {
    // `DECLARE c CURSOR FOR SELECT * /* 1 MiB */ FROM customers`: rsyslog sends the line up to the cut, a
    // prefix without the table. Noted with no tables, the session's FETCHes of it gave no event at all.
    const sources = createSources({ settings: { sources: { hostile: { format: 'postgres', options: { destination: 'jsonlog', server: 'fixture-pg' } } } } as never, role: 'reader' });
    sources.addStats(STATS);
    const session = splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8'), false, false).filter((r) => r.includes('"case-fetch-count"'));
    const lines = session.map((r) => (r.includes('statement: DECLARE') ? r.slice(0, r.indexOf('FROM customers')) : r));
    expect(lines.filter((r) => !r.endsWith('}'))).toHaveLength(1);
    const outcomes = await sources.decodeBatch('hostile', lines.map((r, i) => ({ value: Buffer.from(r), topic: 'hostile', partition: 0, offset: String(i) })), { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1));
    const fetched = outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])).filter((e) => e.action === 'FETCH');
    expect(fetched.map((e) => [e.rows, e.bytes > 0])).toEqual([1, 2, 3, 4].map(() => [1000, true]));
  });
});

describe('csvlog framed by a shipper\'s start-of-line pattern (a forged record inside a comment)', () => {
  it('the forged record is refused (a bare quote: not PostgreSQL\'s CSV); the cut real record is dead-lettered, never read as someone else\'s', async () => {
    const { events, outcomes, records } = await decode('csvlog', () => true, true);
    expect(events.filter((e) => e.user === FORGED_USER)).toEqual([]);
    const cut = records.map((r, i) => ({ r, o: outcomes[i] })).filter(({ r }) => r.includes('COPY customers TO STDOUT /*') || r.includes(FORGED_USER));
    expect(cut.map(({ o }) => (o.ok ? `${o.events.length} events` : o.code)).filter((x) => x !== '0 events')).toEqual(['truncated_record', 'truncated_record', 'truncated_record', 'truncated_record']);
  });
});

describe('join state of COPYs counted at their start', () => {
  it('keeps a fixed-size key per COPY, however long its statement (a 512 KiB comment, repeated, does not fill memory)', () => {
    const start = fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8').split('\n').find((l) => l.includes('case-two-copies') && l.includes('statement: COPY'))!;
    const padded = (i: number) => {
      const doc = JSON.parse(start) as Record<string, unknown>;
      doc.message = `${doc.message as string} /* ${i}${'x'.repeat(512 * 1024)} */`;
      doc.line_num = 100 + i;
      return Buffer.from(JSON.stringify(doc));
    };
    const decoder = postgresFormat.create({ destination: 'jsonlog', server: 'fixture-pg' }, 'hostile');
    const r = decoder.decode({ value: padded(1), topic: 'hostile', partition: 0, offset: '0' }, { limits: { maxMessageBytes: 1 << 21, maxFutureSkewMs: 1e12 }, now: Date.UTC(2030, 0, 1), session: () => undefined, tableStats: () => undefined });
    expect(r.ok && r.events.map((e) => toCanonical(e.event).table)).toEqual(['public.orders', 'public.customers']);
    expect(r.ok && r.facts.map((f) => (f.kind === 'copy' ? f.statement.length : f.kind === 'attr' ? f.value.length : -1))).toEqual([16, 64]);
  });
});

// helper-95: a function whose body its writer padded past 1 MiB (string literals survive PL/pgSQL) is run
// by someone else; pgaudit writes the inner statement under the caller's name, and the shipper cuts
// that line. The real server's lines of `SELECT * FROM pg_temp.rq()` (RETURN QUERY SELECT * FROM
// customers), the inner line's statement padded as such a body would be, cut at 1 MiB.
describe('a cut AUDIT line whose statement the session did not send', () => {
  const MIB = 1 << 20;
  const lines = splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8'), false, false).filter((r) => r.includes('"case-return-query"'));
  const pad = ` /* ${'p'.repeat(MIB)} */`;
  const decodeLines = async (records: string[]) => {
    const sources = createSources({ settings: { sources: { hostile: { format: 'postgres', options: { destination: 'jsonlog', server: 'fixture-pg' } } } } as never, role: 'reader' });
    sources.addStats(STATS);
    return sources.decodeBatch('hostile', records.map((r, i) => ({ value: Buffer.from(JSON.stringify({ msg: r })), topic: 'hostile', partition: 0, offset: String(i) })), { maxMessageBytes: MIB, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1));
  };
  const padInner = (r: string, text: string) => r.replace(`TABLE,public.customers,${text},`, `TABLE,public.customers,${text}${pad},`).slice(0, MIB);

  it("a function's padded body: dead-lettered truncated_record, not the table's size on the caller", async () => {
    const inner = lines.findIndex((r) => r.includes('TABLE,public.customers,SELECT * FROM customers,'));
    expect(inner).toBeGreaterThan(0);
    const records = lines.map((r, i) => (i === inner ? padInner(r, 'SELECT * FROM customers') : r));
    const outcomes = await decodeLines(records);
    expect(outcomes[inner].ok ? 'read' : outcomes[inner].code).toBe('truncated_record');
  });

  it('the session\'s own padded statement (its log_statement line holds the same text): counted at the table\'s size', async () => {
    const sent = lines.findIndex((r) => r.includes('statement: SELECT * FROM pg_temp.rq()'));
    const inner = lines.findIndex((r) => r.includes('TABLE,public.customers,SELECT * FROM customers,'));
    const records = lines.map((r, i) => (i === sent ? r.replace('statement: SELECT * FROM pg_temp.rq()', `statement: SELECT * FROM customers${pad}`).slice(0, MIB) : i === inner ? padInner(r, 'SELECT * FROM customers') : r));
    const outcomes = await decodeLines(records);
    const o = outcomes[inner];
    expect(o.ok && o.events.map((e) => [e.table_name, e.rows])).toEqual([['public.customers', CUSTOMERS]]);
  });
});
