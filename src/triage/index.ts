// Triage: what analysts do with alerts (lifecycle), what they suppress, who they are (users, roles,
// tokens), what they did (audit trail), and the pseudonyms employees appear under. Used by the HTTP API
// and the CLI alike; all of it append-only in ClickHouse (migration 0004).
export * from './lifecycle';
export * from './suppressions';
export * from './users';
export * from './audit';
export * from './pseudonyms';
export * from './service';
