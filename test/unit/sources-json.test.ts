// The `json` format: a declarative mapping (docs/sources/json.md) on the documented MySQL JSON audit log
// (test/fixtures/json/), and the mapping's validation: every mistake names the file, the key and why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { createSources } from '../../src/sources';
import { jsonMappingFormat, loadMapping } from '../../src/sources/json-mapping';
import { recordFramer } from '../../src/sources/framing';

const ROOT = path.join(__dirname, '..', '..');
const MAPPING = path.join(ROOT, 'config', 'mappings', 'mysql-audit-json.yaml');
const LOG = path.join(ROOT, 'test', 'fixtures', 'json', 'mysql-audit-json.log');
const LIMITS = { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 };

async function decode(records: string[], mappingFile = MAPPING) {
  const sources = createSources({ settings: { sources: { t: { format: 'json', options: { mappingFile, server: 'mysql-prod-1' } } } } as never, role: 'reader' });
  const outcomes = await sources.decodeBatch('t', records.map((r, i) => ({ value: Buffer.from(r), topic: 't', partition: 0, offset: String(i) })), LIMITS, Date.UTC(2030, 0, 1));
  return { outcomes, events: outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])) };
}

function mappingFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mapping-')), 'm.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('json: the shipped MySQL JSON audit log mapping', () => {
  const lines = fs.readFileSync(LOG, 'utf8').trim().split('\n');

  it('maps statements with their query statistics; startup, connections and statements without statistics give none', async () => {
    const { outcomes, events } = await decode(lines);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(events.map((e) => [e.event_id, e.ts, e.user, e.action, e.database, e.table, e.rows, e.bytes, e.status, e.client_ip, e.session_id])).toEqual([
      ['mysql-audit/41/2026-11-30 09:14:02/1', '2026-11-30T09:14:02.000Z', 'bea_lopez', 'SELECT', 'crm', 'customers', 120, 18384, 'ok', '10.20.30.41', '41'],
      ['mysql-audit/41/2026-11-30 09:14:03/0', '2026-11-30T09:14:03.000Z', 'bea_lopez', 'SELECT', 'crm', 'customers', 54000, 2211840, 'ok', '10.20.30.41', '41'],
      ['mysql-audit/41/2026-11-30 09:14:03/0/1', '2026-11-30T09:14:03.000Z', 'bea_lopez', 'SELECT', 'crm', 'orders', 0, 0, 'ok', '10.20.30.41', '41'],
      ['mysql-audit/41/2026-11-30 09:14:03/1', '2026-11-30T09:14:03.000Z', 'bea_lopez', 'SELECT', 'crm', 'secrets', 0, 0, 'error', '10.20.30.41', '41'],
    ]);
    expect(events[0]).toMatchObject({ source: 'mysql-prod-1', bytes_estimated: false, statement: "SELECT * FROM crm.customers WHERE region = 'EU'", rows_examined: '20878', query_time_s: '0.11625' });
    expect(events[3].bytes_on_error).toBe(127);
  });

  it('reads the record inside a shipper\'s envelope too', async () => {
    const { events } = await decode([JSON.stringify({ msg: lines[3], host: 'db1' })]);
    expect(events.map((e) => e.table)).toEqual(['customers']);
  });

  it('dead-letters a record whose field cannot be read, naming the field', async () => {
    const rec = JSON.parse(lines[3].replace(/,$/, '')) as Record<string, unknown>;
    const bad = [
      JSON.stringify({ ...rec, timestamp: '30/11/2026 09:14' }),
      JSON.stringify({ ...rec, query_statistics: { bytes_sent: 'many', rows_sent: 1 } }),
      JSON.stringify({ ...rec, account: {} }),
      lines[3].slice(0, 80),
    ];
    const { outcomes } = await decode(bad);
    expect(outcomes.map((o) => (o.ok ? 'decoded' : `${o.code}: ${o.reason.split(':')[0]}`))).toEqual(['bad_timestamp: fields.ts', 'mapping_failed: fields.bytes', 'missing_field: user is required', 'invalid_json: not valid JSON (a truncated line?)']);
  });
});

describe('json: conversions', () => {
  const rec = JSON.stringify({ t: 1764493442123456, who: { name: 'Ann' }, q: 'SELECT 1 FROM `shop`.`items`', kb: '1.5', ok: false, app: 'dbeaver/23.1 (linux)', 'odd.key': { v: 'x' } });
  const base = `fields:
  event_id: { template: "p/{t}" }
  ts: { path: t, time: epoch_us }
  user: { path: who.name, case: lower }
  action: { const: select, case: upper }
  bytes: { path: kb, unit: KiB }
  tables: { path: q, sqlTables: mysql }
  client_app: { path: app, regex: "^([a-z]+)/" }
  status: { path: ok, map: { "true": ok, "false": error } }
extra:
  odd: { path: '["odd.key"].v' }
`;
  it('epoch microseconds, units, case, constants, regex extraction, value maps, odd keys', async () => {
    const { events } = await decode([rec], mappingFile(base));
    expect(events.map((e) => [e.event_id, e.ts, e.user, e.action, e.bytes, e.database, e.table, e.client_app, e.status, e.odd, e.bytes_on_error])).toEqual([
      ['p/1764493442123456', '2025-11-30T09:04:02.123Z', 'ann', 'SELECT', 0, 'shop', 'items', 'dbeaver', 'error', 'x', 1536],
    ]);
  });
});

describe('json: a bad mapping fails at start with the file, the key and the reason', () => {
  const good = fs.readFileSync(MAPPING, 'utf8');
  it.each([
    ['an unknown key', good.replace('arrayLines: true', 'arrayLinez: true'), /m\.yaml: arrayLinez: unknown key "arrayLinez"/],
    ['a required field missing', good.replace(/^ {2}user: .*\n/m, ''), /m\.yaml: fields\.user: /],
    ['two value sources', good.replace('user: { path: account.user }', 'user: { path: account.user, const: x }'), /fields\.user: needs exactly one of path, const, template \(has path, const\)/],
    ['a broken regular expression', good.replace('user: { path: account.user }', 'user: { path: account.user, regex: "([a-z" }'), /fields\.user\.regex: not a regular expression/],
    ['a bad unit', good.replace('unit: B', 'unit: bytes'), /fields\.bytes\.unit: Invalid option: expected one of/],
    ['a bad time format', good.replace('time: sql', 'time: rfc2822'), /fields\.ts\.time: /],
    ['a bad path', good.replace('path: account.user', 'path: "account..user"'), /fields\.user\.path: expected a field path/],
    ['a template with a bad path', good.replace('{connection_id}', '{connection id}'), /fields\.event_id\.template: \{connection id\} is not a field path/],
    ['not YAML', 'fields: [unclosed', /m\.yaml: not YAML or JSON/],
  ])('%s', (_what, text, message) => {
    const file = mappingFile(text);
    expect(() => loadMapping(file)).toThrow(message);
  });

  it('the source names its option when the file is missing', () => {
    expect(() => jsonMappingFormat.create({ mappingFile: '/nonexistent/m.yaml' }, 'proxy-logs')).toThrow(/ingest\.sources\.proxy-logs\.options\.mappingFile: cannot read the mapping file/);
    expect(() => jsonMappingFormat.create({}, 'proxy-logs')).toThrow(/ingest\.sources\.proxy-logs\.options\.mappingFile/);
  });

  it('the framer of `sources parse` keeps one record a line', () => {
    const f = recordFramer(false);
    expect([...f.push('{"a":1},'), ...f.push('{"a":2}'), ...f.end()]).toEqual(['{"a":1},', '{"a":2}']);
  });
});
