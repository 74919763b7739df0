-- Raw access events, one row per canonical event, with the Kafka position it came from.
-- Partitioned by day (retention drops whole days); ordered for per-user time-range queries.
CREATE TABLE IF NOT EXISTS access_events (
  event_id String,
  ts DateTime('UTC'),
  ts_ms UInt16,
  user String,
  action String,
  bytes UInt64,
  rows UInt64,
  source String,
  db_name String,
  table_name String,
  client_ip String,
  client_app String,
  session_id String,
  query_id String,
  status Enum8('ok' = 1, 'error' = 2),
  extra String,
  ingested_at DateTime('UTC'),
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64
) ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (user, ts, event_id);

-- The ingester's ledger: one row per (insert, Kafka partition), written by a materialized view in the
-- same INSERT as the events. It says which offset ranges ClickHouse holds, so that after a crash or a
-- rebalance nothing is inserted twice (docs/exactly-once.md). Small and ordered for that lookup.
CREATE TABLE IF NOT EXISTS ingest_batches (
  kafka_topic String,
  kafka_partition UInt32,
  min_offset UInt64,
  max_offset UInt64,
  events UInt64,
  inserted_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(inserted_at)
ORDER BY (kafka_topic, kafka_partition, max_offset);

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_batches_mv TO ingest_batches AS
SELECT
  kafka_topic,
  kafka_partition,
  min(kafka_offset) AS min_offset,
  max(kafka_offset) AS max_offset,
  count() AS events,
  max(ingested_at) AS inserted_at
FROM access_events
GROUP BY kafka_topic, kafka_partition;

-- Events that failed validation: the reason, the Kafka position, and a short preview. The original
-- bytes are in the dead-letter topic; this table feeds data-quality reports and the ledger above.
CREATE TABLE IF NOT EXISTS dead_letters (
  kafka_topic String,
  kafka_partition UInt32,
  kafka_offset UInt64,
  kafka_ts DateTime('UTC'),
  reason_code String,
  reason String,
  payload_bytes UInt32,
  payload_preview String,
  dead_lettered_at DateTime('UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMM(dead_lettered_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset);

-- Per-user rollups that detection reads, hourly and daily (the unit of baselines). Failed queries
-- move no data: their bytes and rows are not summed; they are counted in failed_count. Rollup columns
-- are named apart from access_events' columns: 18.16 resolves an alias before a same-named column.
CREATE TABLE IF NOT EXISTS user_hourly (
  user String,
  hour DateTime('UTC'),
  sum_bytes AggregateFunction(sum, UInt64),
  sum_rows AggregateFunction(sum, UInt64),
  event_count AggregateFunction(count),
  failed_count AggregateFunction(countIf, UInt8),
  export_bytes AggregateFunction(sumIf, UInt64, UInt8),
  max_event_bytes AggregateFunction(max, UInt64),
  distinct_tables AggregateFunction(uniqExact, String),
  distinct_sessions AggregateFunction(uniqExact, String),
  distinct_client_ips AggregateFunction(uniqExact, String),
  first_ts AggregateFunction(min, DateTime('UTC')),
  last_ts AggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (user, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS user_hourly_mv TO user_hourly AS
SELECT
  user,
  toStartOfHour(ts) AS hour,
  sumState(if(status = 'ok', bytes, toUInt64(0))) AS sum_bytes,
  sumState(if(status = 'ok', rows, toUInt64(0))) AS sum_rows,
  countState() AS event_count,
  countIfState(status = 'error') AS failed_count,
  sumIfState(bytes, status = 'ok' AND action IN ('EXPORT', 'COPY', 'DUMP', 'UNLOAD', 'BACKUP')) AS export_bytes,
  maxState(if(status = 'ok', bytes, toUInt64(0))) AS max_event_bytes,
  uniqExactState(concat(db_name, '.', table_name)) AS distinct_tables,
  uniqExactState(session_id) AS distinct_sessions,
  uniqExactState(client_ip) AS distinct_client_ips,
  minState(ts) AS first_ts,
  maxState(ts) AS last_ts
FROM access_events
GROUP BY user, hour;

CREATE TABLE IF NOT EXISTS user_daily (
  user String,
  day Date,
  sum_bytes AggregateFunction(sum, UInt64),
  sum_rows AggregateFunction(sum, UInt64),
  event_count AggregateFunction(count),
  failed_count AggregateFunction(countIf, UInt8),
  export_bytes AggregateFunction(sumIf, UInt64, UInt8),
  max_event_bytes AggregateFunction(max, UInt64),
  distinct_tables AggregateFunction(uniqExact, String),
  distinct_sessions AggregateFunction(uniqExact, String),
  distinct_client_ips AggregateFunction(uniqExact, String),
  first_ts AggregateFunction(min, DateTime('UTC')),
  last_ts AggregateFunction(max, DateTime('UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (user, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS user_daily_mv TO user_daily AS
SELECT
  user,
  toDate(ts) AS day,
  sumState(if(status = 'ok', bytes, toUInt64(0))) AS sum_bytes,
  sumState(if(status = 'ok', rows, toUInt64(0))) AS sum_rows,
  countState() AS event_count,
  countIfState(status = 'error') AS failed_count,
  sumIfState(bytes, status = 'ok' AND action IN ('EXPORT', 'COPY', 'DUMP', 'UNLOAD', 'BACKUP')) AS export_bytes,
  maxState(if(status = 'ok', bytes, toUInt64(0))) AS max_event_bytes,
  uniqExactState(concat(db_name, '.', table_name)) AS distinct_tables,
  uniqExactState(session_id) AS distinct_sessions,
  uniqExactState(client_ip) AS distinct_client_ips,
  minState(ts) AS first_ts,
  maxState(ts) AS last_ts
FROM access_events
GROUP BY user, day;

-- Per-user, per-table daily volume: top tables in evidence, first-time access to sensitive tables.
CREATE TABLE IF NOT EXISTS user_table_daily (
  user String,
  day Date,
  db_name String,
  table_name String,
  sum_bytes UInt64,
  sum_rows UInt64,
  event_count UInt64
) ENGINE = SummingMergeTree((sum_bytes, sum_rows, event_count))
PARTITION BY toYYYYMM(day)
ORDER BY (user, day, db_name, table_name);

CREATE MATERIALIZED VIEW IF NOT EXISTS user_table_daily_mv TO user_table_daily AS
SELECT
  user,
  toDate(ts) AS day,
  db_name,
  table_name,
  sum(if(status = 'ok', bytes, toUInt64(0))) AS sum_bytes,
  sum(if(status = 'ok', rows, toUInt64(0))) AS sum_rows,
  count() AS event_count
FROM access_events
GROUP BY user, day, db_name, table_name;
