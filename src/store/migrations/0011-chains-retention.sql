-- The tamper-evident record (docs/tamper-evidence.md). One chain per table of the record: alerts,
-- alert_actions, audit_log, report_manifests, retention_log. Writers insert their rows as before and never
-- touch a chain; a sealer (insider audit seal, the report scheduler, retention runs) appends one link per
-- new row, in (stamp, ms, key) order, after a grace period that covers inserts still in flight:
--   content_hash  SHA-256 of the row's canonical content (the columns the chain covers, src/chain/tables.ts)
--   prev_hash     the link_hash of the link before it (64 zeros for the first link of a chain)
--   link_hash     SHA-256 of (chain, seq, prev_hash, record_key, content_hash, stamp, ms, partition)
-- Sealing is deterministic: two sealers that see the same rows write identical links (same seq, same
-- hashes), which readers collapse. Links are small and hold no personal data beyond the record's key; they
-- are never dropped by retention, so a chain stays verifiable from its first link.
CREATE TABLE IF NOT EXISTS chain_links (
  chain String,
  seq UInt64,
  record_key String,
  record_stamp DateTime('UTC'),
  record_ms UInt16,
  record_partition String,
  content_hash String,
  prev_hash String,
  link_hash String,
  sealed_at DateTime('UTC'),
  sealer String
) ENGINE = MergeTree
ORDER BY (chain, seq);

-- Every report written (by `insider report` or the scheduler): the manifest's own SHA-256 and the chain
-- heads the report printed, so a report's content can be tied to the record.
CREATE TABLE IF NOT EXISTS report_manifests (
  report_id String,
  at DateTime('UTC'),
  at_ms UInt16,
  title String,
  period_kind String,
  period_from DateTime('UTC'),
  period_to DateTime('UTC'),
  out_dir String,
  manifest_sha256 String,
  chain_heads String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, at_ms, report_id);

-- What retention did: one row per partition dropped (or kept because it holds held data), per run.
-- The verifier accepts a chained row as gone only when a sealed row here says its partition was dropped.
-- Never dropped by retention itself.
CREATE TABLE IF NOT EXISTS retention_log (
  run_id String,
  at DateTime('UTC'),
  at_ms UInt16,
  table_name String,
  partition_id String,
  action Enum8('dropped' = 1, 'kept_held' = 2, 'copied_held' = 3),
  rows UInt64,
  detail String
) ENGINE = MergeTree
ORDER BY (at, at_ms, run_id, table_name, partition_id);

-- Legal holds: a row when placed, another when released. A held employee's or alert's raw events and
-- rollups are copied into the *_held tables before their partition is dropped; partitions of the chained
-- tables that hold a held alert (or a held employee's alerts) are kept.
CREATE TABLE IF NOT EXISTS legal_holds (
  hold_id String,
  event Enum8('placed' = 1, 'released' = 2),
  kind Enum8('employee' = 1, 'alert' = 2),
  subject String,
  reason String,
  at DateTime('UTC'),
  at_ms UInt16,
  actor String
) ENGINE = MergeTree
ORDER BY (hold_id, at, at_ms, event);

-- The held copies have their source's columns as of now (retention copies with SELECT *): a later
-- migration that changes access_events or a rollup must change its *_held table the same way.
CREATE TABLE IF NOT EXISTS access_events_held AS access_events;

CREATE TABLE IF NOT EXISTS user_hourly_held AS user_hourly;

CREATE TABLE IF NOT EXISTS user_daily_held AS user_daily;

CREATE TABLE IF NOT EXISTS user_table_daily_held AS user_table_daily;
