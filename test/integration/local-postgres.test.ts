// `insider services up|status|down postgres` on its own port and state dir (the shared server the other
// tests use is untouched): initdb as the postgres user, the audit settings in force, and nothing left
// running after down.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { localServices, servicesDown, servicesStatus, servicesUp } from '../../src/local-services';
import { processesMentioning } from '../helpers/processes';

jest.setTimeout(180000);

describe('local PostgreSQL (own port and state dir)', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-pg-'));
  const file = path.join(stateDir, 'config.yaml');
  fs.writeFileSync(file, `localServices: { stateDir: "${stateDir}", postgres: { port: 22020 } }\n`);
  const config = loadConfig({ file, env: {} }).config;
  const services = () => localServices(config, ['postgres']);
  afterAll(async () => {
    await servicesDown(services(), () => {});
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts with pgaudit and the documented settings, is idempotent, and stops leaving nothing behind', async () => {
    const lines: string[] = [];
    const [up] = await servicesUp(services(), (l) => lines.push(l));
    expect([up.state, up.ready, up.version]).toEqual(['running', true, expect.stringMatching(/^PostgreSQL 15\.\d+ \(pgaudit\)$/)]);
    expect(lines.some((l) => l.includes('initdb'))).toBe(true);

    const c = new Client({ host: '127.0.0.1', port: 22020, user: 'postgres', database: 'postgres' });
    await c.connect();
    const settings = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('pgaudit.log', 'pgaudit.log_relation', 'pgaudit.log_rows', 'log_connections', 'log_statement', 'log_destination', 'log_timezone', 'ssl') ORDER BY name`,
    );
    await c.end();
    expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
      log_connections: 'on',
      log_destination: 'stderr,csvlog,jsonlog',
      log_statement: 'all',
      log_timezone: 'UTC',
      'pgaudit.log': 'read, write',
      'pgaudit.log_relation': 'on',
      'pgaudit.log_rows': 'on',
      ssl: 'on',
    });
    // Its data belongs to the postgres user, under this state dir.
    expect(fs.statSync(path.join(stateDir, 'postgres', 'data', 'PG_VERSION')).uid).not.toBe(0);

    const again: string[] = [];
    await servicesUp(services(), (l) => again.push(l));
    expect(again.join('\n')).toContain('already running');

    await servicesDown(services(), () => {});
    const [status] = await servicesStatus(services());
    expect([status.state, status.ready]).toEqual(['stopped', false]);
    expect(processesMentioning(path.join(stateDir, 'postgres', 'data'))).toEqual([]);
  });
});
