-- Where each polled source has got to (docs/sources/clickhouse.md): the ClickHouse query-log poller
-- stores, after Kafka acknowledged a poll's rows, the event_time of the newest row it sent and the
-- query ids it sent at that second (rows of the same second may appear in later flushes). A restart
-- reads the newest row (the highest seq) and goes on from there.
CREATE TABLE IF NOT EXISTS source_cursors (
  source String,
  cursor_time DateTime('UTC'),
  cursor_ids Array(String),
  rows_sent UInt64,
  seq UInt64,
  updated_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(seq)
ORDER BY source;
