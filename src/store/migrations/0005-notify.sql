-- The notifier's durable outbox (docs/paging.md). Append-only like everything else here: a delivery is
-- identified by delivery_id = channel|kind|dedup_key and its state is derived from its rows in time order:
--   queued     the page to send (a digest has one queued row per alert it lists), not before `due`
--   failed     attempt N failed with `reason` (HTTP `status`, 0 without an answer); next attempt at `due`
--   delivered  the channel accepted it (2xx)
--   abandoned  given up (a request the channel refuses, or retried for longer than giveUpAfterMs)
-- A page survives a crash because it is queued here before it is sent; after a restart, every delivery
-- without a delivered or abandoned row is sent again, and the dedup key makes the provider show it once.
CREATE TABLE IF NOT EXISTS notify_outbox (
  delivery_id String,
  channel String,
  kind Enum8('trigger' = 1, 'acknowledge' = 2, 'resolve' = 3, 'escalate' = 4, 'digest' = 5, 'test' = 6),
  dedup_key String,
  alert_id String,
  route String,
  event Enum8('queued' = 1, 'failed' = 2, 'delivered' = 3, 'abandoned' = 4),
  attempt UInt16,
  at DateTime('UTC'),
  at_ms UInt16,
  due DateTime('UTC'),
  due_ms UInt16,
  status UInt16,
  reason String,
  content String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (channel, delivery_id, at, at_ms);

-- How far the notifier has read: the newest alert revision (updated_at_wall) and triage action (at) it
-- has routed. Append-only; the position is the largest value per stream.
CREATE TABLE IF NOT EXISTS notify_cursor (
  stream String,
  position DateTime('UTC'),
  at DateTime('UTC')
) ENGINE = MergeTree
ORDER BY (stream, position);
