// `insider sources parse` as a user runs it (the built program, records on stdin) on every format's
// fixtures: the captured MariaDB and ClickHouse logs, the documented cloud records, the mapping example;
// events as JSON lines on stdout, a summary on stderr, exit code 4 when a record was dead-lettered; a
// bad mapping stops it at start with the file, the key and the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { createSources, splitRecords } from '../../src/sources';
import { RECORD_START } from '../../src/sources/mariadb';

const ROOT = path.join(__dirname, '..', '..');
const bin = path.join(ROOT, 'bin', 'insider.js');
const fx = (...p: string[]) => path.join(ROOT, 'test', 'fixtures', ...p);

function parse(args: string[], input: string | Buffer) {
  const r = spawnSync(process.execPath, [bin, 'sources', 'parse', ...args], { encoding: 'utf8', input, timeout: 60000, env: { ...process.env, INSIDER_LOG_LEVEL: 'silent' } });
  const lines = r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status, events: lines.filter((l) => !('dead_letter' in l)), dead: lines.filter((l) => 'dead_letter' in l), stderr: r.stderr };
}

describe('insider sources parse on every format', () => {
  it('mariadb: the slow log and the audit log of the real server, in one stream, joined', () => {
    const r = parse(['--format', 'mariadb', '--option', 'server=fixture-mdb'], fs.readFileSync(fx('mariadb', 'slow.log'), 'utf8') + fs.readFileSync(fx('mariadb', 'audit.log'), 'utf8'));
    expect([r.code, r.dead]).toEqual([0, []]);
    const expected = fs.readFileSync(fx('mariadb', 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(r.events.map((e) => [e.event_id, e.bytes, e.table, e.status, e.query_id])).toEqual(expected.map((e) => [e.event_id, e.bytes, e.table, e.status, e.query_id]));
    expect(r.stderr).toMatch(/sources: \d+ records: \d+ events, 0 dead-lettered/);
  });

  it('clickhouse-query-log: the rows the real 18.16 server logged', () => {
    const r = parse(['--format', 'clickhouse-query-log', '--option', 'server=ch-audited'], fs.readFileSync(fx('clickhouse', 'query_log.jsonl'), 'utf8'));
    expect([r.code, r.dead]).toEqual([0, []]);
    const { cases } = JSON.parse(fs.readFileSync(fx('clickhouse', 'cases.json'), 'utf8')) as { cases: Array<{ queryId: string; expected: { rows: number; bytes: number; status: string } | null }> };
    for (const c of cases) {
      const e = r.events.find((x) => x.query_id === c.queryId);
      if (!c.expected) expect(e).toBeUndefined();
      else expect([c.queryId, e?.rows, c.expected.bytes >= 0 ? e?.bytes : c.expected.bytes, e?.status]).toEqual([c.queryId, c.expected.rows, c.expected.bytes, c.expected.status]);
    }
  });

  it('aws-das-postgres and snowflake: the documented records', () => {
    const das = parse(['--format', 'aws-das-postgres', '--option', 'server=aurora-1'], fs.readFileSync(fx('cloud', 'aws-das-postgres.jsonl'), 'utf8'));
    expect([das.code, das.dead, das.events.length]).toEqual([0, [], 6]);
    expect(das.events[3]).toMatchObject({ action: 'COPY', client_app: 'pg_dump', rows: 150000, bytes: 15000000, bytes_estimated: true });
    const sf = parse(['--format', 'snowflake', '--option', 'server=acme-eu'], fs.readFileSync(fx('cloud', 'snowflake.jsonl'), 'utf8'));
    expect([sf.code, sf.dead, sf.events.length]).toEqual([0, [], 7]);
    expect(sf.events[0]).toMatchObject({ user: 'BEA.LOPEZ@CORP.EXAMPLE', bytes: 18733056, rows: 120000, table: 'PUBLIC.CUSTOMERS', bytes_estimated: false });
  });

  it('json: the shipped MySQL JSON audit log mapping on its documented log', () => {
    const r = parse(['--format', 'json', '--option', `mappingFile=${path.join(ROOT, 'config', 'mappings', 'mysql-audit-json.yaml')}`], fs.readFileSync(fx('json', 'mysql-audit-json.log'), 'utf8'));
    expect([r.code, r.dead]).toEqual([0, []]);
    expect(r.events.map((e) => [e.table, e.bytes, e.status])).toEqual([
      ['customers', 18384, 'ok'],
      ['customers', 2211840, 'ok'],
      ['orders', 0, 'ok'],
      ['secrets', 0, 'error'],
    ]);
  });

  it('exit code 4 and each bad record\'s reason; a bad mapping fails at start naming the file and the key', () => {
    const bad = parse(['--format', 'snowflake'], '{"QUERY_ID": "q", "USER_NAME": "u", "END_TIME": "soon"}\nnot json at all\n');
    expect(bad.code).toBe(4);
    expect(bad.dead.map((d) => (d.dead_letter as { code: string }).code)).toEqual(['bad_timestamp', 'wrong_format']);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'map-')), 'proxy.yaml');
    fs.writeFileSync(file, 'fields:\n  event_id: { path: id }\n  ts: { path: t, time: epoch_minutes }\n  user: { path: u }\n  action: { const: SELECT }\n  bytes: { path: b }\n');
    const r = spawnSync(process.execPath, [bin, 'sources', 'parse', '--format', 'json', '--option', `mappingFile=${file}`], { encoding: 'utf8', input: '{}\n', timeout: 60000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${file}: fields.ts.time: Invalid option`);
  });

  it('bytes that are not UTF-8 reach the decoder as they were, so it agrees with the ingester: a mariadb read counted and marked, a canonical event invalid_utf8', async () => {
    // What the real MariaDB server wrote for `SELECT * FROM customers /* <FF><FE> */` (client charset
    // latin1): read as UTF-8 here, the bytes were replaced before the decoder saw them, and the read was
    // counted while the ingester dead-lettered it. Now both count it, marked invalid_utf8_replaced.
    const input = Buffer.concat([fs.readFileSync(fx('mariadb', 'not-utf8', 'slow.log')), fs.readFileSync(fx('mariadb', 'not-utf8', 'audit.log'))]);
    const r = parse(['--format', 'mariadb', '--option', 'server=mdb1'], input);
    const sources = createSources({ settings: { sources: { t: { format: 'mariadb', options: { server: 'mdb1' } } } } as never, role: 'reader' });
    const records = splitRecords(input.toString('latin1'), RECORD_START).map((x, i) => ({ value: Buffer.from(x, 'latin1'), topic: 't', partition: 0, offset: String(i) }));
    const outcomes = await sources.decodeBatch('t', records, { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 });
    const ingested = outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : []));
    expect([r.code, r.dead, outcomes.filter((o) => !o.ok)]).toEqual([0, [], []]);
    expect(r.events).toEqual(ingested);
    expect(r.events.map((e) => [e.user, e.bytes, e.table, e.query_id, e.invalid_utf8_replaced])).toEqual([['spoof_mallory', 3437993, 'customers', '37', 2]]);
    const canonical = parse(['--format', 'canonical'], Buffer.from('{"event_id":"e1","ts":1796606965,"user":"u","action":"SELECT","bytes":5,"statement":"x \xff"}\n', 'latin1'));
    expect([canonical.code, canonical.events, canonical.dead.map((d) => (d.dead_letter as { code: string }).code)]).toEqual([4, [], ['invalid_utf8']]);
  });

  it('sources list names every format', () => {
    const r = spawnSync(process.execPath, [bin, 'sources', 'list'], { encoding: 'utf8', timeout: 60000 });
    for (const f of ['canonical', 'postgres', 'mariadb', 'clickhouse-query-log', 'aws-das-postgres', 'snowflake', 'json']) expect(r.stdout).toMatch(new RegExp(`^${f}\\s`, 'm'));
  });
});
