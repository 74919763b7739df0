-- The alert listing: what the queue filters, sorts, counts and pages on, in ClickHouse, for every alert
-- (not only the newest ones). One row per alert per change: each write of an alert's revisions (the
-- detector) and each lifecycle action (analysts) adds a row derived from everything stored for that
-- alert at that moment, with version = its revision rows + its action rows. Rows only grow, and the
-- writer reads after its own insert, so the row with the highest version is derived from everything
-- (docs/api.md, "Listings"); readers take argMax(..., version) per alert, and ReplacingMergeTree merges
-- the superseded rows away in the background. Only what filters and sorts need is here; a page's
-- alerts are read from `alerts` and `alert_actions` by id.
--   status        the state before a snooze ends by itself; readers apply
--   snooze_until  ... multiIf(status = 'snoozed' AND snooze_until <= now, after_snooze, status)
--   after_snooze  ... the status a snooze returns to
--   written_at    the server's clock when the row was written (the live feed reads recent rows)
--   k             cityHash64(alert_id): grouping on a number is several times faster than on the id
-- Partitioned by the month of the alert's day (the last second of its window), as `alerts` is for all but
-- slow drips, so that retention drops an alert's listing row with its month (src/retention/tables.ts).
CREATE TABLE IF NOT EXISTS alert_listing (
  alert_id String,
  k UInt64 MATERIALIZED cityHash64(alert_id),
  user String,
  window_end DateTime('UTC'),
  version UInt64,
  written_at DateTime('UTC'),
  revision UInt32,
  window_start DateTime('UTC'),
  severity Enum8('low' = 1, 'medium' = 2, 'high' = 3, 'critical' = 4),
  score UInt8,
  detectors Array(String),
  fired_at DateTime('UTC'),
  fired_at_ms UInt16,
  observed_bytes UInt64,
  ratio Float64,
  status Enum8('open' = 1, 'acknowledged' = 2, 'snoozed' = 3, 'resolved' = 4),
  snooze_until DateTime('UTC'),
  after_snooze Enum8('open' = 1, 'acknowledged' = 2, 'snoozed' = 3, 'resolved' = 4),
  assignee String,
  disposition String
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_end - 1)
ORDER BY (user, alert_id);

-- Every alert stored before this migration, derived the same way (src/alerts/listing.ts, refreshListing).
INSERT INTO alert_listing (alert_id, user, window_end, version, written_at, revision, window_start, severity, score, detectors, fired_at, fired_at_ms, observed_bytes, ratio, status, snooze_until, after_snooze, assignee, disposition)
SELECT alert_id, l_user, l_window_end, l_revisions + l_actions, now(), l_revision, l_window_start, l_severity, l_score, l_detectors, l_fired_at, l_fired_at_ms, l_bytes, l_ratio,
  multiIf(l_last = 'acknowledge', 'acknowledged', l_last = 'resolve', 'resolved', l_last = 'snooze', 'snoozed', 'open'),
  if(l_last = 'snooze', l_last_until, toDateTime(0, 'UTC')),
  multiIf(l_before = 'acknowledge', 'acknowledged', l_before = 'resolve', 'resolved', 'open'),
  l_assignee,
  if(l_closing = 'resolve', l_disposition, '')
FROM (
  SELECT alert_id, count() AS l_revisions, max(revision) AS l_revision,
    argMax(user, revision) AS l_user, argMax(window_start, revision) AS l_window_start, argMax(window_end, revision) AS l_window_end,
    argMax(severity, revision) AS l_severity, argMax(score, revision) AS l_score, argMax(detectors, revision) AS l_detectors,
    argMax(fired_at, revision) AS l_fired_at, argMax(fired_at_ms, revision) AS l_fired_at_ms,
    argMax(observed_bytes, revision) AS l_bytes, argMax(ratio, revision) AS l_ratio
  FROM alerts
  GROUP BY alert_id
) AS revisions
ANY LEFT JOIN (
  SELECT alert_id, count() AS l_actions,
    argMaxIf(toString(action), (at, at_ms, action_id), action IN ('acknowledge', 'resolve', 'snooze', 'reopen')) AS l_last,
    argMaxIf(snooze_until, (at, at_ms, action_id), action IN ('acknowledge', 'resolve', 'snooze', 'reopen')) AS l_last_until,
    argMaxIf(toString(action), (at, at_ms, action_id), action IN ('acknowledge', 'resolve', 'reopen')) AS l_before,
    argMaxIf(toString(action), (at, at_ms, action_id), action IN ('resolve', 'reopen')) AS l_closing,
    argMaxIf(disposition, (at, at_ms, action_id), action = 'resolve') AS l_disposition,
    argMaxIf(assignee, (at, at_ms, action_id), action = 'assign') AS l_assignee
  FROM alert_actions
  GROUP BY alert_id
) AS actions USING alert_id;
