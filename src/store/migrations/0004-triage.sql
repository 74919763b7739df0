-- Triage: what analysts did with alerts, what they suppressed, who they are, and the audit trail.
-- Everything is append-only: a change is a new row and the current state is derived from the rows in
-- order, so no history is ever lost and nothing is updated in place (which also suits 18.16).

-- Every lifecycle action on an alert: acknowledge, assign, note, resolve (with a disposition), snooze, reopen.
CREATE TABLE IF NOT EXISTS alert_actions (
  action_id String,
  alert_id String,
  at DateTime('UTC'),
  at_ms UInt16,
  actor String,
  action Enum8('acknowledge' = 1, 'assign' = 2, 'note' = 3, 'resolve' = 4, 'snooze' = 5, 'reopen' = 6),
  assignee String,
  disposition String,
  note String,
  snooze_until DateTime('UTC'),
  suppression_id String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (alert_id, at, at_ms, action_id);

-- Suppressions created from verdicts (or by hand): a row when created, another when revoked.
CREATE TABLE IF NOT EXISTS suppressions (
  suppression_id String,
  event Enum8('created' = 1, 'revoked' = 2),
  at DateTime('UTC'),
  actor String,
  scope Enum8('user' = 1, 'user_table' = 2, 'service_account' = 3),
  user String,
  table_name String,
  valid_from DateTime('UTC'),
  until DateTime('UTC'),
  reason String,
  alert_id String
) ENGINE = MergeTree
ORDER BY (suppression_id, at, event);

-- API users and their roles: a row per change (created, role changed, disabled).
CREATE TABLE IF NOT EXISTS api_users (
  name String,
  event Enum8('created' = 1, 'role_changed' = 2, 'disabled' = 3),
  role Enum8('viewer' = 1, 'analyst' = 2, 'admin' = 3),
  at DateTime('UTC'),
  actor String
) ENGINE = MergeTree
ORDER BY (name, at, event);

-- API tokens, stored only as SHA-256 hashes; revoking one adds a row with revoked = 1.
CREATE TABLE IF NOT EXISTS api_tokens (
  token_id String,
  name String,
  token_hash String,
  at DateTime('UTC'),
  actor String,
  expires_at DateTime('UTC'),
  revoked UInt8
) ENGINE = MergeTree
ORDER BY (token_hash, at);

-- The audit trail: every analyst action and every view of an alert's evidence (who, what, when, from where).
CREATE TABLE IF NOT EXISTS audit_log (
  at DateTime('UTC'),
  at_ms UInt16,
  actor String,
  role String,
  action String,
  target String,
  source_ip String,
  request_id String,
  details String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, at_ms, actor);
