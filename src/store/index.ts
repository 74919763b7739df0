// ClickHouse storage: the connection, the one SQL escaping helper, schema migrations, the shards (one
// server, or a cluster's shards: cluster.ts), and the fences of writes whose answer may be lost (write-fence.ts).
export { createClickHouse, localDatabaseOf, DISTRIBUTED_SETTINGS, POINT_READ, type ClickHouse, type ClickHouseSettings, type ClusterNodes, type HttpSession } from './clickhouse';
export { sql, ident, inList, join, literal, SqlFragment, type SqlValue } from './sql';
export { migrate, migrationStatus, loadMigrations, MIGRATIONS_DIR, type Migration, type MigrationStatus } from './migrate';
export { encodeRows, tsvDateTime, tsvNumber, TsvRow, tsvString, tsvUnescape, type EncodedRows, type RowEncoding } from './tab-separated';
export { toDateTime, fromDateTime, NO_TIME } from './datetime';
export { shardOfUser, verifyClusterNode, USER_SHARDING_KEY } from './cluster';
export { noServerAt, shardsOf, type ShardInsertOptions, type Shards } from './shards';
export { after, decodeCursor, encodeCursor, orderBy, type KeyColumn, type KeyValue } from './keyset';
export { RETRIABLE_SERVER_CODES, SCHEMA_MISSING_CODES, SERVER_CODES } from './server-codes';
export { fenceAttempt, fenceClosed, fencedWriter, openAttempt, openFence, serverCode, waitForWrites, FENCE_EXPIRY_MS, FENCE_SESSION_SECONDS, type Attempt, type FencedWriter } from './write-fence';
export { checkReceiveTimeout, stalledBodyLimitMs, type GroupTimeouts, type ReceiveTimeoutCheck } from './receive-timeout';
export { stallWatch, type RepairContext, type StallOptions, type StallWatch, type Watched } from './stall-watch';
