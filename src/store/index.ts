// ClickHouse storage: the connection, the one SQL escaping helper, and schema migrations.
export { createClickHouse, type ClickHouse, type ClickHouseSettings } from './clickhouse';
export { sql, ident, inList, join, literal, SqlFragment, type SqlValue } from './sql';
export { migrate, migrationStatus, loadMigrations, MIGRATIONS_DIR, type Migration, type MigrationStatus } from './migrate';
export { toDateTime, fromDateTime, NO_TIME } from './datetime';
