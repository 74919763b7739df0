// Naming what a statement touches when the log does not: the table of `COPY t TO` (pgaudit 1.7 logs it
// without), the tables of a statement that failed (pgaudit logs nothing for it).
import { copyTarget, copyTargets, firstKeyword, relationsOf, statementsOf } from '../../src/sources/postgres/statement';
import { aggregatesRows, cursorDeclared, fetchOf, returningOf, searchPathSet } from '../../src/sources/postgres/statement-reads';
import { TableStatsIndex } from '../../src/sources/postgres/table-stats';
import { splitCsv } from '../../src/sources/postgres/csv';
import { maxEnvelopeBytes, unwrap } from '../../src/sources';

describe('relationsOf', () => {
  it.each([
    ['SELECT * FROM secrets', ['public.secrets']],
    ['select c.name from crm.customers c join orders o on o.customer_id = c.id where o.id > 5', ['crm.customers', 'public.orders']],
    ['SELECT * FROM a, b AS bb, "Mixed Case"."T 1" WHERE 1=1', ['public.a', 'public.b', 'Mixed Case.T 1']],
    ["SELECT 'FROM fake' AS x, $$ FROM also_fake $$ FROM real -- FROM comment\n", ['public.real']],
    ['/* FROM nothing */ SELECT * FROM generate_series(1, 10) g', []],
    ['SELECT * FROM (SELECT * FROM inner_t) s', ['public.inner_t']],
    ['INSERT INTO audit.log SELECT * FROM ONLY src', ['audit.log', 'public.src']],
    ['UPDATE accounts SET balance = 0; DELETE FROM ledger', ['public.accounts', 'public.ledger']],
    ['TRUNCATE TABLE staging', ['public.staging']],
    ['COPY customers (id, name) TO STDOUT', ['public.customers']],
  ])('%s', (statement, tables) => {
    expect(relationsOf(statement)).toEqual(tables);
  });
});

describe('copyTargets: every COPY of a multi-statement string, its table as named (the schema when given)', () => {
  it.each([
    ['SELECT 1; COPY customers TO STDOUT', ['customers']],
    ['COPY orders TO STDOUT; copy crm.customers (id) to stdout;', ['orders', 'crm.customers']],
    ["SELECT ';COPY fake TO STDOUT' /* ; COPY nor_this TO STDOUT */; COPY real TO STDOUT", ['real']],
    ['BEGIN READ ONLY; SET x = 1; COPY BINARY t TO STDOUT; COMMIT', ['t']],
    ['SELECT 1', []],
    // As an attacker wrote them (helper-86, against the real server: each counted as another table's copy).
    ['COPY /* /* */ tiny */ customers TO STDOUT;', ['customers']],
    ['COPY U&"cust\\006fmers" TO STDOUT;', ['customers']],
    ['COPY U&"\\+01F600 t" TO STDOUT', ['\u{1F600} t']],
    ["COPY U&\"cust!006fmers\" UESCAPE '!' TO STDOUT", ['customers']],
    ["SELECT E'\\' FROM decoy --'; COPY real TO STDOUT", ['real']],
    ["SELECT 'a\\'; COPY plain TO STDOUT", ['plain']],
  ])('%s', (statement, tables) => {
    expect(copyTargets(statement).map((t) => t.table)).toEqual(tables);
  });

  it('comments nest in PostgreSQL only', () => {
    expect(relationsOf('SELECT * FROM /* /* */ a */ b')).toEqual(['public.b']);
    expect(relationsOf('SELECT * FROM /* /* */ a', { dialect: 'mysql', defaultSchema: 'db' })).toEqual(['db.a']);
  });
});

describe('copyTarget', () => {
  it.each([
    ['COPY public.customers (id, name, email) TO stdout;', { table: 'public.customers', columns: ['id', 'name', 'email'], direction: 'to', query: false }],
    ['copy Customers to stdout with (format csv)', { table: 'customers', columns: undefined, direction: 'to', query: false }],
    ['COPY BINARY "Big Table" TO STDOUT', { table: 'Big Table', columns: undefined, direction: 'to', query: false }],
    ['COPY (SELECT * FROM customers WHERE id <= 100) TO STDOUT', { direction: 'to', query: true }],
    ["COPY staging FROM '/tmp/x.csv'", { table: 'staging', columns: undefined, direction: 'from', query: false }],
  ])('%s', (statement, target) => {
    expect(copyTarget(statement)).toEqual(target);
  });

  it('is undefined for other statements', () => {
    expect(copyTarget('SELECT 1')).toBeUndefined();
    expect(firstKeyword('  -- a comment\n  with x as (select 1) select * from x')).toBe('WITH');
  });
});

describe('cursors: what a DECLARE reads and how many rows a FETCH asks for', () => {
  it.each([
    ['DECLARE _psql_cursor NO SCROLL CURSOR FOR\n\tSELECT * FROM customers', { name: '_psql_cursor', tables: ['customers'] }],
    ['DECLARE "My Cur" SCROLL CURSOR WITH HOLD FOR SELECT * FROM customers WHERE id > 10', { name: 'My Cur', tables: ['customers'] }],
    ['declare C binary insensitive cursor without hold for select c.*, a.name from customers c join crm.accounts a using (id)', { name: 'c', tables: ['customers', 'crm.accounts'] }],
    ['DECLARE c CURSOR FOR SELECT /* FOR x */ * FROM "Big Table"', { name: 'c', tables: ['Big Table'] }],
    ['DECLARE c CURSOR FOR SELECT 1', { name: 'c', tables: [] }],
  ])('%s', (statement, cursor) => {
    expect(cursorDeclared(statement)).toEqual(cursor);
  });

  it.each([
    ['FETCH FORWARD 1000 FROM _psql_cursor', { cursor: '_psql_cursor', rows: 1000 }],
    ['FETCH 5 FROM "My Cur"', { cursor: 'My Cur', rows: 5 }],
    ['FETCH FORWARD ALL FROM "My Cur"', { cursor: 'My Cur', rows: 'all' }],
    ['fetch all in c', { cursor: 'c', rows: 'all' }],
    ['FETCH BACKWARD 7 "My Cur"', { cursor: 'My Cur', rows: 7 }],
    ['FETCH -20 FROM c', { cursor: 'c', rows: 20 }],
    ['FETCH ABSOLUTE -1 FROM c', { cursor: 'c', rows: 1 }],
    ['FETCH NEXT c', { cursor: 'c', rows: 1 }],
    ['FETCH c', { cursor: 'c', rows: 1 }],
    ['FETCH FORWARD FROM c', { cursor: 'c', rows: 1 }],
    ['FETCH /* 1 */ 2000 /* ALL */ FROM c', { cursor: 'c', rows: 2000 }],
  ])('%s', (statement, fetch) => {
    expect(fetchOf(statement)).toEqual(fetch);
  });

  it('names as PostgreSQL keeps them: ASCII letters lower-cased only, cut to 63 bytes (helper-91)', () => {
    expect(cursorDeclared('DECLARE Ä CURSOR FOR SELECT * FROM customers')?.name).toBe('Ä');
    expect(fetchOf('FETCH ALL FROM "ä"')?.cursor).toBe('ä');
    const long = `DECLARE ${'a'.repeat(70)} CURSOR FOR SELECT * FROM customers`;
    expect(cursorDeclared(long)?.name).toBe('a'.repeat(63));
    expect(fetchOf(`FETCH ALL FROM ${'a'.repeat(63)}zzz`)?.cursor).toBe('a'.repeat(63));
    // 63 bytes, not characters: a two-byte letter is not cut in half.
    expect(cursorDeclared(`DECLARE "${'é'.repeat(40)}" CURSOR FOR SELECT 1`)?.name).toBe('é'.repeat(31));
    // Whatever a query names, a cursor keeps a bounded list of bounded names.
    const wide = cursorDeclared(`DECLARE c CURSOR FOR SELECT * FROM ${Array.from({ length: 50 }, (_, i) => `"${i}${'t'.repeat(500)}"`).join(', ')}`)!;
    expect(wide.tables.length).toBe(20);
    expect(wide.tables.every((t) => Buffer.byteLength(t) <= 63)).toBe(true);
  });

  it('a count after a sign and a comment; the tables after a function in FROM; a query padded past the tokens a failed statement is read to (helper-91)', () => {
    expect(fetchOf('FETCH + /**/ 50000 FROM c')).toEqual({ cursor: 'c', rows: 50000 });
    expect(fetchOf('FETCH 9223372036854775807 FROM c')?.rows).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(fetchOf('FETCH FORWARD +\n-- x\n50000 FROM c')).toEqual({ cursor: 'c', rows: 50000 });
    expect(cursorDeclared('DECLARE c CURSOR FOR SELECT c.* FROM generate_series(1, 1) g, customers c')?.tables).toEqual(['customers']);
    expect(relationsOf('SELECT * FROM unnest(ARRAY[1, (2)]) AS u(x), crm.accounts a')).toEqual(['crm.accounts']);
    const padded = `DECLARE c CURSOR FOR SELECT ${Array.from({ length: 3000 }, (_, i) => `${i}`).join(', ')} FROM customers`;
    expect(cursorDeclared(padded)?.tables).toEqual(['customers']);
  });

  it('SET search_path and RESET', () => {
    expect(searchPathSet("SET search_path = crm, 'Sales', \"$user\", public")).toEqual(['crm', 'Sales', '$user', 'public']);
    expect(searchPathSet('set local search_path to DEFAULT')).toBe('default');
    expect(searchPathSet('RESET search_path')).toBe('default');
    expect(searchPathSet('SET work_mem = 1')).toBeUndefined();
  });

  it('set_config of search_path anywhere in a statement: its literal read as SET reads it; an expression or a DO block: unknown', () => {
    expect(searchPathSet("SELECT 1 WHERE pg_catalog.set_config('SEARCH_PATH', 'crm, \"Sales\"', false) IS NOT NULL")).toEqual(['crm', 'Sales']);
    expect(searchPathSet("SELECT pg_catalog.set_config('search_path', '', false);")).toEqual([]);
    expect(searchPathSet("SELECT set_config('search_path', 'c' || 'rm', false)")).toBe('unknown');
    expect(searchPathSet("DO $$ BEGIN EXECUTE 'SET search_path = crm'; END $$")).toBe('unknown');
    expect(searchPathSet("SELECT set_config('work_mem', '1MB', false)")).toBeUndefined();
  });

  it('a MOVE sends nothing; a string is split where PostgreSQL splits it', () => {
    expect(fetchOf('MOVE FORWARD 100 IN c')).toBeUndefined();
    expect(cursorDeclared('SELECT 1')).toBeUndefined();
    expect(statementsOf("BEGIN; DECLARE c CURSOR FOR SELECT ';' FROM t; FETCH ALL FROM c").map((x) => x.text.trim())).toEqual(['BEGIN', "DECLARE c CURSOR FOR SELECT ';' FROM t", 'FETCH ALL FROM c']);
  });
});

describe('standard_conforming_strings: a backslash before a quote ends the literal or not, and the log does not say which', () => {
  it.each([
    // off: the literal runs to the quote after --, and `real` is what the server copies; on: `decoy`.
    ["SELECT 'x\\'; COPY decoy TO STDOUT; --'; COPY real TO STDOUT", ['decoy', 'real']],
    ["COPY a TO STDOUT; SELECT 'x\\'; COPY b TO STDOUT; --'", ['a', 'b']],
    // A path ending with a backslash (on): the same COPY either way, counted once.
    ["SELECT 'C:\\'; COPY t TO STDOUT", ['t']],
    ["SELECT 'C:\\path'; COPY t TO STDOUT", ['t']],
  ])('%s', (statement, tables) => {
    expect(copyTargets(statement).map((t) => t.table)).toEqual(tables);
  });
});

describe('TableStatsIndex: a name without its schema', () => {
  const row = (table: string, reltuples: number) => ({ server: 's', database: 'd', table_name: table, reltuples, heap_bytes: reltuples * 100, total_bytes: 0, column_names: ['a'], column_widths: [50], read_at: 1 });
  it('is the largest table of that name, never another session\'s temporary one; a quoted name with a dot is found as named', () => {
    const index = new TableStatsIndex();
    for (const r of [row('public.orders', 5), row('crm.orders', 500), row('pg_temp_3.orders', 100000), row('public.my.table', 30000)]) index.add(r);
    expect(index.at('s', 'd', 'orders', 2000)?.table).toBe('crm.orders');
    expect(index.at('s', 'd', 'public.orders', 2000)?.rows).toBe(5);
    expect(index.at('s', 'd', 'my.table', 2000)?.table).toBe('public.my.table');
  });
});

describe('splitCsv', () => {
  it('reads quotes, doubled quotes, commas and newlines inside quotes, and empty fields', () => {
    const r = splitCsv('a,"b, ""c""\nd",,"",e,');
    expect(r.ok && r.fields).toEqual(['a', 'b, "c"\nd', '', '', 'e', '']);
  });

  it('refuses a record that ends inside quotes, or text after a closing quote', () => {
    expect(splitCsv('a,"b, c').ok).toBe(false);
    expect(splitCsv('a,"b"c,d').ok).toBe(false);
  });
});

describe('unwrap (shipper envelopes)', () => {
  const opts = { maxMessageBytes: 1024 };
  it.each([
    ['bare', 'line one', 'line one', 'none'],
    ['Fluent Bit', '{"log":"line one\\n","date":1}', 'line one', 'log'],
    ['Vector', '{"message":"line one","host":"h"}', 'line one', 'message'],
    ['Filebeat (log is an object)', '{"log":{"file":{"path":"/x"}},"message":"line one"}', 'line one', 'message'],
    ['rsyslog', '{"msg":"line one"}', 'line one', 'msg'],
  ])('%s', (_what, value, text, envelope) => {
    const r = unwrap(Buffer.from(value), opts);
    expect(r.ok && [r.text, r.envelope]).toEqual([text, envelope]);
  });

  it('a message over the limit is too_large before anything is parsed', () => {
    const r = unwrap(Buffer.alloc(2048, 'a'), opts);
    expect(r.ok ? 'read' : r.code).toBe('too_large');
  });

  // rsyslog's JSON template writes a control character as \u0001: a record at the limit arrives six times
  // its size. The limit is the record's (dead-lettering that envelope hid a read behind 170 KB of \x01).
  it('a record at the limit in an envelope its escaping made six times larger is read; one character more is too_large', () => {
    const record = (n: number) => Buffer.from(JSON.stringify({ msg: '\x01'.repeat(n), host: 'db1', file: '/var/log/mysql/slow.log' }));
    const atLimit = unwrap(record(1024), opts);
    expect(record(1024).length).toBeGreaterThan(6 * 1024);
    expect(atLimit.ok && atLimit.text.length).toBe(1024);
    const over = unwrap(record(1025), opts);
    expect(over.ok ? 'read' : [over.code, over.reason]).toEqual(['too_large', expect.stringContaining('1025 characters')]);
  });

  it('an envelope over maxEnvelopeBytes is too_large unparsed; a bare line or a bare JSON record over the limit too', () => {
    const huge = unwrap(Buffer.from(`{"msg":"${'a'.repeat(maxEnvelopeBytes(1024))}"}`), opts);
    expect(huge.ok ? 'read' : huge.code).toBe('too_large');
    expect(unwrap(Buffer.alloc(1025, 'a'), opts).ok).toBe(false);
    const bare = unwrap(Buffer.from(JSON.stringify({ error_severity: 'LOG', message: 'a'.repeat(1024) })), { ...opts, isBareRecord: (d) => 'error_severity' in d });
    expect(bare.ok ? 'read' : bare.code).toBe('too_large');
  });

  it('a byte that is not UTF-8 counts as one character of the record, as the shipper counted it', () => {
    const value = Buffer.concat([Buffer.from('{"msg":"'), Buffer.alloc(1024, 0xff), Buffer.from('"}')]);
    const r = unwrap(value, opts);
    expect(r.ok && r.text.length).toBe(1024);
  });
});

describe('aggregatesRows: a statement that sends many rows as one', () => {
  it.each([
    ['SELECT json_agg(c) FROM customers c', true],
    ['select JSONB_AGG(c) from customers c', true],
    ['SELECT pg_catalog.string_agg(name, \',\') FROM customers', true],
    ['SELECT "array_agg"(id) FROM customers', true],
    ['SELECT xmlagg /* x */ (x) FROM t', true],
    ['SELECT U&"json\\005fagg"(c) FROM customers c', true],
    ['SELECT ARRAY(SELECT c FROM customers c)', true],
    [`SELECT ${'1, '.repeat(5000)}json_agg(c) FROM customers c`, true],
    ['SELECT pg_temp.cat(t::text) FROM customers t', true],
    ['SELECT "pg_temp_3" . "cat" (t::text) FROM customers t', true],
    ['SELECT count(*), ARRAY[1, 2] FROM customers', false],
    ['SELECT pg_temp.t.x FROM pg_temp.t', false],
    ['SELECT "ARRAY"(x) FROM t', false],
    ["SELECT 'json_agg' FROM t", false],
    ['SELECT * FROM customers -- string_agg(x)', false],
  ])('%s', (sql, expected) => {
    expect(aggregatesRows(sql)).toBe(expected);
  });
});

describe('returningOf', () => {
  it.each([
    ['UPDATE t SET a = a RETURNING *', {}],
    ['delete from t returning id', { columns: ['id'] }],
    ['INSERT INTO t (a) VALUES (1) RETURNING "Id", t.name;', { columns: ['Id', 'name'] }],
    ['UPDATE t SET a = a RETURNING id, a || b', {}],
    ["UPDATE t SET a = 'RETURNING'", undefined],
    ['UPDATE t SET a = a -- RETURNING *', undefined],
    ['INSERT INTO t SELECT * FROM s /* returning */', undefined],
  ])('%s', (sql, expected) => {
    expect(returningOf(sql)).toEqual(expected);
  });
});
