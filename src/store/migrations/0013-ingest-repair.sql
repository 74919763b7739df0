-- Repair of an INSERT that ClickHouse 18.16 wrote only in part (docs/exactly-once.md, "An insert that
-- failed half-way"). One INSERT into access_events writes the table, then each materialized view in
-- the order of its name (ingest_batches_mv, user_daily_mv, user_hourly_mv, user_table_daily_mv); a
-- server killed in between leaves the events stored and some rollups without them. The ingester then
-- re-adds the batch to the rollups that miss it by inserting its stored rows into the rollup's replay
-- table below: a Null table (it stores nothing) whose one view is that rollup's view, word for word.
-- A test compares each pair of views, so a rollup changed in one place and not the other is caught.

CREATE TABLE IF NOT EXISTS replay_user_daily AS access_events ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS replay_user_daily_mv TO user_daily AS
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
FROM replay_user_daily
GROUP BY user, day;

CREATE TABLE IF NOT EXISTS replay_user_hourly AS access_events ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS replay_user_hourly_mv TO user_hourly AS
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
FROM replay_user_hourly
GROUP BY user, hour;

CREATE TABLE IF NOT EXISTS replay_user_table_daily AS access_events ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS replay_user_table_daily_mv TO user_table_daily AS
SELECT
  user,
  toDate(ts) AS day,
  db_name,
  table_name,
  sum(if(status = 'ok', bytes, toUInt64(0))) AS sum_bytes,
  sum(if(status = 'ok', rows, toUInt64(0))) AS sum_rows,
  count() AS event_count
FROM replay_user_table_daily
GROUP BY user, day, db_name, table_name;
