-- The report scheduler's ledger (docs/reports.md): one row per step of a scheduled run. A run is
-- identified by (schedule, period_start); a period whose run has a `finished` row is never written
-- again, so a schedule due while the service restarts writes its report once, not twice. A run that
-- `started` but never finished (a crash mid-run) is run again; its files are replaced.
--   started    the run began (out_dir is where it writes)
--   finished   every file and the manifest are written (manifest_sha256: the manifest's own hash)
--   failed     the run stopped with `detail`; the next tick tries again
--   delivered  a webhook named in `detail` accepted the summary
CREATE TABLE IF NOT EXISTS report_runs (
  schedule String,
  period String,
  period_start DateTime('UTC'),
  period_end DateTime('UTC'),
  event Enum8('started' = 1, 'finished' = 2, 'failed' = 3, 'delivered' = 4),
  run_id String,
  at DateTime('UTC'),
  at_ms UInt16,
  out_dir String,
  manifest_sha256 String,
  detail String
) ENGINE = MergeTree
ORDER BY (schedule, period_start, at, at_ms);
