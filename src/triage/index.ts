// Triage: what analysts do with alerts (lifecycle), what they suppress, who they are (users, roles,
// tokens), what they did (audit trail), and the pseudonyms employees appear under. Used by the HTTP API
// and the CLI alike; all of it append-only in ClickHouse (migrations 0004, 0008).
export * from './lifecycle';
export * from './suppressions';
export * from './users';
export * from './sessions';
export * from './audit';
export * from './pseudonyms';
export * from './pseudonym-map';
export * from './service';
export * from './accounts';
export * from './display-text';
export * from './adjustments';
export * from './adjustment-views';
export * from './detector-inputs';
export * from './read-cache';
