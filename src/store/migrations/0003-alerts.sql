-- Alerts raised by the detector: one per employee and window (a UTC day). A later detection in the same
-- window writes a new revision of the same alert_id (more volume, another detector, a higher severity);
-- the current alert is the row with the highest revision (ORDER BY revision DESC LIMIT 1 BY alert_id),
-- so no revision is ever lost and nothing is updated in place. Times are event times unless named
-- *_at_wall: fired_at is the time of the event that crossed the threshold.
CREATE TABLE IF NOT EXISTS alerts (
  alert_id String,
  revision UInt32,
  user String,
  window_start DateTime('UTC'),
  window_end DateTime('UTC'),
  detectors Array(String),
  severity Enum8('low' = 1, 'medium' = 2, 'high' = 3, 'critical' = 4),
  score UInt8,
  fired_at DateTime('UTC'),
  fired_at_ms UInt16,
  trigger_event_id String,
  last_event_at DateTime('UTC'),
  observed_bytes UInt64,
  observed_rows UInt64,
  event_count UInt64,
  baseline_bytes Float64,
  peer_bytes Float64,
  peer_group String,
  ratio Float64,
  explanation String,
  findings String,
  evidence String,
  created_at_wall DateTime('UTC'),
  updated_at_wall DateTime('UTC')
) ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYYYYMM(window_start)
ORDER BY alert_id;
