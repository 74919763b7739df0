-- The sources layer's state (docs/sources/README.md).
-- What earlier log lines told about a database session, for later lines of the same session: who
-- authenticated it (fact 'identity': PostgreSQL log_connections "connection authenticated:
-- identity=...", value the person, detail the method), and which `COPY ... TO` were counted when they
-- started (fact 'copy', value the statement), so pgaudit's line at their end is not counted again.
-- Written by the ingester before the events of the same Kafka batch: after a restart or a rebalance
-- the next owner finds what the previous one learnt. A redelivered line writes the same row again:
-- readers group by (server, session_id, fact, value).
CREATE TABLE IF NOT EXISTS source_sessions (
  server String,
  session_id String,
  fact String,
  value String,
  detail String,
  ts DateTime('UTC'),
  recorded_at DateTime('UTC')
) ENGINE = ReplacingMergeTree(recorded_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (server, session_id, fact, value);

-- Table statistics read from an audited PostgreSQL server (pg_class, pg_stats) with the time they were
-- read: bytes of pgaudit events are estimated from them (rows x average row width as COPY text;
-- column_widths are each column's average width as text, -1 when it has no statistics).
-- Every read is kept, so an event is estimated with the statistics in force at its time.
CREATE TABLE IF NOT EXISTS pg_table_stats (
  server String,
  database String,
  table_name String,
  reltuples Float64,
  heap_bytes UInt64,
  total_bytes UInt64,
  column_names Array(String),
  column_widths Array(Float64),
  read_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(read_at)
ORDER BY (server, database, table_name, read_at);
