// The built `insider` program as a user runs it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createClickHouse, ident, sql } from '../../src/store';
import { BIN, insiderSync } from '../helpers/cli';
import { testConfig, uniqueName } from '../helpers/env';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'config', name);


describe('insider CLI', () => {
  it('prints help that lists the real subcommands', () => {
    const r = insiderSync(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['services', 'config', 'migrate']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
  });

  it('loads the web server and the browser driver only for the commands that use them', () => {
    // The ingester, detector and notifier run this same program: every module loaded at start-up is
    // memory each of them holds (fastify and playwright-core were about 60 MB of a 146 MB start).
    const loaded = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(path.dirname(BIN), '..', 'dist', 'cli', 'index.js'))}).buildProgram(); console.log(Object.keys(require.cache).join('\\n'))`], { encoding: 'utf8' });
    expect(loaded.status).toBe(0);
    const modules = loaded.stdout.split('\n');
    expect(modules.some((m) => m.includes(`${path.sep}commander${path.sep}`))).toBe(true);
    for (const heavy of ['fastify', 'playwright-core', '@fastify']) expect(modules.filter((m) => m.includes(`node_modules${path.sep}${heavy}${path.sep}`))).toEqual([]);
  });

  it('config check prints the effective config with secrets masked', () => {
    const r = insiderSync(['config', 'check'], { INSIDER_CLICKHOUSE_PASSWORD: 'very-secret-pw' });
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed.clickhouse.password).toBe('****');
    expect(r.stdout + r.stderr).not.toContain('very-secret-pw');
  });

  it('fails with one line naming the file, key and reason for a bad config', () => {
    const r = insiderSync(['--config', fixture('unknown-key.yaml'), 'config', 'check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: ${fixture('unknown-key.yaml')}: kafka.brokerz: unknown key (did you mean "brokers"?) [CONFIG_INVALID]\n`);
  });

  it('answers a usage error with exit code 2', () => {
    const r = insiderSync(['services', 'up', 'mysql']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown service "mysql"');
    expect(insiderSync(['no-such-command']).code).toBe(2);
    expect(insiderSync(['replay']).code).toBe(2);
    expect(insiderSync(['services', 'status', '--no-such-flag']).code).toBe(2);
  });

  it('migrate applies the schema and reports status', async () => {
    // A database of this run only: what it finds must not depend on an earlier run's leftovers.
    const database = uniqueName('it_cli_migrate');
    const env = { INSIDER_CLICKHOUSE_DATABASE: database };
    try {
      const r = insiderSync(['migrate'], env);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`database ${database}: [1-9]\\d* migration\\(s\\) applied, 0 already applied`));
      const status = insiderSync(['migrate', '--status', '--json'], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout).every((s: { state: string }) => s.state === 'applied')).toBe(true);
      expect(insiderSync(['migrate'], env).stderr).toMatch(new RegExp(`database ${database}: 0 migration\\(s\\) applied, [1-9]\\d* already applied`));
    } finally {
      const admin = createClickHouse(testConfig().clickhouse, { database: 'default' });
      await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
      await admin.close();
    }
  });
});
