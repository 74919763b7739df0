-- Finer granules for the two tables read one alert at a time: `alerts` (the alert page, the queue's
-- summaries) and `alert_actions` (an alert's triage history). A read by id decompresses a whole granule of
-- every column it selects: 8,192 rows of the alerts' explanations, findings and evidence for one alert.
-- At 1,024 rows a granule the alert page's read costs ClickHouse about half (docs/api.md, "Caches"; the
-- primary index grows eightfold, a few kilobytes per million alerts). ClickHouse 18.16 cannot change a
-- table's index_granularity: each table is copied into a new one, swapped in by one RENAME, and what
-- reached the old table after the copy is copied after the swap (each revision and each action once).
--
-- Re-runnable from wherever a run stopped: it first finishes what an earlier run swapped in (the rows
-- still only in the old table are copied over), then starts over from a fresh copy. Stop the detector and
-- the API while it runs all the same: a write in the instant between the two renames (on a cluster, while
-- the Distributed table is replaced) is refused as one to a missing table.
CREATE TABLE IF NOT EXISTS alerts_coarse AS alerts;

INSERT INTO alerts SELECT * FROM alerts_coarse
WHERE (alert_id, revision) GLOBAL NOT IN (SELECT alert_id, revision FROM alerts);

DROP TABLE alerts_coarse;

DROP TABLE IF EXISTS alerts_fine;

CREATE TABLE IF NOT EXISTS alerts_fine AS alerts
ENGINE = MergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (alert_id, revision)
SETTINGS index_granularity = 1024;

INSERT INTO alerts_fine SELECT * FROM alerts;

RENAME TABLE alerts TO alerts_coarse, alerts_fine TO alerts;

INSERT INTO alerts SELECT * FROM alerts_coarse
WHERE (alert_id, revision) GLOBAL NOT IN (SELECT alert_id, revision FROM alerts);

DROP TABLE alerts_coarse;

CREATE TABLE IF NOT EXISTS alert_actions_coarse AS alert_actions;

INSERT INTO alert_actions SELECT * FROM alert_actions_coarse
WHERE action_id GLOBAL NOT IN (SELECT action_id FROM alert_actions);

DROP TABLE alert_actions_coarse;

DROP TABLE IF EXISTS alert_actions_fine;

CREATE TABLE IF NOT EXISTS alert_actions_fine AS alert_actions
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (alert_id, at, at_ms, action_id)
SETTINGS index_granularity = 1024;

INSERT INTO alert_actions_fine SELECT * FROM alert_actions;

RENAME TABLE alert_actions TO alert_actions_coarse, alert_actions_fine TO alert_actions;

INSERT INTO alert_actions SELECT * FROM alert_actions_coarse
WHERE action_id GLOBAL NOT IN (SELECT action_id FROM alert_actions);

DROP TABLE alert_actions_coarse;
