-- Tuning and feedback (docs/detection.md). Append-only like the triage tables: a change is a new row and
-- the current state is derived from the rows in order.

-- Detection settings chosen by admins (from `insider tune` or the dashboard's Tuning page), over the
-- configuration file's: the latest row of a key wins. Every row is also in the audit trail.
--   key     a setting's path under `detection` (scoring.alertFloor); value its JSON
--   run_id  the tuning run the choice was made from ('' when none)
CREATE TABLE IF NOT EXISTS detection_settings (
  setting_key String,
  value String,
  at DateTime('UTC'),
  at_ms UInt16,
  actor String,
  reason String,
  run_id String
) ENGINE = MergeTree
ORDER BY (setting_key, at, at_ms);

-- Tuning runs: a replay of stored history under candidate alert floors, and what each would have raised.
--   result  the run's JSON (candidates, alerts per day by severity and department, catches, proposal)
CREATE TABLE IF NOT EXISTS tuning_runs (
  run_id String,
  at DateTime('UTC'),
  actor String,
  period_from DateTime('UTC'),
  period_to DateTime('UTC'),
  budget Float64,
  result String
) ENGINE = MergeTree
ORDER BY (at, run_id);

-- Expectations raised by analysts' verdicts: "expected for this role", "project work until a date". For a
-- person or a peer group, the expected volume is multiplied by `factor` from valid_from until `until`
-- (event time), always bounded. A row when created, another when revoked.
CREATE TABLE IF NOT EXISTS expectation_adjustments (
  adjustment_id String,
  event Enum8('created' = 1, 'revoked' = 2),
  at DateTime('UTC'),
  actor String,
  scope Enum8('user' = 1, 'peer_group' = 2),
  subject String,
  factor Float64,
  valid_from DateTime('UTC'),
  until DateTime('UTC'),
  reason String,
  alert_id String
) ENGINE = MergeTree
ORDER BY (adjustment_id, at, event);
