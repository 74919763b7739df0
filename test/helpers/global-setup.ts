// Integration tests need the real Kafka, ClickHouse, PostgreSQL (with pgaudit) and MariaDB (slow + audit logs): start them through the same code as
// `insider services up` (installing when missing). Services configured elsewhere are only checked.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { ensureChromium, localServices, servicesStatus, servicesUp } from '../../src/local-services';
import { PACKAGE_ROOT } from '../../src/package-root';
import { RECORD_DIR_ENV } from '../../src/store/statement-recording';

/** Set by a run that shares its recording with others started beside it: the recording is not emptied. */
export const RECORD_KEEP_ENV = 'INSIDER_CLICKHOUSE_RECORD_KEEP';
/** Set for runs started side by side once the services were started: each only checks them (two would start one twice). */
export const LANES_READY_ENV = 'INSIDER_TEST_SERVICES_STARTED';

export default async function globalSetup(): Promise<void> {
  // A recording for the compatibility check (docs/clickhouse-compatibility.md) is one whole run: start it
  // empty, unless the run is one of several that share it (scripts/test-integration-lanes.ts emptied it once).
  const recordDir = process.env[RECORD_DIR_ENV];
  if (recordDir && !process.env[RECORD_KEEP_ENV]) fs.rmSync(path.resolve(PACKAGE_ROOT, recordDir), { recursive: true, force: true });
  const { config } = loadConfig();
  // PostgreSQL with pgaudit and MariaDB with its slow and audit logs, for the sources tests: one server each
  // for the whole run, each test its own database and users.
  const services = [...localServices(config), ...localServices(config, ['postgres']), ...localServices(config, ['mariadb'])];
  const progress = (line: string) => process.stderr.write(`[services] ${line}\n`);
  if (!process.env[LANES_READY_ENV]) await ensureChromium(progress);
  const statuses = process.env[LANES_READY_ENV] ? await servicesStatus(services) : await servicesUp(services, progress);
  const down = statuses.filter((s) => !s.ready);
  if (down.length > 0) {
    throw new Error(`integration tests need ${down.map((s) => `${s.name} at ${s.address}`).join(' and ')}, which did not answer`);
  }
}
