// The chdb front (deploy/local/chdb/clickhouse_http_front.py) on its own port and data directory:
// ClickHouse 26.x reached through the part of ClickHouse's HTTP interface @clickhouse/client uses. It
// must answer exactly what the engine answers (compared byte for byte with the engine itself, without
// the front), never hide an error (status, X-ClickHouse-Exception-Code, the engine's text), and keep
// each request's database and settings to that request.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { type Config } from '../../src/config';
import { ClickHouseError } from '../../src/errors';
import { chdbPython, CHDB_DEPLOY_DIR, localServices, servicesDown, servicesUp, stateDirOf } from '../../src/local-services';
import { createClickHouse, ident, sql, type ClickHouse } from '../../src/store';
import { testConfig, uniqueName } from '../helpers/env';

const PORT = 24123;
const URL_BASE = `http://127.0.0.1:${PORT}`;

function chdbConfig(): Config {
  const base = testConfig();
  return { ...base, localServices: { ...base.localServices, chdb: { ...base.localServices.chdb, url: URL_BASE } } };
}

async function post(params: Record<string, string>, body: string | Buffer = '', headers: Record<string, string> = {}) {
  const res = await fetch(`${URL_BASE}/?${new URLSearchParams(params)}`, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The engine's own answers to the statements, without the front (a fresh data directory of its own). */
function engineAnswers(statements: Array<{ sql: string; format?: string }>): Array<{ body?: string; error?: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chdb-direct-'));
  const r = spawnSync(chdbPython(stateDirOf(chdbConfig())), [path.join(CHDB_DEPLOY_DIR, 'clickhouse_http_front.py'), '--data', dir, '--direct'], {
    input: JSON.stringify(statements),
    encoding: 'utf8',
    timeout: 120_000,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`--direct failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ body?: string; error?: string }>;
}

describe('chdb front (ClickHouse 26.x over ClickHouse HTTP)', () => {
  const config = chdbConfig();
  const services = localServices(config, ['chdb']);
  let ch: ClickHouse;
  const database = uniqueName('it_chdb');

  beforeAll(async () => {
    await servicesDown(services, () => {});
    fs.rmSync(path.join(stateDirOf(config), 'chdb', `data-${PORT}`), { recursive: true, force: true });
    const [status] = await servicesUp(services, (l) => process.stderr.write(`[chdb] ${l}\n`));
    expect(status.ready).toBe(true);
    const admin = createClickHouse({ ...config.clickhouse, url: URL_BASE }, { database: 'default' });
    await admin.exec(sql`CREATE DATABASE ${ident(database)}`);
    await admin.close();
    ch = createClickHouse({ ...config.clickhouse, url: URL_BASE }, { database });
  }, 600_000);

  afterAll(async () => {
    await ch?.close();
    await servicesDown(services, () => {});
  });

  it('is a service of `insider services`, in the status once started', () => {
    const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');
    const env = { ...process.env, INSIDER_CHDB_URL: URL_BASE, INSIDER_LOG_LEVEL: 'warn' };
    const r = spawnSync(process.execPath, [bin, 'services', 'status', 'chdb', '--json'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ name: 'chdb', state: 'running', ready: true, address: URL_BASE, version: expect.stringMatching(/^ClickHouse 26\.\d+.* \(chdb\)$/) })]);
    const all = spawnSync(process.execPath, [bin, 'services', 'status', '--json'], { encoding: 'utf8', env, timeout: 60_000 });
    expect((JSON.parse(all.stdout) as Array<{ name: string }>).map((s) => s.name)).toEqual(expect.arrayContaining(['kafka', 'clickhouse', 'chdb']));
  });

  it('answers /ping and reports a current ClickHouse', async () => {
    expect(await (await fetch(`${URL_BASE}/ping`)).text()).toBe('Ok.\n');
    const version = await (await fetch(`${URL_BASE}/?query=${encodeURIComponent('SELECT version()')}`)).text();
    expect(version).toMatch(/^26\.\d+\.\d+\.\d+\n$/);
    expect(await ch.serverVersion()).toBe(version.trim());
  });

  it('returns the engine\'s own bytes for each format and type', async () => {
    const statements = [
      { sql: "SELECT toUInt64(18446744073709551615) AS u, toInt64(-9223372036854775808) AS i, 0.1 + 0.2 AS f, 1e300 * 10 AS inf, nan AS n", format: 'JSONEachRow' },
      { sql: "SELECT toDateTime(1700000000, 'UTC') AS t, toDate('2026-02-28') AS d, CAST(NULL AS Nullable(String)) AS z, [1, 2, 3] AS a", format: 'JSONEachRow' },
      { sql: "SELECT 'tab\there, quote \\' and \\\\ backslash, é, 漢字, \\0 zero' AS s, CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e", format: 'JSONEachRow' },
      { sql: "SELECT 'tab\there' AS s, toUInt64(5) AS u, [('x', 1)] AS t", format: 'TabSeparated' },
      { sql: 'SELECT number, number * 2 AS twice FROM system.numbers LIMIT 3', format: 'JSON' },
      { sql: 'SELECT number FROM system.numbers LIMIT 2 FORMAT CSV', format: 'TabSeparated' },
    ];
    const direct = engineAnswers(statements);
    for (const [i, s] of statements.entries()) {
      const r = await post({ default_format: s.format }, s.sql);
      expect({ sql: s.sql, status: r.status }).toEqual({ sql: s.sql, status: 200 });
      // The JSON format's statistics (elapsed, rows read) vary from run to run; everything else is compared.
      const stable = (text: string) => (s.format === 'JSON' ? text.replace(/"elapsed": [\d.e-]+/, '"elapsed": 0') : text);
      expect(stable(r.text)).toBe(stable(direct[i].body ?? `error: ${direct[i].error}`));
    }
    // 26.x's own default: 64-bit integers unquoted in JSON (18.16 quoted them); the front does not change that.
    expect(direct[0].body).toContain('"u":18446744073709551615');
  });

  it('answers errors with the server\'s status, the exception code header and the engine\'s text', async () => {
    const failing = [
      { sql: 'SELEC 1', code: 62, status: 400 },
      { sql: 'SELECT * FROM no_such_table_here', code: 60, status: 404 },
      { sql: 'SELECT no_such_function(1)', code: 46, status: 404 },
      { sql: "SELECT toDate('not a date')", code: 38, status: 400 },
      { sql: "SELECT throwIf(1, 'raised on purpose')", code: 395, status: 500 },
      { sql: 'SELECT 1 FORMAT NoSuchFormat', code: 73, status: 404 },
    ];
    const direct = engineAnswers(failing.map((f) => ({ sql: `${f.sql}` })));
    for (const [i, f] of failing.entries()) {
      const r = await post({}, f.sql);
      expect({ sql: f.sql, status: r.status, code: r.headers.get('x-clickhouse-exception-code') }).toEqual({ sql: f.sql, status: f.status, code: String(f.code) });
      expect(r.text.startsWith(`Code: ${f.code}.`)).toBe(true);
      // The engine's text, unchanged.
      expect(r.text.trimEnd()).toBe(direct[i].error);
    }
    // 18.16 answers the same statuses for the same mistakes (it has no exception-code header yet).
    const old = testConfig().clickhouse.url;
    for (const f of failing.slice(0, 5)) {
      const res = await fetch(`${old}/?${new URLSearchParams({ query: f.sql })}`);
      await res.text();
      expect({ sql: f.sql, status: res.status }).toEqual({ sql: f.sql, status: f.status });
    }
  });

  it('gives the product\'s wrapper errors it classifies, with the server code, not retriable', async () => {
    const syntax = await ch.exec(sql`SELEC 1`).catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(ClickHouseError);
    expect((syntax as ClickHouseError).retriable).toBe(false);
    expect((syntax as ClickHouseError).context.serverCode).toBe(62);
    const missing = await ch.query(sql`SELECT * FROM ${ident(uniqueName('missing'))}`).catch((e: unknown) => e);
    expect((missing as ClickHouseError).context.serverCode).toBe(60);
    const noDb = createClickHouse({ ...config.clickhouse, url: URL_BASE }, { database: uniqueName('no_db') });
    const err = await noDb.query(sql`SELECT 1`).catch((e: unknown) => e);
    await noDb.close();
    expect((err as ClickHouseError).context.serverCode).toBe(81);
    expect((err as Error).message).toMatch(/Database .* does not exist/);
  });

  it('inserts data sent after the query (chunked, gzip), all or nothing', async () => {
    const table = uniqueName('rows');
    await ch.exec(sql`CREATE TABLE ${ident(table)} (id UInt64, name String, at DateTime('UTC')) ENGINE = MergeTree ORDER BY id`);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `n${i} é\t"q"`, at: 1_700_000_000 + i }));
    await ch.insert(table, rows);
    const [count] = await ch.query<{ n: string; s: string }>(sql`SELECT count() AS n, sum(id) AS s FROM ${ident(table)}`);
    expect(count).toEqual({ n: '2000', s: String((1999 * 2000) / 2) });

    const gz = zlib.gzipSync('{"id": 5000, "name": "gz", "at": 1}\n');
    const r = await post({ database, query: `INSERT INTO ${table} FORMAT JSONEachRow` }, gz, { 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(200);

    // One bad row: the whole insert is refused with the parse error; nothing of it is stored.
    const bad = await post({ database, query: `INSERT INTO ${table} FORMAT JSONEachRow` }, '{"id": 6000, "name": "ok", "at": 1}\n{"id": "x", "name": "bad", "at": 1}\n');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^Code: \d+\. DB::Exception: .*Cannot parse/s);
    const [after] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${ident(table)}`);
    expect(after.n).toBe('2001');
    expect(await ch.query(sql`SELECT name FROM ${ident(table)} WHERE id = 7`)).toEqual([{ name: 'n7 é\t"q"' }]);
  });

  it('keeps the database, the settings and any SET to the one request', async () => {
    const table = uniqueName('only_here');
    await ch.exec(sql`CREATE TABLE ${ident(table)} (x UInt8) ENGINE = Memory`);
    expect((await post({ database }, `EXISTS TABLE ${table}`)).text).toBe('1\n');
    expect((await post({}, `EXISTS TABLE ${table}`)).text).toBe('0\n'); // the default database
    expect((await post({ database }, 'SELECT currentDatabase()')).text).toBe(`${database}\n`);
    expect((await post({}, 'SELECT currentDatabase()')).text).toBe('default\n');

    const quoted = await post({ output_format_json_quote_64bit_integers: '1', default_format: 'JSONEachRow' }, 'SELECT toUInt64(7) AS u');
    expect(quoted.text).toBe('{"u":"7"}\n');
    expect((await post({ default_format: 'JSONEachRow' }, 'SELECT toUInt64(7) AS u')).text).toBe('{"u":7}\n');

    expect((await post({}, 'SET output_format_json_quote_64bit_integers = 1')).status).toBe(200);
    expect((await post({ default_format: 'JSONEachRow' }, 'SELECT toUInt64(7) AS u')).text).toBe('{"u":7}\n');

    const limited = await post({ max_result_rows: '1', result_overflow_mode: 'throw' }, 'SELECT number FROM system.numbers LIMIT 5');
    expect(limited.status).toBe(500);
    expect(limited.headers.get('x-clickhouse-exception-code')).toBe('396');
    expect((await post({}, 'SELECT count() FROM (SELECT number FROM system.numbers LIMIT 5)')).text).toBe('5\n');

    // Settings that SET cannot undo (readonly) or that fail the front's own check (a row limit) do not leak either.
    expect((await post({ readonly: '1' }, `CREATE TABLE ${table}_ro (x UInt8) ENGINE = Memory`)).headers.get('x-clickhouse-exception-code')).toBe('164');
    expect((await post({ database }, `CREATE TABLE ${table}_rw (x UInt8) ENGINE = Memory`)).status).toBe(200);
    expect((await post({}, 'SET max_result_rows = 1, result_overflow_mode = \'throw\'')).status).toBe(200);
    expect((await post({}, 'SELECT number FROM system.numbers LIMIT 3')).text).toBe('0\n1\n2\n');

    const unknown = await post({ no_such_setting_at_all: '1' }, 'SELECT 1');
    expect([unknown.status, unknown.headers.get('x-clickhouse-exception-code')]).toEqual([404, '115']);
  });

  it('behaves as a server, not as the embedded engine, where their defaults differ', async () => {
    // chdb alone evaluates a bare expression (implicit_select); a server refuses it.
    const bare = await post({}, '1 + 1');
    expect([bare.status, bare.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
    const settings = await post({ default_format: 'JSONEachRow' }, "SELECT name, value FROM system.settings WHERE name IN ('mutations_sync', 'implicit_select') ORDER BY name");
    expect(settings.text).toBe('{"name":"implicit_select","value":"0"}\n{"name":"mutations_sync","value":"0"}\n');
  });

  it('takes the query from the URL, the body or both, and query parameters', async () => {
    expect((await fetch(`${URL_BASE}/?query=${encodeURIComponent('SELECT 40 + 2')}`)).status).toBe(200);
    expect((await post({ query: 'SELECT 1 AS a' }, ', 2 AS b FORMAT TabSeparatedWithNames')).text).toBe('a\tb\n1\t2\n');
    expect((await post({ param_p: '41' }, 'SELECT {p:UInt8} + 1')).text).toBe('42\n');
    const empty = await post({}, '   ');
    expect([empty.status, empty.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
  });

  it('refuses what it cannot pass on, with a clear error instead of a crash', async () => {
    const binary = await post({ query: 'SELECT 1' }, Buffer.from([0xff, 0xfe, 0x00]));
    expect([binary.status, binary.headers.get('x-clickhouse-exception-code')]).toEqual([501, '48']);
    expect(binary.text).toMatch(/not UTF-8/);
    const other = await fetch(`${URL_BASE}/play`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe('There is no handle /play\n');
    const deflate = await post({ query: 'SELECT 1' }, zlib.deflateSync('x'), { 'Content-Encoding': 'br' });
    expect([deflate.status, deflate.headers.get('x-clickhouse-exception-code')]).toEqual([415, '779']);
    // And it still answers afterwards.
    expect((await post({}, 'SELECT 1')).text).toBe('1\n');
  });

  it('answers concurrent requests, each with its own database and settings', async () => {
    const other = uniqueName('it_chdb_other');
    await post({}, `CREATE DATABASE ${other}`);
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        post(
          { database: i % 2 ? database : other, default_format: 'JSONEachRow', ...(i % 3 === 0 ? { output_format_json_quote_64bit_integers: '1' } : {}) },
          `SELECT currentDatabase() AS db, toUInt64(${i}) AS i`,
        ),
      ),
    );
    answers.forEach((a, i) => {
      const value = i % 3 === 0 ? `"${i}"` : String(i);
      expect(a.text).toBe(`{"db":"${i % 2 ? database : other}","i":${value}}\n`);
    });
  });
});
