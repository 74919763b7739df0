// Shared by integration tests: the configuration they run with and unique names, so that tests never
// depend on one another's tables or topics.
import crypto from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { createClickHouse, ident, sql, type ClickHouse } from '../../src/store';

/** Integration tests use a database of their own, never the product's. */
export const TEST_DATABASE = 'insider_test';

export function testConfig(): Readonly<Config> {
  return loadConfig().config;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
}

export async function testClickHouse(): Promise<ClickHouse> {
  const config = testConfig();
  const admin = createClickHouse(config.clickhouse, { database: 'default' });
  await admin.exec(sql`CREATE DATABASE IF NOT EXISTS ${ident(TEST_DATABASE)}`);
  await admin.close();
  return createClickHouse(config.clickhouse, { database: TEST_DATABASE });
}
