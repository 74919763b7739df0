-- Keep every revision of an alert. 0003 made `alerts` a ReplacingMergeTree(revision) ordered by alert_id
-- alone: background merges dropped all but the newest revision of each alert, so the history was lost
-- and a reader polling for the first revision could miss it. Same columns, plain MergeTree, ordered by
-- (alert_id, revision); the current alert is still the highest revision (LIMIT 1 BY alert_id).
-- Run with the detector stopped: alerts written between the copy and the rename would be lost.
CREATE TABLE IF NOT EXISTS alerts_revisions AS alerts
ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (alert_id, revision);

INSERT INTO alerts_revisions SELECT * FROM alerts;

DROP TABLE alerts;

RENAME TABLE alerts_revisions TO alerts;
